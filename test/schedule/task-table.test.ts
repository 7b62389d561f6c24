/**
 * The task table's storage: pools compacted on every change, slots and pools grown by need and never beyond their
 * bounds, 33-bit start/end times, the one fire array shared by timed (next fire) and trigger (last fire) tasks.
 */
import test from "ava";
import { SeededRandom } from "../../hal/sim/random";
import { CRON_WORDS, cronWordsUsed, W_FLAGS } from "../../src/schedule/cron";
import { TablePropertySource } from "../../src/schedule/ports";
import { compileTask, KIND_SUNRISE, KIND_SUNSET, KIND_TRIGGER, MAX_TIMESTAMP, type CompiledTask } from "../../src/schedule/task";
import { SLOT_USED, SUN_OFFSET_WORD, TaskTable } from "../../src/schedule/task-table";
import { makeFixture, task, utc } from "./fixture";

const properties = new TablePropertySource(1024);
const action = [{ method: "operate_raw", payload: { addr: "1_1", functionid: "Switch", value: 1 } }];

const CYCLES: ((i: number) => Record<string, unknown>)[] = [
  (i) => ({ mode: "cron", cron: `0 ${i % 60} * * * ?` }),
  (i) => ({ mode: "cron", cron: `0 ${i % 60} 1 ? * MON-FRI` }),
  (i) => ({ mode: "cron", cron: `0 0 ${i % 24} 1 1 ? 2030-2040` }),
  () => ({ mode: "simple", time: "08:00:00", period: "week", weekday: [1, 3] }),
  () => ({ mode: "simple", time: "sunset-00:30", period: "day" }),
  (i) => ({
    mode: "trigger",
    trigger: { or: [{ addr: `${i}_1`, op: "GT", prop: "Ua", value: 250 + i }, { and: [{ op: "GT", prop: "${time}", value: "08:00:00" }, { addr: "1_1", op: "EX", prop: "Ub" }] }] },
  }),
];

function compiled(id: string, kind: number, i: number, extra: Record<string, unknown> = {}): CompiledTask {
  return compileTask({ taskId: id, cycle: CYCLES[kind](i), actions: action, ...extra }, id, properties);
}

/** What the table must hold for `task`: the prefix of its words the planner reads (and a sun task's offset). */
function expectedWords(task: CompiledTask): number[] {
  if (task.kind === KIND_TRIGGER) return Array.from(task.words.subarray(0, 4));
  if (task.kind === KIND_SUNRISE || task.kind === KIND_SUNSET) return [...task.words.subarray(0, SUN_OFFSET_WORD), task.sunOffset];
  return Array.from(task.words.subarray(0, cronWordsUsed(task.words[W_FLAGS])));
}

function check(t: import("ava").ExecutionContext, table: TaskTable, model: Map<string, CompiledTask>): void {
  t.is(table.count, model.size);
  let words = 0;
  let nodes = 0;
  for (const [id, task] of model) {
    const slot = table.find(id);
    t.true(slot >= 0 && (table.flags[slot] & SLOT_USED) !== 0, id);
    const expected = expectedWords(task);
    t.deepEqual(Array.from(table.words.subarray(table.wordStart[slot], table.wordStart[slot] + expected.length)), expected, id);
    const length = task.trigger ? task.trigger.length : 0;
    t.is(table.triggerLength[slot], length);
    if (task.trigger) {
      const start = table.triggerStart[slot];
      t.deepEqual(Array.from(table.triggerOps.subarray(start, start + length)), Array.from(task.trigger.ops.subarray(0, length)));
      t.deepEqual(Array.from(table.triggerValues.subarray(start, start + length)), Array.from(task.trigger.values.subarray(0, length)));
    }
    t.is(table.startTime(slot), task.startTime);
    t.is(table.endTime(slot), task.endTime);
    t.is(table.priority[slot], task.priority);
    words += expected.length;
    nodes += length;
  }
  // Compacted: the used parts are exactly what the tasks need.
  t.is(table.wordsUsed, words);
  t.is(table.triggerUsed, nodes);
}

