/**
 * Anti-backflow, cycle by cycle: grid reading and actual powers in, commands out. Margin 2 kW, hysteresis 1 kW,
 * dead band 200 W, ramps 10 %/s, period 250 ms (ESS 100 kW: 2.5 kW per cycle; PV 80 kW: 2 kW per cycle).
 */
import test from "ava";
import { Alarm } from "../../src/control/core";
import { essAndPv, makeCore } from "./harness";

test("load drop: the ESS absorbs the surplus at once, then holds; PV stays unlimited", (t) => {
  const { cycle, core } = essAndPv();
  // Load 100 kW, PV 60 kW: 40 kW import, nothing to do.
  t.deepEqual(cycle({ grid: 40_000, actual: [0, 60_000] }), [0, 80_000]);
  // Load drops to 20 kW: 40 kW export. B = 20 kW, bound 18 kW, minus 1 kW hysteresis: ESS charges 43 kW at once.
  t.deepEqual(cycle({ grid: -40_000, actual: [0, 60_000] }), [-43_000, 80_000]);
  t.true(core.tightenings === 1);
  // The PCS is halfway (lag): B is still 20 kW, so the decision is the same as if it had arrived: no integrator,
  // no overshoot. The only move is the relaxation to half the hysteresis (2.5 kW import), one 500 W step.
  t.deepEqual(cycle({ grid: -18_500, actual: [-21_500, 60_000] }), [-42_500, 80_000]);
  // Arrived and settled at 2.5 kW import: hold.
  t.deepEqual(cycle({ grid: 2500, actual: [-42_500, 60_000] }), [-42_500, 80_000]);
  // Measurement noise of +-150 W stays inside the dead band: hold.
  t.deepEqual(cycle({ grid: 2650, actual: [-42_500, 60_000] }), [-42_500, 80_000]);
  t.deepEqual(cycle({ grid: 2350, actual: [-42_500, 60_000] }), [-42_500, 80_000]);
  t.is(core.alarms, 0);
});

test("load returns: the ESS relaxes back toward 0 by its ramp (2.5 kW per 250 ms), not at once", (t) => {
  const { cycle } = essAndPv();
  cycle({ grid: 40_000, actual: [0, 60_000] });
  cycle({ grid: -40_000, actual: [0, 60_000] });
  t.deepEqual(cycle({ grid: 85_000, actual: [-43_000, 60_000] }), [-40_500, 80_000]);
  t.deepEqual(cycle({ grid: 82_500, actual: [-40_500, 60_000] }), [-38_000, 80_000]);
  t.deepEqual(cycle({ grid: 80_000, actual: [-38_000, 60_000] }), [-35_500, 80_000]);
});

test("a full battery cannot charge: PV is curtailed at once, then its limit creeps up only while there is room", (t) => {
  const { cycle } = essAndPv();
  const soc = [96, 0];
  t.deepEqual(cycle({ grid: 40_000, actual: [0, 60_000], soc }), [0, 80_000]);
  // 40 kW export, ESS full: PV limit = B - margin - hysteresis = 20 - 2 - 1 = 17 kW.
  t.deepEqual(cycle({ grid: -40_000, actual: [0, 60_000], soc }), [0, 17_000]);
  // PV at its limit (binding): it may be able to give more; relax toward 17.5 kW.
  t.deepEqual(cycle({ grid: 3000, actual: [0, 17_000], soc }), [0, 17_500]);
  t.deepEqual(cycle({ grid: 2500, actual: [0, 17_500], soc }), [0, 17_500]);
  // The load rises to 30 kW: room for 10 kW more; the limit rises 2 kW (10 %/s of 80 kW) per cycle.
  t.deepEqual(cycle({ grid: 12_500, actual: [0, 17_500], soc }), [0, 19_500]);
  t.deepEqual(cycle({ grid: 10_500, actual: [0, 19_500], soc }), [0, 21_500]);
});

