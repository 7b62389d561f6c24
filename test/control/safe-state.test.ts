/** Stale or silent meter: safe state (no discharge, PV curtailed, alarm) and recovery, cycle by cycle. */
import test from "ava";
import { Alarm } from "../../src/control/core";
import { makeCore } from "./harness";

function site() {
  const h = makeCore(
    [
      { kind: "ess", id: 3, ratedW: 100_000 },
      { kind: "pv", id: 21, ratedW: 80_000 },
      { kind: "charger", id: 41, ratedW: 22_000, minLimitW: 4140 },
    ],
    { staleMs: 2000, safePvLimitW: 5000 },
  );
  h.core.settings.antiBackflow = true;
  h.core.settings.marginW = 2000;
  h.devices[0].baseW = 20_000;
  return h;
}

test("no fresh reading for staleMs: no discharge, PV at its safe limit, chargers untouched, alarm; then recovery", (t) => {
  const { cycle, core, alarms } = site();
  // Settle: ESS discharging 20 kW as scheduled.
  for (let i = 0; i < 40; i++) cycle({ load: 100_000 });
  t.is(Math.round(core.devices[0].commandW), 20_000);
  // The meter stops answering. 2 s of cycles without a reading: still trusted (stale after more than 2000 ms).
  for (let i = 0; i < 8; i++) cycle({ actual: [20_000, 30_000, 11_000] });
  t.false(core.safe);
  // The next cycle is 2250 ms after the last reading: safe state.
  const out = cycle({ actual: [20_000, 30_000, 11_000] });
  t.true(core.safe);
  t.deepEqual(out, [0, 5000, 22_000]);
  t.true((core.alarms & Alarm.MeterStale) !== 0);
  t.deepEqual(alarms, [`+${Alarm.MeterStale}`]);
  // Readings return: the alarm clears, the ESS relaxes back by its ramp, and the PV starts again from what it
  // produced when the safe state began (30 kW, which 60 kW of import leaves room for): released at once, not
  // crept up 2 kW per cycle from its safe limit.
  const back = cycle({ grid: 60_000, actual: [0, 5000, 11_000] });
  t.false(core.safe);
  t.deepEqual(alarms, [`+${Alarm.MeterStale}`, `-${Alarm.MeterStale}`]);
  t.deepEqual(back, [2500, 80_000, 22_000]);
});

test("a charging ESS keeps charging in the safe state (charging cannot export)", (t) => {
  const { cycle, core } = site();
  core.devices[0].baseW = -30_000;
  for (let i = 0; i < 60; i++) cycle({ load: 100_000 });
  t.is(Math.round(core.devices[0].commandW), -30_000);
  for (let i = 0; i < 9; i++) cycle({});
  t.true(core.safe);
  t.is(Math.round(core.devices[0].commandW), -30_000);
});

test("never having read the meter is the safe state too", (t) => {
  const { cycle, core } = site();
  t.deepEqual(cycle({ actual: [0, 30_000, 0] }), [0, 5000, 22_000]);
  t.true(core.safe);
});
