/**
 * The gateway's own work per control cycle (issue 15 item 7), in the real XS engine: 1 meter and 4 devices whose
 * slaves answer at once from frames recorded on the simulated site (test/xs/instant-bus.ts), so no simulated
 * physics or line timing is inside the measurement. XS step and slot counts are deterministic: the budget is asserted.
 */
import test from "ava";
import { startXsWithEntry, type XsWorker } from "../helpers/xs";

/** Steps per cycle the firmware may spend on polling, decoding, deciding and encoding (issue 15 item 7). */
const CYCLE_STEP_BUDGET = 20_000;
const CYCLES = 1000;

interface InstantStatus {
  cycles: number;
  alarms: number;
  safe: boolean;
  writes: number;
  exchanges: number;
  unanswered: number;
  problems: string[];
  lateCycles: number;
  devices: { commandW: number; offline: boolean }[];
}

async function measureCycles(keepaliveMs: number, inProcess: boolean): Promise<{ stepsPerCycle: number; heapSlots: number; exchangesPerCycle: number; writesPerCycle: number; status: InstantStatus; xs: XsWorker }> {
  const { xs } = await startXsWithEntry("test/xs/control-entry.ts");
  await xs.run("control.setup(30)");
  await xs.run(`control.instantSetup(200, ${keepaliveMs}, ${inProcess})`);
  const before = (await xs.run("control.instantStatus()")).replies[0] as InstantStatus;
  const measured = await xs.measure("control.instantCycles(0)", `control.instantCycles(${CYCLES})`);
  const status = (await xs.run("control.instantStatus()")).replies[0] as InstantStatus;
  return {
    stepsPerCycle: measured.steps / CYCLES,
    heapSlots: measured.heapSlots,
    exchangesPerCycle: (status.exchanges - before.exchanges) / CYCLES,
    writesPerCycle: (status.writes - before.writes) / CYCLES,
    status,
    xs,
  };
}

function healthy(t: import("ava").ExecutionContext, status: InstantStatus): void {
  t.deepEqual(status.problems, []);
  t.is(status.unanswered, 0, "every request found its recorded answer");
  t.is(status.alarms, 0);
  t.false(status.safe);
  t.is(status.lateCycles, 0);
  t.is(status.devices.length, 4);
  for (const d of status.devices) {
    t.false(d.offline);
    t.true(Number.isFinite(d.commandW));
  }
}

test("a control cycle (1 meter + 4 devices, deadband and keep-alive writes) costs at most 20,000 XS steps and allocates nothing", async (t) => {
  const run = await measureCycles(2000, true);
  try {
    t.log(`${run.stepsPerCycle} steps/cycle, ${run.exchangesPerCycle} exchanges and ${run.writesPerCycle} writes per cycle, ${run.heapSlots} slots per ${CYCLES} cycles`);
    healthy(t, run.status);
    // The keep-alive rewrites each command every 2 s (8 periods): the measurement includes command encoding.
    t.true(run.writesPerCycle >= 0.5, `${run.writesPerCycle} writes per cycle`);
    t.true(run.exchangesPerCycle >= 7, `${run.exchangesPerCycle} exchanges per cycle`);
    t.true(run.stepsPerCycle <= CYCLE_STEP_BUDGET, `${run.stepsPerCycle} steps per cycle, budget ${CYCLE_STEP_BUDGET}`);
    t.is(run.heapSlots, 0);
  } finally {
    await run.xs.close();
  }
});

test("a cycle that rewrites every command, and the same cycle through the RTU master, allocate nothing", async (t) => {
  const allWrites = await measureCycles(0, true);
  try {
    t.log(`every command written: ${allWrites.stepsPerCycle} steps/cycle`);
    healthy(t, allWrites.status);
    t.is(allWrites.writesPerCycle, 4);
    t.is(allWrites.heapSlots, 0);
  } finally {
    await allWrites.xs.close();
  }
  const rtu = await measureCycles(2000, false);
  try {
    t.log(`through the RTU master (framing, CRC, timers): ${rtu.stepsPerCycle} steps/cycle`);
    healthy(t, rtu.status);
    t.is(rtu.heapSlots, 0);
  } finally {
    await rtu.xs.close();
  }
});
