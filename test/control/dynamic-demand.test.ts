/** Dynamic demand: threshold = max(limit, pct % of the month's peak), the peak persisted and reset each month. */
import test from "ava";
import { PeakTracker } from "../../src/control/demand";
import { monthKeyOf, type PeakDemandStore } from "../../src/control/strategy-input";
import { makeCore } from "./harness";

class Store implements PeakDemandStore {
  saves: [number, number][] = [];
  constructor(public value: { monthKey: number; peakW: number } | null) {}
  load() {
    return this.value;
  }
  save(monthKey: number, peakW: number) {
    this.saves.push([monthKey, peakW]);
    this.value = { monthKey, peakW };
  }
}

test("threshold is the limit until pct % of the peak exceeds it", (t) => {
  const peak = new PeakTracker(null, 1000);
  peak.setMonth(202606);
  t.is(peak.thresholdW(100_000, true, 90, 0), 100_000);
  peak.observe(150_000);
  t.is(peak.thresholdW(100_000, true, 90, 0), 135_000);
  t.is(peak.thresholdW(100_000, false, 90, 0), 100_000, "dynamic off: the limit");
  // The platform's seed is a floor for the peak.
  t.is(peak.thresholdW(100_000, true, 90, 200_000), 180_000);
});

test("the peak is restored for the same month only, persisted in steps, reset at rollover", (t) => {
  const store = new Store({ monthKey: 202606, peakW: 120_000 });
  const peak = new PeakTracker(store, 1000);
  peak.restore(202606);
  t.is(peak.peakW, 120_000);
  t.false(peak.observe(110_000));
  t.true(peak.observe(120_500));
  t.deepEqual(store.saves, [], "a 500 W rise is below the persist step");
  peak.observe(121_000);
  t.deepEqual(store.saves, [[202606, 121_000]]);
  // Month rollover: the new month starts from zero and the store is told at once.
  t.true(peak.setMonth(202607));
  t.is(peak.peakW, 0);
  t.deepEqual(store.saves[1], [202607, 0]);
  // A stored peak of another month is not taken.
  const other = new PeakTracker(new Store({ monthKey: 202605, peakW: 300_000 }), 1000);
  other.restore(202606);
  t.is(other.peakW, 0);
});

test("month keys follow the site's time zone (China, +8 h, no DST)", (t) => {
  t.is(monthKeyOf(Date.UTC(2026, 5, 30, 15, 59, 59), 480), 202606);
  t.is(monthKeyOf(Date.UTC(2026, 5, 30, 16, 0, 0), 480), 202607);
  t.is(monthKeyOf(Date.UTC(2024, 1, 29, 12), 480), 202402);
  t.is(monthKeyOf(Date.UTC(2025, 11, 31, 16), 480), 202601);
  t.is(monthKeyOf(Date.UTC(1999, 0, 1), 0), 199901);
});

test("core: with a stored peak of 150 kW and 90 %, the battery lets demand rise to 135 kW (x 0.98)", (t) => {
  const store = new Store({ monthKey: 202606, peakW: 150_000 });
  const h = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], { hysteresisW: 0 }, store);
  const s = h.core.settings;
  s.overDemand = true;
  s.demandLimitW = 100_000;
  s.dynamicDemand = true;
  s.dynamicDemandPct = 90;
  s.monthKey = 202606;
  h.core.peak.restore(202606);
  for (let i = 0; i < 15 * 60 * 4; i++) h.cycle({ load: 130_000 });
  // 130 kW is under 132.3 kW (135 x 0.98): nothing to do, where a plain 100 kW limit would discharge 32 kW.
  t.deepEqual(h.cycle({ load: 130_000 }), [0]);
  t.true(Math.abs(h.core.thresholdW - 135_000) < 1e-6);
  // Month rollover (the provider sets the new month): the peak resets, the limit applies again.
  s.monthKey = 202607;
  for (let i = 0; i < 8; i++) h.cycle({ load: 130_000 });
  t.is(h.core.thresholdW, 100_000);
  t.deepEqual(store.saves.at(-1), [202607, 0]);
});

test("core: the month's peak is tracked from full windows and persisted", (t) => {
  const store = new Store(null);
  const h = makeCore([{ kind: "ess", id: 3, ratedW: 100_000 }], {}, store);
  const s = h.core.settings;
  s.dynamicDemand = true;
  s.dynamicDemandPct = 80;
  s.monthKey = 202606;
  h.core.peak.restore(202606);
  for (let i = 0; i < 16 * 60 * 4; i++) h.cycle({ load: 70_000 });
  t.true(Math.abs(h.core.peak.peakW - 70_000) < 200);
  t.true(store.saves.length >= 1);
  t.is(store.saves.at(-1)![0], 202606);
});
