/** The 15-minute sliding demand window (1-minute slip) and the demand controller, cycle by cycle. */
import test from "ava";
import { Alarm } from "../../src/control/core";
import { DemandWindow } from "../../src/control/demand";
import { makeCore } from "./harness";

const MIN = 60_000;

/** Feed a constant import for `minutes` minutes, one sample per second, starting at `fromMs`. */
function feed(window: DemandWindow, fromMs: number, minutes: number, watts: number, limitW: number): number {
  let t = fromMs;
  for (let i = 0; i < minutes * 60; i++, t += 1000) window.sample(t, watts, limitW);
  return t;
}

test("demand is the mean of the last 15 closed minutes; minutes not seen count at the limit", (t) => {
  const w = new DemandWindow();
  const end = feed(w, 0, 15, 90_000, 100_000);
  w.sample(end, 90_000, 100_000);
  t.is(w.closedMinutes, 15);
  t.true(Math.abs(w.lastDemandW - 90_000) < 1e-6);
  // Starting mid-minute: the unseen first half counts at the limit.
  const v = new DemandWindow();
  const stop = feed(v, 30_000, 15, 80_000, 100_000);
  v.sample(stop, 80_000, 100_000);
  t.is(v.closedMinutes, 15);
  t.true(Math.abs(v.lastDemandW - (14 * 80_000 + (0.5 * 100_000 + 0.5 * 80_000)) / 15) < 1e-6);
});

test("allowed import: the minute's budget, minus what was overdrawn, spread over what remains", (t) => {
  const w = new DemandWindow();
  let now = feed(w, 0, 14, 100_000, 100_000);
  // 14 minutes at the limit: this minute may average 100 kW.
  w.sample(now, 100_000, 100_000);
  t.true(Math.abs(w.allowedImportW(now, 100_000, 10_000) - 100_000) < 1e-6);
  // First half of the minute at 120 kW: 0.6 kWmin overdrawn over the 30 s left: 100 - 20 = 80 kW.
  now = feed(w, now, 0.5, 120_000, 100_000);
  w.sample(now, 120_000, 100_000);
  t.true(Math.abs(w.allowedImportW(now, 100_000, 10_000) - 80_000) < 1e-6);
  t.true(Math.abs(w.predictedDemandW(now, 80_000, 100_000) - 100_000) < 1e-6);
  // Earlier minutes below the limit do not allow more than the limit: they slide out of the window before this minute.
  const v = new DemandWindow();
  const at = feed(v, 0, 14, 50_000, 100_000);
  v.sample(at, 50_000, 100_000);
  t.true(Math.abs(v.allowedImportW(at, 100_000, 10_000) - 100_000) < 1e-6);
  // Earlier minutes above it (an overshoot the battery could not cover) lower this minute's budget.
  const u = new DemandWindow();
  let when = feed(u, 0, 13, 100_000, 100_000);
  when = feed(u, when, 1, 115_000, 100_000);
  u.sample(when, 100_000, 100_000);
  t.true(Math.abs(u.minuteBudgetW(100_000) - 85_000) < 1e-6);
});

test("in the last seconds of a minute an overdraw is spread over 10 s, not demanded at once", (t) => {
  const w = new DemandWindow();
  let now = feed(w, 0, 14, 100_000, 100_000);
  now = feed(w, now, 59 / 60, 101_000, 100_000);
  w.sample(now, 101_000, 100_000);
  // 59 s at 101 kW: 59 kWs over budget with 1 s left. Exact: 100 - 59 = 41 kW; spread: 100 - 5.9 = 94.1 kW.
  t.true(Math.abs(w.allowedImportW(now, 100_000, 10_000) - 94_100) < 1e-6);
  t.true(Math.abs(w.allowedImportW(now, 100_000, 1000) - 41_000) < 1e-6);
});

test("a gap longer than a window closes at most a window of held minutes; backward time is ignored", (t) => {
  const w = new DemandWindow();
  w.sample(0, 50_000, 100_000);
  w.sample(40 * MIN, 50_000, 100_000);
  t.true(w.closedMinutes >= 15);
  t.true(Math.abs(w.lastDemandW - 50_000) < 1e-6);
  w.sample(39 * MIN, 50_000, 100_000);
  t.is(w.backwardSamples, 1);
});

test("demand control: the ESS discharges only what keeps the window under the limit, cycle by cycle", (t) => {
  const { cycle, core } = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], { demandSafetyPct: 0, hysteresisW: 0 });
  core.settings.overDemand = true;
  core.settings.demandLimitW = 100_000;
  // 14 minutes at 100 kW (at the limit) then a 130 kW load: the ESS covers 30 kW at once.
  for (let i = 0; i < 14 * 60 * 4; i++) cycle({ load: 100_000 });
  const first = cycle({ load: 130_000 });
  t.true(Math.abs(first[0] - 30_000) < 1500, `ESS ${first[0]}`);
  t.is(core.alarms & Alarm.DemandShort, 0);
  // Below the limit nothing is done.
  const low = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], { demandSafetyPct: 0, hysteresisW: 0 });
  low.core.settings.overDemand = true;
  low.core.settings.demandLimitW = 100_000;
  for (let i = 0; i < 14 * 60 * 4; i++) low.cycle({ load: 60_000 });
  t.deepEqual(low.cycle({ load: 95_000 }), [0]);
});

test("demand control keeps the safety margin below the threshold", (t) => {
  const { cycle, core } = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], { demandSafetyPct: 2, hysteresisW: 0 });
  core.settings.overDemand = true;
  core.settings.demandLimitW = 100_000;
  for (let i = 0; i < 14 * 60 * 4; i++) cycle({ load: 98_000 });
  const out = cycle({ load: 110_000 });
  // The window is at 98 kW (the 2 % margin under 100 kW), the first partial minute counted at the limit.
  t.true(out[0] >= 11_500 && out[0] <= 17_000, `ESS ${out[0]}`);
  t.is(core.alarms, 0);
  t.true(Math.abs(core.thresholdW - 100_000) < 1e-6);
});

test("anti-backflow wins over demand when both cannot hold", (t) => {
  const { cycle, core } = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], { demandSafetyPct: 0, hysteresisW: 0 });
  core.settings.overDemand = true;
  core.settings.demandLimitW = 1_000;
  core.settings.antiBackflow = true;
  core.settings.marginW = 5_000;
  for (let i = 0; i < 20; i++) cycle({ load: 10_000 });
  // Demand wants import <= 1 kW, anti-backflow import >= 5 kW: the ESS holds 5 kW of import.
  const out = cycle({ load: 10_000 });
  t.is(out[0], 5_000);
  t.true(core.conflicts > 0);
});
