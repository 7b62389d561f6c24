/** A scheduler on the simulated clock with recording fakes for the store, the devices and the outbox. */
import { SimLoop } from "../../hal/sim/loop";
import type { Log, LogLevel } from "../../hal/types";
import { Counters } from "../../src/core/counters";
import { daysFromCivil } from "../../src/time/civil";
import { loadStoredTasks } from "../../src/schedule/load";
import { MemoryTaskRepository, TablePropertySource, type ActionMethod, type DeviceActions, type ScheduleEventMessage, type ScheduleEventSink } from "../../src/schedule/ports";
import { Scheduler, type SchedulerOptions } from "../../src/schedule/scheduler";
import { compileTask } from "../../src/schedule/task";

/** UTC seconds of a civil date-time. */
export const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
export const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

export class RecordingActions implements DeviceActions {
  readonly calls: { method: ActionMethod; payload: Record<string, unknown>; wall: number }[] = [];
  /** Result per call: null = success, a code = failure, "hang" = never completes, "async" = completes on `release`. */
  script: (string | null)[] = [];
  private waiting: ((errcode: string | null) => void)[] = [];

  constructor(private readonly loop: SimLoop) {}

  execute(method: ActionMethod, payload: Record<string, unknown>, done: (errcode: string | null) => void): void {
    this.calls.push({ method, payload, wall: Math.floor(this.loop.wallMs() / 1000) });
    const result = this.script.length > 0 ? this.script.shift()! : null;
    if (result === "hang") return;
    if (result === "async") {
      this.waiting.push(done);
      return;
    }
    done(result);
  }

  release(errcode: string | null = null): void {
    const done = this.waiting.shift();
    if (done) done(errcode);
  }
}

export class RecordingSink implements ScheduleEventSink {
  readonly messages: ScheduleEventMessage[] = [];
  online = true;

  post(message: ScheduleEventMessage): boolean {
    if (!this.online) return false;
    this.messages.push(message);
    return true;
  }

  /** The taskId, res and errcode of every reported run. */
  runs(): string[] {
    return this.messages.map((m) => {
      const p = m.payload.events[0].payload;
      return `${(p.task as { taskId: string }).taskId}:${p.res}:${p.errcode}`;
    });
  }
}

export interface Fixture {
  loop: SimLoop;
  scheduler: Scheduler;
  repository: MemoryTaskRepository;
  actions: RecordingActions;
  sink: RecordingSink;
  properties: TablePropertySource;
  counters: Counters;
  logs: string[];
  /** Validate, store and install a task object. */
  add(task: Record<string, unknown>): void;
  /** Advance simulated time (the scheduler ticks every `tickMs`). */
  run(ms: number): void;
  /** Run until the wall clock reads `utcSeconds`. */
  runUntil(utcSeconds: number): void;
  /** Wall seconds of each action call (one action per task in most tests), as ISO strings. */
  fireTimes(): string[];
  /** A new scheduler over the same store and clock, as after a reboot. */
  reboot(): Fixture;
}

export function makeFixture(
  options: Partial<SchedulerOptions> & { wallStart: number; synced?: boolean; loop?: SimLoop; repository?: MemoryTaskRepository; tickMs?: number },
): Fixture {
  const loop = options.loop ?? new SimLoop({ wallStartMs: options.wallStart * 1000, wallSynced: options.synced ?? true });
  const repository = options.repository ?? new MemoryTaskRepository();
  const actions = new RecordingActions(loop);
  const sink = new RecordingSink();
  const properties = new TablePropertySource();
  const counters = new Counters();
  const logs: string[] = [];
  const log: Log = { write: (_level: LogLevel, source: string, message: string) => logs.push(`${source}: ${message}`) };
  const scheduler = new Scheduler({
    clock: loop,
    log,
    counters,
    repository,
    actions,
    events: sink,
    properties,
    site: options.site ?? { latitude: 31.23, longitude: 121.47, timezone: "CST-8" },
    sn: "GW-0001",
    capacity: options.capacity ?? 32,
    ...options,
  });
  loadStoredTasks(scheduler, repository, properties, log, counters);
  const timer = loop.createTimer(() => scheduler.tick(loop.monotonicMs()));
  // The gateway ticks every 250 ms; long simulated spans use 1 s ticks (the scheduler works once a second anyway).
  const tickMs = options.tickMs ?? 1000;
  timer.start(tickMs, tickMs);
  const fixture: Fixture = {
    loop,
    scheduler,
    repository,
    actions,
    sink,
    properties,
    counters,
    logs,
    add(task) {
      const compiled = compileTask(task, "task", properties);
      repository.put({ taskId: compiled.taskId, json: compiled.json });
      scheduler.install(compiled);
    },
    run(ms) {
      loop.runFor(ms);
    },
    runUntil(utcSeconds) {
      const ms = utcSeconds * 1000 - loop.wallMs();
      if (ms > 0) loop.runFor(ms);
    },
    fireTimes() {
      return actions.calls.map((c) => iso(c.wall));
    },
    reboot() {
      timer.stop();
      return makeFixture({ ...options, loop, repository });
    },
  };
  return fixture;
}

/** A minimal spec-003 task with one operate_raw action. */
export function task(taskId: string, cycle: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    taskId,
    enable: 1,
    priority: 1,
    startTime: "",
    endTime: "",
    cycle,
    actions: [{ method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } }],
    ...extra,
  };
}
