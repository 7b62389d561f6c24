/** A device that ignores its commands: alarm, exclusion (others take over), no wind-up, probation, recovery. */
import test from "ava";
import { Alarm } from "../../src/control/core";
import { essAndPv } from "./harness";

test("a PCS that ignores commands is excluded after followTimeoutMs and PV is curtailed instead", (t) => {
  const { cycle, core, alarms } = essAndPv({ followTimeoutMs: 2000, retryExcludedMs: 30_000 });
  cycle({ grid: 40_000, actual: [0, 60_000] });
  // Load drop: the ESS is told to charge 43 kW but stays at 0; the export persists.
  const commands: number[] = [];
  for (let i = 0; i < 9; i++) commands.push(cycle({ grid: -40_000, actual: [0, 60_000] })[0]);
  // No wind-up: the command is what the site needs (then relaxed by half the hysteresis), not an integral of the error.
  t.deepEqual(commands, [-43_000, ...Array(8).fill(-42_500)]);
  t.is(core.alarms & Alarm.NotFollowing, 0);
  // 2 s off track (the first acknowledged command was seen one cycle after it was sent): alarm, the ESS is held at its actual power and the PV takes the correction.
  const out = cycle({ grid: -40_000, actual: [0, 60_000] });
  t.true((core.alarms & Alarm.NotFollowing) !== 0);
  t.deepEqual(alarms, [`+${Alarm.NotFollowing}@3`]);
  t.deepEqual(out, [0, 17_000]);
  t.true(core.devices[0].excluded);
});

test("after retryExcludedMs the PCS gets a small test step while the others still do not count on it", (t) => {
  const { cycle, core, alarms } = essAndPv({ followTimeoutMs: 2000, retryExcludedMs: 10_000 });
  cycle({ grid: 40_000, actual: [0, 60_000] });
  for (let i = 0; i < 10; i++) cycle({ grid: -40_000, actual: [0, 60_000] });
  t.true(core.devices[0].excluded);
  // Ten seconds later (PV curtailed to 17 kW, 3 kW import).
  for (let i = 0; i < 39; i++) cycle({ grid: 3000, actual: [0, 17_000] });
  const probe = cycle({ grid: 3000, actual: [0, 17_000] });
  t.false(core.devices[0].excluded);
  // Test step: 1.5 x the 5 kW tolerance toward more import (anti-backflow is on); PV does not relax on it.
  t.is(probe[0], -7_500);
  t.true(probe[1] <= 17_500);
  // The PCS now follows: the alarm clears, and after the probation it is used again.
  cycle({ grid: 3000, actual: [-7_500, 17_000] });
  t.deepEqual(alarms, [`+${Alarm.NotFollowing}@3`, `-${Alarm.NotFollowing}@3`]);
});

test("a PCS still ignoring on probation is excluded again without disturbing the others", (t) => {
  const { cycle, core } = essAndPv({ followTimeoutMs: 2000, retryExcludedMs: 10_000 });
  cycle({ grid: 40_000, actual: [0, 60_000] });
  for (let i = 0; i < 10; i++) cycle({ grid: -40_000, actual: [0, 60_000] });
  for (let i = 0; i < 40; i++) cycle({ grid: 3000, actual: [0, 17_000] });
  const pvLimits: number[] = [];
  for (let i = 0; i < 12; i++) pvLimits.push(cycle({ grid: 3000, actual: [0, 17_000] })[1]);
  t.true(core.devices[0].excluded);
  t.true(Math.max(...pvLimits) <= 17_500, `PV limits ${pvLimits}`);
});

test("a PV inverter producing above its limit raises the alarm too", (t) => {
  const { cycle, core } = essAndPv({ followTimeoutMs: 1000 });
  const soc = [96, 0];
  cycle({ grid: -40_000, actual: [0, 60_000], soc });
  for (let i = 0; i < 6; i++) cycle({ grid: -40_000, actual: [0, 60_000], soc });
  t.true((core.alarms & Alarm.NotFollowing) !== 0);
  t.true(core.devices[1].notFollowing);
});
