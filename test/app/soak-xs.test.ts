/**
 * The soak inside the real XS engine (sim/soak-xs.ts), the CI length of `npm run soak` (eight simulated hours): the
 * firmware's live heap slots after a collection, at the start (the first half day's quiet end) and at the end, are
 * within the documented bound (HEAP_GROWTH_BOUND_SLOTS, docs/soak.md); the run is the same as in Node, command for
 * command; and the figure does see a leak (a firmware service keeping an object per tick is not flat).
 * XS heap counts are deterministic, so they may be asserted.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { SoakMetrics } from "../../sim/soak";
import { HEAP_GROWTH_BOUND_SLOTS, runSoakXs } from "../../sim/soak-xs";

const site = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8"));
const strategy = JSON.parse(readFileSync(new URL("../../docs/examples/spec-000/create.json", import.meta.url), "utf8")).data;
const counts = (m: SoakMetrics) => ({ ...m, heap: undefined });

/**
 * The same soak in Node, through the command (`npm run soak -- --engine node --json`) in a process of its own: this
 * one has run lockdown for xsnap (test/helpers/xs.ts imports @endo/init), under which the same run is 3x slower.
 */
function nodeSoak(seed: number, hours: number, quietEveryH: number): SoakMetrics {
  const args = ["--import=tsx", "scripts/soak.ts", "--engine", "node", "--json", "--seed", String(seed), "--hours", String(hours), "--quiet-every-h", String(quietEveryH)];
  const out = execFileSync(process.execPath, args, { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n")[0]) as SoakMetrics;
}

/**
 * The CI length: 8 simulated hours with quiet minutes (and heap samples) every 4 hours, so the start figure is
 * taken after 4 hours, when the bounded tables have mostly filled (from 2 h to 4 h they still grew by ~120 slots);
 * `npm run soak` runs days and starts after 12 hours.
 */
const HOURS = 8;
const QUIET_EVERY_H = 4;

test("eight simulated hours in XS: heap flat from the first quiet end (4 h) to the end, the same run as in Node", async (t) => {
  // One XS day is about 4 minutes of interpretation (far more on a loaded machine): a third of it here.
  t.timeout(15 * 60_000);
  const xs = await runSoakXs({ seed: 3, days: HOURS / 24, quietEveryMs: QUIET_EVERY_H * 3_600_000, sampleEveryMs: QUIET_EVERY_H * 3_600_000, site, strategy });
  t.log(JSON.stringify(xs.heap));
  t.is(xs.repliesLost, 0);
  t.is(xs.duplicatesApplied, 0);
  t.true(xs.heap.startSlots > 10_000, `${xs.heap.startSlots} live slots: the firmware and its simulated world were measured`);
  t.true(xs.heap.maxGrowthSlots <= HEAP_GROWTH_BOUND_SLOTS, `grew ${xs.heap.maxGrowthSlots} slots (bound ${HEAP_GROWTH_BOUND_SLOTS}): ${JSON.stringify(xs.heap)}`);
  t.true(xs.heap.flat);
  t.deepEqual(counts(xs), counts(nodeSoak(3, HOURS, QUIET_EVERY_H)), "XS and Node ran the same soak");
});

test("the XS heap figure sees a leak: a firmware service keeping an object per tick is not flat", async (t) => {
  t.timeout(30 * 60_000);
  const leaky = await runSoakXs({ seed: 3, days: 2 / 24, warmMs: 3_600_000, site, strategy, leakingService: true });
  t.log(JSON.stringify(leaky.heap));
  t.false(leaky.heap.flat);
  t.true(leaky.heap.growthSlots > 10 * HEAP_GROWTH_BOUND_SLOTS, `grew ${leaky.heap.growthSlots} slots in the leaking hour`);
});
