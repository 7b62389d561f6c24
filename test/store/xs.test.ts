/**
 * The store in the real XS engine (@agoric/xsnap): the same scenario gives the same result as in Node (state digest,
 * flash operation counts, power-cut outcomes), and a steady-state update allocates nothing.
 */
import test from "ava";
import { startXsWithEntry, type XsWorker } from "../helpers/xs";
import { scenario, type ScenarioSummary } from "./xs-scenario";

let xs: XsWorker;

test.before(async () => {
  ({ xs } = await startXsWithEntry("test/xs/store-entry.ts"));
});

test.after.always(async () => {
  await xs?.close();
});

test.serial("XS opens, commits, reboots and recovers exactly like Node, power cuts included", async (t) => {
  const inXs = (await xs.run("storeHarness.scenario(5)")).replies[0] as ScenarioSummary;
  const inNode = scenario(5);
  t.deepEqual(inXs, inNode);
  t.true(inXs.recoveredAfterReboot);
  t.is(inXs.strategies, 64);
  t.is(inXs.tasks, 256);
  t.true(inXs.setChangesState);
  t.regex(inXs.cuts, /^B+A*$/, "each cut leaves the old set or the new one");
  t.true(inXs.cuts.length > 10, `${inXs.cuts.length} cut points`);
});

test.serial("a steady-state update allocates nothing in XS (0 heap slots over 1000 updates)", async (t) => {
  await xs.run("storeHarness.load(9)");
  await xs.run("storeHarness.peakUpdates(2000)"); // warm: the ring has come round, GC runs during the measurement
  const cost = await xs.measure("storeHarness.peakUpdates(0)", "storeHarness.peakUpdates(1000)");
  t.log(`1000 updates: ${cost.steps} XS steps, ${cost.heapSlots} heap slots`);
  t.is(cost.heapSlots, 0);
  // Deterministic, so a generous ceiling catches a regression without pinning the exact figure (bench/store.bench.ts
  // reports it: ~40k steps on average in this nearly full store, garbage collection and simulated flash included).
  t.true(cost.steps / 1000 < 60_000, `${cost.steps / 1000} steps per update`);
});
