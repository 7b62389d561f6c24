/**
 * Anti-backflow at the edges (issue 15 item 1), on the simulated site: PV stepping between 100 % and 20 % every 5 s
 * (clouds) and PV ramping at 20 % of its rating per second, each run with and without the two measures that target
 * them (ControlOptions.pvFeedForward, essChargeReleasePctPerS), so each test shows what its measure buys.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runScenario, type Scenario, type ScenarioMetrics } from "../../sim/scenario";

function run(name: string, control: Record<string, unknown> = {}): ScenarioMetrics {
  const scenario = JSON.parse(readFileSync(join(import.meta.dirname, "../../sim/scenarios", `${name}.json`), "utf8")) as Scenario;
  scenario.control = { ...scenario.control, ...control };
  return runScenario(scenario);
}

test("PV ramping at 16 kW/s (20 %/s of 80 kW): with the feed-forward of the rise, no export at all; without it, every ramp exports", (t) => {
  const on = run("pv-ramp");
  const off = run("pv-ramp", { pvFeedForward: false });
  t.log(`feed-forward on: ${on.exportEpisodes} episodes, ${on.secondsAboveThreshold} s; off: ${off.exportEpisodes} episodes, longest ${off.longestAboveThresholdS} s, worst ${off.maxExportAboveThresholdW} W`);
  t.true(off.exportEpisodes >= 10, "the ramp is a real edge (the test can fail)");
  t.is(on.exportEpisodes, 0);
  t.is(on.maxExportW, 0);
});

test("PV stepping 100 % <-> 20 % every 5 s: the feed-forward shortens each export; the battery stops charging from the grid after a cloud", (t) => {
  const now = run("pv-steps");
  const noFeedForward = run("pv-steps", { pvFeedForward: false });
  const slowRelease = run("pv-steps", { essChargeReleasePctPerS: 10 });
  t.log(
    `now: longest ${now.longestAboveThresholdS} s (${now.longestAboveThresholdPeriods} periods), ${now.secondsAboveThreshold} s in all, grid charging ${now.gridChargingKwh} kWh; ` +
      `without feed-forward: longest ${noFeedForward.longestAboveThresholdS} s, ${noFeedForward.secondsAboveThreshold} s; ` +
      `charge released at the relaxing rate: grid charging ${slowRelease.gridChargingKwh} kWh, peak ${slowRelease.maxGridChargingW} W`,
  );
  t.true(now.longestAboveThresholdS < noFeedForward.longestAboveThresholdS * 0.8, "the feed-forward cuts the longest export by more than a fifth");
  t.true(now.secondsAboveThreshold < noFeedForward.secondsAboveThreshold * 0.8);
  t.true(now.gridChargingKwh < slowRelease.gridChargingKwh / 2, "charging that anti-backflow no longer needs stops at once");
  // Issue 15 item 1: never more than 2 control periods in a row above the threshold, for steps of any size.
  t.true(now.longestAboveThresholdPeriods <= 2, `${now.longestAboveThresholdPeriods} periods`);
});

test("a load drop while the battery discharges on its schedule: the swing to charging overshoots the needed correction by at most 10 %", (t) => {
  const m = run("drop-while-discharging");
  t.log(`overshoot ${m.maxOvershootPct} %, largest ESS command ${m.maxAbsEssCommandW} W, export ${m.secondsAboveThreshold} s (longest ${m.longestAboveThresholdS} s)`);
  t.true(m.maxExportW > 10_000, "the drop did cause export (the step is real)");
  t.true(m.maxOvershootPct <= 10, `${m.maxOvershootPct} %`);
});