test("PV limit is released entirely once it no longer binds", (t) => {
  const { cycle } = essAndPv();
  const soc = [96, 0];
  cycle({ grid: -40_000, actual: [0, 60_000], soc });
  // Load is back to 100 kW and the sun dropped to 19 kW: the limit creeps up and is dropped once above production.
  let out = cycle({ grid: 83_000, actual: [0, 17_000], soc });
  for (let i = 0; i < 3; i++) out = cycle({ grid: 81_000, actual: [0, 19_000], soc });
  t.deepEqual(out, [0, 80_000]);
});

test("the margin is kept when the PV stays below it: no action for a small surplus", (t) => {
  const { cycle } = essAndPv();
  // 2.5 kW import with PV: above the 2 kW margin, nothing to do.
  t.deepEqual(cycle({ grid: 2500, actual: [0, 60_000] }), [0, 80_000]);
  // 1.5 kW: below the margin: the ESS charges 1.5 kW (to 3 kW import: margin + hysteresis).
  t.deepEqual(cycle({ grid: 1500, actual: [0, 60_000] }), [-1_500, 80_000]);
});

test("a surplus larger than everything available raises the export alarm", (t) => {
  const { cycle, core, alarms } = makeCore([{ kind: "ess", id: 3, ratedW: 20_000 }]);
  core.settings.antiBackflow = true;
  core.settings.marginW = 0;
  t.deepEqual(cycle({ grid: -50_000, actual: [0] }), [-20_000]);
  t.true((core.alarms & Alarm.ExportShort) !== 0);
  t.deepEqual(alarms, [`+${Alarm.ExportShort}`]);
  t.true(core.exportShortW > 29_000);
});

test("the ESS schedule (base) is followed while no constraint binds, and overridden when one does", (t) => {
  const { cycle, devices } = essAndPv();
  devices[0].baseW = 30_000;
  // Discharge 30 kW as scheduled: relaxing from 0 toward it by 2.5 kW per cycle.
  t.deepEqual(cycle({ grid: 40_000, actual: [0, 60_000] }), [2_500, 80_000]);
  t.deepEqual(cycle({ grid: 37_500, actual: [2_500, 60_000] }), [5_000, 80_000]);
  // A load drop: B = 20 kW: the schedule's discharge would export; the ESS charges instead, at once.
  t.deepEqual(cycle({ grid: -45_000, actual: [5_000, 60_000] }), [-43_000, 80_000]);
});

test("per-phase anti-backflow: one exporting phase is enough to act; the total alone would not", (t) => {
  const { cycle, core } = makeCore([
    { kind: "ess", id: 3, ratedW: 100_000 },
    { kind: "pv", id: 21, ratedW: 80_000 },
  ]);
  core.settings.antiBackflow = true;
  core.settings.marginW = 2000;
  core.settings.phaseAntiBackflow = true;
  core.settings.phaseMarginW = 1000;
  // Total import 15 kW (above the 2 kW margin) but phase A exports 5 kW. PV 30 kW spread 10 kW per phase.
  // Phase bound: 3 x (B_A - 1 kW) = 3 x (-5 + 10 - 1) = 12 kW; tighten to 11 kW: ESS -19 kW.
  t.deepEqual(cycle({ grid: 15_000, phases: [-5000, 10_000, 10_000], actual: [0, 30_000] }), [-19_000, 80_000]);
  // With per-phase off, the same reading needs nothing.
  core.settings.phaseAntiBackflow = false;
  const other = makeCore([
    { kind: "ess", id: 3, ratedW: 100_000 },
    { kind: "pv", id: 21, ratedW: 80_000 },
  ]);
  other.core.settings.antiBackflow = true;
  other.core.settings.marginW = 2000;
  t.deepEqual(other.cycle({ grid: 15_000, phases: [-5000, 10_000, 10_000], actual: [0, 30_000] }), [0, 80_000]);
});

test("devices without the anti-backflow role are not moved for it", (t) => {
  const { cycle, core } = makeCore([
    { kind: "ess", id: 3, ratedW: 100_000, exportRole: false },
    { kind: "pv", id: 21, ratedW: 80_000 },
  ]);
  core.settings.antiBackflow = true;
  core.settings.marginW = 2000;
  t.deepEqual(cycle({ grid: -40_000, actual: [0, 60_000] }), [0, 17_000]);
});