test("random puts, replacements and removals keep every task's words and nodes, compacted, within the bounds", (t) => {
  const random = new SeededRandom(3);
  const capacity = 24;
  const table = new TaskTable(capacity, 64);
  const model = new Map<string, CompiledTask>();
  for (let step = 0; step < 600; step++) {
    const id = `t${random.nextInt(36)}`;
    if (random.nextInt(3) === 0 && model.has(id)) {
      table.remove(table.find(id));
      model.delete(id);
    } else {
      const task = compiled(id, random.nextInt(CYCLES.length), step, { priority: random.nextInt(1_000_001) });
      const nodes = table.triggerUsed + (task.trigger ? task.trigger.length : 0) - (model.get(id)?.trigger?.length ?? 0);
      if ((!model.has(id) && model.size === capacity) || nodes > table.triggerCapacity) continue; // commands refuse these
      table.put(task);
      model.set(id, task);
    }
    check(t, table, model);
    const nodeCapacity = (table.triggerOps as Int32Array | undefined)?.length ?? 0;
    t.true(table.slots <= capacity && table.words.length <= capacity * CRON_WORDS && nodeCapacity <= table.triggerCapacity);
  }
  table.clear();
  model.clear();
  check(t, table, model);
});

test("nothing is allocated before the first task; growth stops at the high-water mark", (t) => {
  const table = new TaskTable(64, 512);
  t.is(table.slots, 0);
  t.is(table.words as Int32Array | undefined, undefined);
  t.is(table.triggerOps as Int32Array | undefined, undefined);
  const tasks = Array.from({ length: 64 }, (_, i) => compiled(`t${i}`, i % CYCLES.length, i));
  table.reserveFor(tasks);
  for (const task of tasks) table.put(task);
  t.is(table.slots, 64);
  const arrays = [table.fire, table.words, table.triggerOps, table.ids];
  // Replacing the whole set again and again (SET after SET) reuses what is there.
  for (let round = 0; round < 5; round++) {
    table.clear();
    table.reserveFor(tasks);
    for (const task of tasks) table.put(task);
  }
  t.deepEqual([table.fire, table.words, table.triggerOps, table.ids], arrays);
  t.is(table.count, 64);
});

test("start and end times past 2106 (33 bits) are kept exactly and still act", (t) => {
  const table = new TaskTable(4, 64);
  const late = compiled("late", 0, 0, { startTime: 4_294_967_296 + 5, endTime: MAX_TIMESTAMP });
  const slot = table.put(late);
  t.is(table.startTime(slot), 4_294_967_301);
  t.is(table.endTime(slot), MAX_TIMESTAMP);
  // A task that starts after 2106 is not in effect now: it neither fires nor silences a lower priority.
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 59, 0) });
  f.add(task("future", { mode: "simple", time: "18:00:00", period: "day" }, { priority: 5, startTime: 4_294_967_296 + 60 }));
  f.add(task("now", { mode: "simple", time: "18:00:00", period: "day" }, { priority: 1, endTime: MAX_TIMESTAMP }));
  f.runUntil(utc(2026, 5, 1, 10, 1));
  t.deepEqual(f.sink.runs(), ["now:1:0"]);
  t.is(f.scheduler.nextFireOf("future"), utc(2106, 2, 7, 10, 0));
});

test("a trigger's last fire survives a time-zone change: it does not fire again after a short backward jump", (t) => {
  const f = makeFixture({ wallStart: utc(2026, 5, 1, 9, 0, 0) });
  f.properties.set("addr", "1_1", "Ua", 230);
  f.add(task("edge", { mode: "trigger", trigger: { addr: "1_1", op: "GT", prop: "Ua", value: 250 } }));
  f.run(3000);
  f.properties.set("addr", "1_1", "Ua", 260);
  f.run(2000);
  t.deepEqual(f.sink.runs(), ["edge:1:0"]);
  t.is(f.scheduler.nextFireOf("edge"), Infinity);
  f.scheduler.setTimeZone("CET-1CEST,M3.5.0,M10.5.0/3");
  // Back 10 s, a falling and a rising edge: the clock has not passed the last fire yet, so no second run.
  f.loop.setWall(f.loop.wallMs() - 10_000);
  f.properties.set("addr", "1_1", "Ua", 230);
  f.run(2000);
  f.properties.set("addr", "1_1", "Ua", 260);
  f.run(2000);
  t.deepEqual(f.sink.runs(), ["edge:1:0"]);
  // Once past it, a new edge fires.
  f.run(10_000);
  f.properties.set("addr", "1_1", "Ua", 230);
  f.run(2000);
  f.properties.set("addr", "1_1", "Ua", 260);
  f.run(2000);
  t.deepEqual(f.sink.runs(), ["edge:1:0", "edge:1:0"]);
});
