/**
 * XS bundle for the scheduler: cron next-fire over the random set, planning a full task table, idle ticks. The host
 * drives it through `globalThis.schedule`; results go back as JSON with issueCommand. Everything here also runs in
 * Node (test/schedule/xs.test.ts compares the two).
 */
import { SeededRandom } from "../../hal/sim/random";
import type { Clock, Log, Timer } from "../../hal/types";
import { Counters } from "../../src/core/counters";
import { CRON_WORDS, cronNext, parseCronInto } from "../../src/schedule/cron";
import { MemoryTaskRepository, TablePropertySource, type DeviceActions, type ScheduleEventSink } from "../../src/schedule/ports";
import { Scheduler } from "../../src/schedule/scheduler";
import { compileTask } from "../../src/schedule/task";
import { randomPair } from "../schedule/cron-random";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

/** 2026-01-01T00:00:00Z */
export const START_MS = 1_767_225_600_000;

class StepClock implements Clock {
  mono = 0;
  wall = START_MS;
  monotonicMs(): number {
    return this.mono;
  }
  wallMs(): number {
    return this.wall;
  }
  wallSynced(): boolean {
    return true;
  }
  createTimer(): Timer {
    throw new Error("StepClock: no timers");
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}

// ---------------------------------------------------------------- cron over the random set

let cronWords = new Int32Array(0);
let cronCount = 0;
const cronFrom: number[] = [];

/** Parse `count` random expressions (seed 7, the oracle test's set) and a start instant for each. */
export function cronLoad(count: number): number {
  const random = new SeededRandom(7);
  cronWords = new Int32Array(count * CRON_WORDS);
  cronCount = 0;
  cronFrom.length = 0;
  const from2000 = 946_684_800;
  const span = 2_114_380_800 - from2000;
  for (let i = 0; i < count; i++) {
    const { quartz } = randomPair(random);
    const start = from2000 + random.nextInt(span);
    try {
      parseCronInto(quartz, cronWords, cronCount * CRON_WORDS);
    } catch {
      continue; // refused as impossible (the oracle test checks those)
    }
    cronFrom.push(start + 1);
    cronCount++;
  }
  return cronCount;
}

/** Same call shape as cronOne without the search: the overhead to subtract from a measured cronOne. */
export function cronNop(i: number): number {
  return i < 0 ? 0 : cronFrom[i] - cronFrom[i];
}

export function cronOne(i: number): number {
  return cronNext(cronWords, i * CRON_WORDS, cronFrom[i]);
}

/** Every expression's next fire, summed into a checksum (same value in Node and XS). */
export function cronAll(): number {
  let sum = 0;
  for (let i = 0; i < cronCount; i++) sum = (sum + cronNext(cronWords, i * CRON_WORDS, cronFrom[i])) % 1_000_000_007;
  return sum;
}

// ---------------------------------------------------------------- a full scheduler

const silentLog: Log = { write() {} };
const okActions: DeviceActions = {
  execute(_method, _payload, done) {
    runs++;
    done(null);
  },
};
const sink: ScheduleEventSink = {
  post() {
    return true;
  },
};
let runs = 0;
let clock = new StepClock();
let scheduler: Scheduler | null = null;
let properties = new TablePropertySource();

/**
 * A table of `capacity` tasks: a quarter cron, a quarter simple times (day/week/month), an eighth sunrise/sunset,
 * the rest triggers over device properties and the time of day. `idle`: nothing is due in the first hour
 * (planning figures use the random cron set instead).
 */
export function setup(capacity: number, idle: boolean): number {
  clock = new StepClock();
  properties = new TablePropertySource(capacity * 4);
  runs = 0;
  tickCount = 0;
  const counters = new Counters();
  const repository = new MemoryTaskRepository();
  scheduler = new Scheduler({
    clock,
    log: silentLog,
    counters,
    repository,
    actions: okActions,
    events: sink,
    properties,
    site: { latitude: 48.2, longitude: 16.37, timezone: "CET-1CEST,M3.5.0,M10.5.0/3" },
    sn: "GW-XS",
    capacity,
  });
  const random = new SeededRandom(11);
  const action = [{ method: "operate_raw", payload: { addr: "1_1", functionid: "Switch", value: 1 } }];
  for (let i = 0; i < capacity; i++) {
    const kind = i % 8;
    const h = 2 + (i % 20);
    const m = i % 60;
    let cycle: Record<string, unknown>;
    if (kind === 1 && !idle) {
      cycle = { mode: "cron", cron: `${i % 7}/${5 + (i % 11)} * * * * ?` };
    } else if (kind < 2) {
      let cron = `0 ${m} ${h} ? * MON-FRI`;
      if (!idle) {
        for (;;) {
          cron = randomPair(random).quartz;
          try {
            parseCronInto(cron, new Int32Array(CRON_WORDS), 0);
            break;
          } catch {
            continue;
          }
        }
      }
      cycle = { mode: "cron", cron };
    } else if (kind < 4) {
      const period = ["day", "week", "month"][i % 3];
      cycle = { mode: "simple", time: `${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:00`, period, weekday: [1, 3, 5], monthday: [1, 15, 28] };
    } else if (kind === 4) {
      cycle = { mode: "simple", time: i % 2 ? "sunrise+00:15" : "sunset-00:30", period: "day" };
    } else {
      const addr = `${1 + (i % 8)}_1`;
      properties.set("addr", addr, "Ua", 230);
      cycle = {
        mode: "trigger",
        period: "week",
        weekday: [1, 2, 3, 4, 5, 6, 7],
        trigger: { or: [{ and: [{ addr, op: "GT", prop: "Ua", value: 250 }, { op: "GT", prop: "${time}", value: "08:00:00" }] }, { addr, op: "LT", prop: "Ua", value: 180 }] },
      };
    }
    const task = compileTask({ taskId: `t${i}`, enable: 1, priority: 1, cycle, actions: action }, `task ${i}`, properties);
    repository.put({ taskId: task.taskId, json: task.json });
    scheduler.install(task);
  }
  return scheduler.table.count;
}

function need(): Scheduler {
  if (!scheduler) throw new Error("schedule entry: setup first");
  return scheduler;
}

/** Plan every task from the clock's current second (what boot does at the first synced tick). */
export function planAll(): void {
  need().planAll(Math.floor(clock.wall / 1000));
}

let tickCount = 0;

/** `count` gateway ticks of 250 ms each; with `wiggle`, device voltages swing now and then (trigger edges). */
export function ticks(count: number, wiggle = false): void {
  const s = need();
  for (let i = 0; i < count; i++) {
    clock.advance(250);
    s.tick(clock.mono);
    if (wiggle && ++tickCount % 97 === 0) properties.set("addr", `${1 + (tickCount % 8)}_1`, "Ua", tickCount % 3 === 0 ? 170 : tickCount % 3 === 1 ? 260 : 230);
  }
}

/** Next planned fires, runs so far and non-zero counters: to compare Node and XS. */
export function summary(): { nextFires: number[]; runs: number } {
  const s = need();
  const nextFires: number[] = [];
  for (let i = 0; i < s.table.capacity; i++) nextFires.push(s.table.nextFire(i) === Infinity ? -1 : s.table.nextFire(i));
  return { nextFires, runs };
}

const api = {
  cronLoad: (count: number) => reply(cronLoad(count)),
  cronOne,
  cronNop,
  cronAll: () => reply(cronAll()),
  setup: (capacity: number, idle: boolean) => reply(setup(capacity, idle)),
  planAll,
  ticks,
  summary: () => reply(summary()),
};

(globalThis as unknown as { schedule: typeof api }).schedule = api;
