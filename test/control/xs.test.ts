/** The control loop in the real XS engine: it runs, and a steady-state cycle allocates nothing. */
import test from "ava";
import { startXsWithEntry, type XsWorker } from "../helpers/xs";

let xs: XsWorker;

test.before(async () => {
  xs = (await startXsWithEntry("test/xs/control-entry.ts")).xs;
  await xs.run("control.setup(30)");
});

test.after.always(async () => {
  await xs?.close();
});

test.serial("in XS the loop reads, decides and writes every period without overruns or alarms", async (t) => {
  const run = await xs.run("control.status()");
  const status = run.replies[0] as { cycles: number; busOverruns: number; lateCycles: number; problems: string[]; alarms: number; safe: boolean; devices: { commandW: number }[] };
  t.true(status.cycles >= 119, `${status.cycles} cycles`);
  t.is(status.busOverruns, 0);
  t.is(status.lateCycles, 0);
  t.deepEqual(status.problems, []);
  t.is(status.alarms, 0);
  t.false(status.safe);
  t.is(status.devices.length, 4);
  for (const d of status.devices) t.true(Number.isFinite(d.commandW));
});

test.serial("1000 control periods (with the simulated site) allocate no heap slot", async (t) => {
  const measured = await xs.measure("control.periods(0)", "control.periods(1000)");
  t.log(measured);
  t.is(measured.heapSlots, 0);
  const site = await xs.measure("control.sitePeriods(0)", "control.sitePeriods(1000)");
  t.log(site);
  t.is(site.heapSlots, 0);
  t.true(measured.steps > site.steps);
  const decide = await xs.measure("control.decide(0)", "control.decide(1000)");
  t.log(decide);
  t.is(decide.heapSlots, 0);
});
