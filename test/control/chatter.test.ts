/**
 * No chatter (issue 15 item 4): demand is a 15-minute quantity, so on a steady noisy load the battery's demand
 * setpoint moves rarely and little (the demand bound uses a smoothed base, DemandWindow.smoothBaseW), while the
 * limit still holds and anti-backflow keeps the raw base.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runScenario, type Scenario } from "../../sim/scenario";
import { evaluateGoals, type ScenarioGoal } from "../../sim/report/goals";
import { DemandWindow } from "../../src/control/demand";

test("demand-steady-noisy: the battery's setpoint barely moves and demand stays within the limit", (t) => {
  const scenario = JSON.parse(readFileSync(join(import.meta.dirname, "../../sim/scenarios/demand-steady-noisy.json"), "utf8")) as Scenario & { goals?: ScenarioGoal[] };
  const m = runScenario(scenario);
  const hours = m.durationS / 3600;
  t.log({ writesPerHour: Math.round(m.setpointWrites / hours), travelKwPerHour: m.setpointTravelKwPerHour, meanChangeW: m.meanSetpointChangeW, maxDemandW: m.maxDemandW });
  for (const goal of evaluateGoals(scenario, m)) t.true(goal.pass, `${goal.goal}: ${goal.measured}`);
  t.true(m.essDischargedKwh > 0, "the battery does cover the excess");
});

test("smoothBaseW: a first-order filter with time constant tau; restarts after a pause or a step back in time", (t) => {
  const w = new DemandWindow();
  t.is(w.smoothBaseW(100_000, 0, 20_000, 20_000), 100_000);
  // One period of 250 ms moves it by 250 / (20 000 + 250) of the step.
  const after = w.smoothBaseW(110_000, 250, 20_000, 20_000);
  t.true(Math.abs(after - (100_000 + (10_000 * 250) / 20_250)) < 1e-6, String(after));
  // Noise averages out: +-2 kW alternating for 60 s stays within a few hundred W of the mean.
  let v = 0;
  for (let i = 2; i < 242; i++) v = w.smoothBaseW(i % 2 === 0 ? 112_000 : 108_000, i * 250, 20_000, 20_000);
  t.true(Math.abs(v - 110_000) < 2500, String(v));
  // After more than four time constants without a sample, it starts again from the new value.
  t.is(w.smoothBaseW(50_000, 242 * 250 + 100_000, 20_000, 100_000), 50_000);
  // A step larger than jumpW is taken at once (a load step is covered in the same decision).
  t.is(w.smoothBaseW(80_000, 242 * 250 + 100_250, 20_000, 10_000), 80_000);
  t.is(w.smoothBaseW(60_000, 1000, 20_000, 100_000), 60_000, "time going back restarts it");
  w.reset();
  t.is(w.smoothBaseW(70_000, 5000, 20_000, 100_000), 70_000, "reset forgets it");
});
