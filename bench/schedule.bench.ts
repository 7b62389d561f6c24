/**
 * Scheduler figures in the real XS engine (deterministic step and heap-slot counts):
 * - xs_steps_cron_next_avg / _max: one next-fire search over the 10,000 random expressions of the cron-parser
 *   oracle test (call overhead subtracted);
 * - xs_steps_plan_tasks: planning a full table of 256 tasks (cron from the random set, simple times, sunrise/sunset,
 *   triggers) at the first synced tick;
 * - xs_steps_idle_scheduler_tick: an idle 250 ms tick with that table (96 trigger tasks evaluated once a second);
 * - xs_heap_slots_per_1000_idle_scheduler_ticks: target 0.
 */
import { startXsWithEntry } from "../test/helpers/xs";

const ENTRY = new URL("../test/xs/schedule-entry.ts", import.meta.url).pathname;

export default async function scheduleBench(): Promise<Record<string, number>> {
  const { xs } = await startXsWithEntry(ENTRY);
  try {
    const count = (await xs.run("schedule.cronLoad(10000)")).replies[0] as number;
    let total = 0;
    let max = 0;
    // The call overhead depends only on the script text's length (the index's digit count).
    const overheads = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const digits = String(i).length;
      if (!overheads.has(digits)) overheads.set(digits, (await xs.run(`schedule.cronNop(${i})`)).compute);
      const steps = (await xs.run(`schedule.cronOne(${i})`)).compute - overheads.get(digits)!;
      total += steps;
      if (steps > max) max = steps;
    }
    await xs.run("schedule.setup(256, false)");
    const plan = await xs.measure("schedule.ticks(0)", "schedule.planAll()");
    await xs.run("schedule.setup(256, true)");
    await xs.run("schedule.ticks(8)");
    const idle = await xs.measure("schedule.ticks(0)", "schedule.ticks(1000)");
    return {
      xs_steps_cron_next_avg: Math.round(total / count),
      xs_steps_cron_next_max: max,
      xs_steps_plan_tasks: plan.steps,
      xs_steps_idle_scheduler_tick: Math.round(idle.steps / 1000),
      xs_heap_slots_per_1000_idle_scheduler_ticks: idle.heapSlots,
    };
  } finally {
    await xs.close();
  }
}
