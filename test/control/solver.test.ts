/** The constraint solver on its own: priorities, sharing, tighten at once / relax by ramp, dead band. */
import test from "ava";
import { Kind, Solver, SolverSlot } from "../../src/control/solver";

function slot(kind: Kind, gMin: number, gMax: number, pref: number, cmd: number, soc = NaN, ramp = 10_000): SolverSlot {
  const s = new SolverSlot();
  s.kind = kind;
  s.gMin = gMin;
  s.gMax = gMax;
  s.pref = pref;
  s.cmd = cmd;
  s.socPct = soc;
  s.socMinPct = 10;
  s.socMaxPct = 90;
  s.rampPerS = ramp;
  s.exportRole = true;
  s.demandRole = true;
  return s;
}

test("reduce: ESS before PV before chargers", (t) => {
  const slots = [slot(Kind.Pv, 0, 50_000, 50_000, 50_000), slot(Kind.Ess, -20_000, 20_000, 0, 0), slot(Kind.Charger, -10_000, -4_000, -10_000, -10_000)];
  const r = new Solver(8).solve(slots, 3, -Infinity, 10_000, 250, 0, 0);
  t.true(r.tightened);
  t.deepEqual(
    slots.map((s) => s.next),
    [40_000, -20_000, -10_000],
  );
  t.is(r.exportShortW, 0);
});

test("raise: ESS before chargers before PV", (t) => {
  const slots = [slot(Kind.Charger, -10_000, -4_000, -10_000, -10_000), slot(Kind.Ess, -20_000, 20_000, 0, 0), slot(Kind.Pv, 0, 30_000, 30_000, 30_000)];
  const r = new Solver(8).solve(slots, 3, 45_000, Infinity, 250, 0, 0);
  t.deepEqual(
    slots.map((s) => s.next),
    [-5_000, 20_000, 30_000],
  );
  t.is(r.demandShortW, 0);
  const short = new Solver(8).solve(slots, 3, 60_000, Infinity, 250, 0, 0);
  // 60 kW asked: ESS +20 kW, charger limited by 6 kW, PV has no room up: 14 kW short.
  t.is(short.demandShortW, 14_000);
});

test("several ESS share a discharge by available power and state of charge", (t) => {
  // Same power, SoC 80 % vs 30 %: weights (80-10)/80 and (30-10)/80 -> 7:2 of the 45 kW.
  const a = slot(Kind.Ess, -50_000, 50_000, 0, 0, 80);
  const b = slot(Kind.Ess, -50_000, 50_000, 0, 0, 30);
  new Solver(8).solve([a, b], 2, 45_000, Infinity, 250, 0, 0);
  t.true(Math.abs(a.next - 35_000) < 1e-6);
  t.true(Math.abs(b.next - 10_000) < 1e-6);
  // Charging goes the other way: the emptier battery takes more ((90-80)/80 : (90-30)/80 = 1 : 6).
  const c = slot(Kind.Ess, -50_000, 50_000, 0, 0, 80);
  const d = slot(Kind.Ess, -50_000, 50_000, 0, 0, 30);
  new Solver(8).solve([c, d], 2, -Infinity, -45_000, 250, 0, 0);
  t.true(Math.abs(c.next + 45_000 / 7) < 1e-6);
  t.true(Math.abs(d.next + (6 * 45_000) / 7) < 1e-6);
});

test("a battery that hits its power limit passes its share to the others (water filling)", (t) => {
  const small = slot(Kind.Ess, -10_000, 10_000, 0, 0, 90);
  const big = slot(Kind.Ess, -100_000, 100_000, 0, 0, 50);
  new Solver(8).solve([small, big], 2, 60_000, Infinity, 250, 0, 0);
  t.true(Math.abs(small.next + big.next - 60_000) < 1e-6);
  t.true(small.next <= 10_000 + 1e-9);
});

test("relax: toward the target by at most the ramp; inside the dead band nothing moves", (t) => {
  const ess = slot(Kind.Ess, -50_000, 50_000, 0, -20_000, NaN, 8_000);
  const r = new Solver(8).solve([ess], 1, -Infinity, Infinity, 250, 0, 300);
  t.false(r.tightened);
  t.is(ess.next, -18_000);
  const near = slot(Kind.Ess, -50_000, 50_000, 0, -250, NaN, 8_000);
  new Solver(8).solve([near], 1, -Infinity, Infinity, 250, 0, 300);
  t.is(near.next, -250);
});

test("tighten: with hysteresis, the target sits that far inside the bound; relaxing stops half-way", (t) => {
  const ess = slot(Kind.Ess, -50_000, 50_000, 0, 0);
  new Solver(8).solve([ess], 1, -Infinity, -10_000, 250, 1000, 0);
  t.is(ess.next, -11_000);
  new Solver(8).solve([ess], 1, -Infinity, -10_000, 250, 1000, 0);
  t.is(ess.cmd, 0, "cmd is the caller's to update");
  ess.cmd = -11_000;
  new Solver(8).solve([ess], 1, -Infinity, -10_000, 250, 1000, 0);
  t.is(ess.next, -10_500);
});

test("fixed (excluded) devices are held and never moved", (t) => {
  const stuck = slot(Kind.Ess, 0, 0, 0, 0);
  stuck.fixed = true;
  const pv = slot(Kind.Pv, 0, 50_000, 50_000, 50_000);
  new Solver(8).solve([stuck, pv], 2, -Infinity, 20_000, 250, 0, 0);
  t.is(stuck.next, 0);
  t.is(pv.next, 20_000);
});

test("ramping devices that would cross a bound together jump to their targets instead", (t) => {
  // Previous: ESS -20 kW, PV 30 kW limit (G = 10 kW = hi). Targets: ESS -10 kW (slow ramp), PV 20 kW (fast).
  const ess = slot(Kind.Ess, -50_000, 50_000, 0, -20_000, NaN, 100_000);
  const pv = slot(Kind.Pv, 0, 30_000, 30_000, 30_000, NaN, 1_000);
  ess.exportRole = true;
  // hi 10 kW: allocate reduces ESS first (to -20 kW): targets ESS -20 kW, PV 30 kW. Nothing crosses.
  const r = new Solver(8).solve([ess, pv], 2, -Infinity, 10_000, 250, 0, 0);
  t.false(r.tightened);
  t.true(ess.next + pv.next <= 10_000 + 1e-6);
});
