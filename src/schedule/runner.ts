/**
 * Runs fired tasks: one run at a time, its actions one after the other through DeviceActions, each run reported as
 * a spec-003 `event` message. Runs wait in a fixed ring; reports the sink cannot take yet wait in another and are
 * retried every second (the platform gets them once it is reachable). Every bound hit is counted.
 *
 * A run reads its task from the repository when it starts, so the event carries the stored snapshot. Work here
 * happens at fire rate and may allocate (JSON parsing, the event object); the idle path (`poll` with nothing to
 * do) does not.
 */
import { LogLevel, type Clock, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import { ERR_ACTION_FAILED, ERR_ACTION_TIMEOUT, ERR_NONE, ERR_RUN_QUEUE_FULL, ERR_TASK_GONE } from "./codes";
import type { ActionMethod, DeviceActions, ScheduleEventMessage, ScheduleEventSink, TaskRepository } from "./ports";

export interface RunnerOptions {
  clock: Clock;
  log: Log;
  counters: Counters;
  repository: TaskRepository;
  actions: DeviceActions;
  events: ScheduleEventSink;
  /** Gateway serial number: `sn` and the event's `addr`. */
  sn: string;
  /** Runs waiting to start (default 16). */
  runQueue?: number;
  /** Reports the sink could not take yet (default 32). */
  pendingEvents?: number;
  /** Default 30 s. */
  actionTimeoutMs?: number;
}

interface Run {
  taskId: string;
  task: Record<string, unknown>;
  actions: { method: ActionMethod; payload: Record<string, unknown> }[];
  index: number;
  /** An action is under way (its `done` has not come yet). */
  waiting: boolean;
  actionStartedMs: number;
  generation: number;
  /** The actions' details so far (`msg` of the event), bounded by MAX_MSG_CHARS. */
  msg: string;
}

/** The event's `msg` is cut here: the detail of a few actions, never a packet's worth. */
const MAX_MSG_CHARS = 240;

export class TaskRunner {
  // Both rings are allocated at their first use (a fire, a report the sink refused), at their full size once: a
  // gateway without tasks, or always online, never pays for them.
  private queue: (string | null)[] | null = null;
  private readonly queueCapacity: number;
  private queueHead = 0;
  private queueSize = 0;
  private pending: (ScheduleEventMessage | null)[] | null = null;
  private readonly pendingCapacity: number;
  private pendingHead = 0;
  private pendingSize = 0;
  private current: Run | null = null;
  private generation = 0;
  private stepping = false;
  private msgid = 0;
  /** Runs finished (any result): tests and status. */
  completed = 0;
  readonly cQueueFull: number;
  readonly cEventsDropped: number;
  readonly cActionTimeouts: number;
  readonly cActionFailures: number;
  readonly cLateDone: number;

  private readonly actionTimeoutMs: number;

  constructor(private readonly o: RunnerOptions) {
    this.queueCapacity = o.runQueue ?? 16;
    this.pendingCapacity = o.pendingEvents ?? 32;
    this.actionTimeoutMs = o.actionTimeoutMs ?? 30_000;
    this.cQueueFull = o.counters.register("schedule_run_queue_full");
    this.cEventsDropped = o.counters.register("schedule_events_dropped");
    this.cActionTimeouts = o.counters.register("schedule_action_timeouts");
    this.cActionFailures = o.counters.register("schedule_action_failures");
    this.cLateDone = o.counters.register("schedule_action_late_done");
  }

  get busy(): boolean {
    return this.current !== null || this.queueSize > 0;
  }

  get queuedEvents(): number {
    return this.pendingSize;
  }

  /** Queue a run of `taskId` (fired now); starts it at once when idle. */
  enqueue(taskId: string): void {
    if (this.queueSize === this.queueCapacity) {
      this.o.counters.add(this.cQueueFull);
      this.o.log.write(LogLevel.Warn, "schedule", `task ${taskId}: run dropped, ${this.queueCapacity} runs already queued`);
      this.report(taskId, this.snapshot(taskId), 0, ERR_RUN_QUEUE_FULL, `${this.queueCapacity} runs already queued`);
      return;
    }
    if (this.queue === null) this.queue = new Array<string | null>(this.queueCapacity).fill(null);
    this.queue[(this.queueHead + this.queueSize) % this.queueCapacity] = taskId;
    this.queueSize++;
    if (!this.stepping) this.step();
  }

  /** Once a second: action timeouts, the next run, retry of unsent reports. Allocates nothing when idle. */
  poll(): void {
    const run = this.current;
    if (run !== null && run.waiting && this.o.clock.monotonicMs() - run.actionStartedMs > this.actionTimeoutMs) {
      this.o.counters.add(this.cActionTimeouts);
      run.waiting = false;
      this.note(run, `action ${run.index}: no result within ${this.actionTimeoutMs} ms`);
      this.finish(run, 0, ERR_ACTION_TIMEOUT);
    }
    if (!this.stepping && (this.current === null ? this.queueSize > 0 : !this.current.waiting)) this.step();
    while (this.pendingSize > 0) {
      const pending = this.pending!; // allocated before the first report was kept
      const message = pending[this.pendingHead];
      if (message === null || !this.o.events.post(message)) break;
      pending[this.pendingHead] = null;
      this.pendingHead = (this.pendingHead + 1) % this.pendingCapacity;
      this.pendingSize--;
    }
  }

  private snapshot(taskId: string): Record<string, unknown> | null {
    const json = this.o.repository.get(taskId);
    return json === null ? null : (JSON.parse(json) as Record<string, unknown>);
  }

  /** Advance runs while actions complete synchronously; returns when one waits or nothing is left. */
  private step(): void {
    this.stepping = true;
    try {
      for (;;) {
        let run = this.current;
        if (run === null) {
          const queue = this.queue;
          if (this.queueSize === 0 || queue === null) return;
          const taskId = queue[this.queueHead] as string;
          queue[this.queueHead] = null;
          this.queueHead = (this.queueHead + 1) % this.queueCapacity;
          this.queueSize--;
          const task = this.snapshot(taskId);
          if (task === null) {
            this.report(taskId, null, 0, ERR_TASK_GONE, "the task was deleted before its run started");
            continue;
          }
          run = { taskId, task, actions: task.actions as Run["actions"], index: 0, waiting: false, actionStartedMs: 0, generation: ++this.generation, msg: "" };
          this.current = run;
        }
        if (run.waiting) return;
        if (run.index >= run.actions.length) {
          this.finish(run, 1, ERR_NONE);
          continue;
        }
        const action = run.actions[run.index];
        const generation = run.generation;
        const index = run.index;
        run.waiting = true;
        run.actionStartedMs = this.o.clock.monotonicMs();
        try {
          this.o.actions.execute(action.method, action.payload, (errcode, msg) => this.done(generation, index, errcode, msg));
        } catch (error) {
          this.o.log.write(LogLevel.Error, "schedule", `task ${run.taskId}: action ${index} threw: ${String(error)}`);
          this.done(generation, index, ERR_ACTION_FAILED, `threw: ${String(error)}`);
        }
      }
    } finally {
      this.stepping = false;
    }
  }

  private done(generation: number, index: number, errcode: string | null, msg?: string): void {
    const run = this.current;
    if (run === null || run.generation !== generation || run.index !== index || !run.waiting) {
      this.o.counters.add(this.cLateDone); // after its timeout, or called twice
      return;
    }
    run.waiting = false;
    if (msg) this.note(run, run.actions.length > 1 ? `action ${index}: ${msg}` : msg);
    if (errcode !== null && errcode !== "" && errcode !== ERR_NONE) {
      this.o.counters.add(this.cActionFailures);
      this.finish(run, 0, String(errcode));
    } else {
      run.index++;
    }
    if (!this.stepping) this.step();
  }

  private note(run: Run, text: string): void {
    const joined = run.msg === "" ? text : `${run.msg}; ${text}`;
    run.msg = joined.length > MAX_MSG_CHARS ? `${joined.slice(0, MAX_MSG_CHARS - 3)}...` : joined;
  }

  /** Later actions of a failed run are not attempted: spec 003 runs them "in order", each building on the last. */
  private finish(run: Run, res: 0 | 1, errcode: string): void {
    this.current = null;
    this.completed++;
    if (res === 0) this.o.log.write(LogLevel.Warn, "schedule", `task ${run.taskId}: run failed at action ${run.index} with ${errcode}${run.msg ? `: ${run.msg}` : ""}`);
    this.report(run.taskId, run.task, res, errcode, run.msg);
  }

  private report(taskId: string, task: Record<string, unknown> | null, res: 0 | 1, errcode: string, msg = ""): void {
    const now = Math.floor(this.o.clock.wallMs() / 1000);
    // Unique across reboots while fewer than 1000 reports a second are made.
    const base = now * 1000;
    this.msgid = this.msgid < base ? base : this.msgid + 1;
    const message: ScheduleEventMessage = {
      msgid: this.msgid,
      method: "event",
      sn: this.o.sn,
      timestamp: now,
      payload: { events: [{ code: "schedule", addr: this.o.sn, endpoint: "GATEWAY", payload: { res, errcode, msg, task: task ?? { taskId } } }] },
    };
    if (this.pendingSize === 0 && this.o.events.post(message)) return;
    if (this.pending === null) this.pending = new Array<ScheduleEventMessage | null>(this.pendingCapacity).fill(null);
    if (this.pendingSize === this.pendingCapacity) {
      // Keep the newest reports: drop the oldest.
      this.o.counters.add(this.cEventsDropped);
      this.pendingHead = (this.pendingHead + 1) % this.pendingCapacity;
      this.pendingSize--;
    }
    this.pending[(this.pendingHead + this.pendingSize) % this.pendingCapacity] = message;
    this.pendingSize++;
  }
}
