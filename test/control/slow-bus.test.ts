/**
 * What the decision does on a bus too slow for every read and write each cycle (issue 15, items 1 and 5): device
 * readings older than the device's last acknowledged command (CoreDevice.actualAt), and a cycle that may send only
 * some of its commands (ControlCore.holdUnsent). The whole effect on a site: test/control/bus-plan.test.ts.
 */
import test from "ava";
import { makeCore } from "./harness";

const PLANT_LAG_MS = 200;

function twoEss() {
  const h = makeCore([
    { kind: "ess", id: 3, ratedW: 50_000 },
    { kind: "ess", id: 4, ratedW: 50_000 },
  ]);
  h.core.settings.antiBackflow = true;
  h.core.settings.marginW = 2000;
  return h;
}

test("a battery read before it acknowledged its command counts as moving to that command over the plant lag", (t) => {
  const { devices } = twoEss();
  const d = devices[0];
  d.reading(0, 1000);
  d.ackedW = -40_000;
  d.ackedAtMs = 1100;
  t.is(d.actualAt(1100 + PLANT_LAG_MS, PLANT_LAG_MS), -40_000, "settled on the acknowledged setpoint");
  t.is(d.actualAt(1100 + PLANT_LAG_MS / 2, PLANT_LAG_MS), -20_000, "half way at half the lag");
  t.is(d.actualAt(1100 + PLANT_LAG_MS, 0), -40_000, "lag 0: at once");
  // Beyond what the battery can do, the setpoint is not what it does.
  d.ackedW = -80_000;
  t.is(d.actualAt(2000, PLANT_LAG_MS), -50_000, "a setpoint beyond the rating counts at the rating");
  // A reading taken after the acknowledgement is the truth again.
  d.reading(-35_000, 1500);
  t.is(d.actualAt(2000, PLANT_LAG_MS), -35_000);
});

test("a PV reading before its acknowledged limit counts at the limit only when the limit is below it", (t) => {
  const h = makeCore([{ kind: "pv", id: 21, ratedW: 60_000 }]);
  const pv = h.devices[0];
  pv.reading(40_000, 1000);
  pv.ackedW = 25_000;
  pv.ackedAtMs = 1100;
  t.is(pv.actualAt(1400, PLANT_LAG_MS), 25_000, "curtailed to the limit");
  // A limit raised above the production says nothing of the sun: the reading stands.
  pv.ackedW = 60_000;
  t.is(pv.actualAt(1400, PLANT_LAG_MS), 40_000);
});

test("one write this cycle: the battery that is written takes up the correction the other would have made", (t) => {
  const h = twoEss();
  // Both batteries idle and acknowledged at 0 W; 38 kW of export: each is to charge about half.
  h.cycle({ grid: 1000, actual: [0, 0] });
  h.cycle({ grid: -38_000, actual: [0, 0] });
  const [a, b] = h.devices;
  t.true(a.commandW < -10_000 && b.commandW < -10_000, `the decision shares the charge: ${a.commandW}, ${b.commandW}`);
  const planned = a.commandW + b.commandW;
  const sent = new Float64Array([0, 0]);
  h.core.holdUnsent(0b01, 0b10, sent, 0, h.now());
  t.true(Math.abs(a.commandW - planned) < 1, `the written battery charges for both: ${a.commandW} W of ${planned} W`);
  t.is(b.commandW, 0, "the held one keeps what it was last sent");
  t.is(b.cmd, 0, "and the next decision starts from it");
});

test("one write this cycle: a difference below the hysteresis, or one that would undo the written device's own move, is left for later cycles", (t) => {
  const h = twoEss();
  h.cycle({ grid: 1000, actual: [0, 0] });
  h.cycle({ grid: -38_000, actual: [0, 0] });
  const [a, b] = h.devices;
  const aPlanned = a.commandW;
  const bPlanned = b.commandW;
  // The held battery was last sent within 500 W of its new command: not worth moving the other.
  h.core.holdUnsent(0b01, 0b10, new Float64Array([0, bPlanned + 500]), 0, h.now());
  t.is(a.commandW, aPlanned);
  t.is(b.commandW, bPlanned, "nothing changed");
  // The held battery was last sent far more charge than it is now to have: taking that up would turn the written
  // one (told to charge more) back toward discharge, so the two would trade offsets every cycle.
  h.core.holdUnsent(0b01, 0b10, new Float64Array([0, -50_000]), 0, h.now());
  t.is(a.commandW, aPlanned, "the written battery keeps its own command");
});
