/**
 * The scheduler in the real XS engine: same answers as Node (no Intl, no Date local time), and the idle tick of a
 * full task table allocates nothing.
 */
import test from "ava";
import { startXsWithEntry } from "../helpers/xs";
import * as entry from "../xs/schedule-entry";

const ENTRY = new URL("../xs/schedule-entry.ts", import.meta.url).pathname;

test("XS: cron next fires over the random set, planning and an hour of ticks equal the Node run", async (t) => {
  const { xs } = await startXsWithEntry(ENTRY);
  try {
    const count = (await xs.run("schedule.cronLoad(2000)")).replies[0];
    t.is(count, entry.cronLoad(2000));
    t.is((await xs.run("schedule.cronAll()")).replies[0], entry.cronAll());
    await xs.run("schedule.setup(64, false)");
    entry.setup(64, false);
    await xs.run("schedule.ticks(4 * 3600, true)");
    entry.ticks(4 * 3600, true);
    const ours = (await xs.run("schedule.summary()")).replies[0] as { nextFires: number[]; runs: number };
    t.deepEqual(ours, entry.summary());
    t.true(ours.runs > 500, `only ${ours.runs} runs in an hour`);
  } finally {
    await xs.close();
  }
});

test("XS: 1000 idle scheduler ticks with a full table (256 tasks, 96 triggers) allocate 0 heap slots", async (t) => {
  const { xs } = await startXsWithEntry(ENTRY);
  try {
    await xs.run("schedule.setup(256, true)");
    await xs.run("schedule.ticks(8)"); // first synced tick plans everything
    const cost = await xs.measure("schedule.ticks(0)", "schedule.ticks(1000)");
    t.log(`1000 idle ticks: ${cost.steps} XS steps, ${cost.heapSlots} heap slots`);
    t.is(cost.heapSlots, 0);
    t.true(cost.steps > 0);
  } finally {
    await xs.close();
  }
});
