/** The control loop's view of the strategy set: per meter, this month's limit by local month, in W. */
import test from "ava";
import { ActiveStrategies } from "../../src/protocol/overdemand/active-strategy";
import { PosixCalendar } from "../../src/protocol/overdemand/local-month";
import { command, example, rig } from "./helpers";

type Json = Record<string, unknown>;
const MONTHLY = [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2100];

function setup(tz = "CST-8") {
  const r = rig();
  const active = new ActiveStrategies(r.handler, r.hal.clock, PosixCalendar.fromTz(tz), 16);
  const data = { ...(example("create_command").data as Json), over_demand_condition: MONTHLY, dynamic_demand: 7 };
  if (r.reply("create", command("create", "c1", data)).code !== 200) throw new Error("create failed");
  return { r, active };
}

test("one slot per strategy, kW converted to W once, this month's limit chosen by the site's local month", (t) => {
  const { active } = setup();
  t.is(active.count, 1);
  const slot = active.forMeter(9);
  t.truthy(slot);
  if (!slot) return;
  t.is(slot.strategyId, 1);
  t.is(slot.deviceType, 2);
  t.true(slot.overDemandEnabled);
  t.is(slot.month, 6);
  t.true(slot.monthKnown);
  t.is(slot.demandLimitW, 1_500_000);
  t.true(slot.streamingEnabled);
  t.is(slot.streamingConditionW, 1_000_000);
  t.false(slot.phaseStreamingEnabled);
  t.is(slot.phaseStreamingConditionW, 100_000);
  t.true(slot.dynamicDemandEnabled);
  t.is(slot.dynamicDemandW, 7000);
  t.is(slot.dynamicDemandPercentage, 80);
  t.deepEqual(Array.from(slot.monthlyLimitW), MONTHLY.map((kw) => kw * 1000));
  t.is(active.forMeter(9, 3), null, "no PV strategy on meter 9");
  t.is(active.forMeter(10), null);
});

test("the month changes at local midnight (CST-8), on refresh", (t) => {
  const { r, active } = setup();
  const slot = active.forMeter(9)!;
  r.hal.loop.setWall(Date.UTC(2024, 5, 30, 15, 59, 59)); // 23:59:59 June 30 in China
  active.refresh();
  t.is(slot.demandLimitW, 1_500_000);
  active.changed = false;
  r.hal.loop.setWall(Date.UTC(2024, 5, 30, 16, 0, 0)); // 00:00 July 1
  t.is(slot.demandLimitW, 1_500_000, "nothing moves until refresh");
  active.refresh();
  t.is(slot.month, 7);
  t.is(slot.demandLimitW, 1_600_000);
  t.true(active.changed);
  r.hal.loop.setWall(Date.UTC(2024, 11, 31, 16, 0, 0)); // 00:00 January 1 2025
  active.refresh();
  t.is(slot.demandLimitW, 1_000_000);
});

test("daylight saving is applied: a CET site is in April at 00:30 CEST, 22:30 UTC on March 31", (t) => {
  const { r, active } = setup("CET-1CEST,M3.5.0,M10.5.0/3");
  r.hal.loop.setWall(Date.UTC(2024, 2, 31, 22, 30, 0));
  active.refresh();
  t.is(active.forMeter(9)!.month, 4);
  t.is(active.forMeter(9)!.demandLimitW, 1_300_000);
});

test("clock not synced: the lowest monthly limit, and monthKnown says so", (t) => {
  const { r, active } = setup();
  r.hal.loop.setWall(Date.UTC(2024, 5, 15), false);
  active.refresh();
  const slot = active.forMeter(9)!;
  t.false(slot.monthKnown);
  t.is(slot.month, 0);
  t.is(slot.demandLimitW, 1_000_000);
  r.hal.loop.setWall(Date.UTC(2024, 7, 15), true);
  active.refresh();
  t.is(slot.demandLimitW, 1_700_000);
});

test("changes through commands reach the slots; rejected commands do not", (t) => {
  const { r, active } = setup();
  active.changed = false;
  t.is(r.reply("update", command("update", "u1", { id: 1, over_demand_condition: new Array(12).fill(3000) })).code, 200);
  t.true(active.changed);
  t.is(active.forMeter(9)!.demandLimitW, 3_000_000);
  active.changed = false;
  t.is(r.reply("update", command("update", "u2", { id: 1, over_demand_condition: new Array(12).fill(-1) })).code, 400);
  t.false(active.changed);
  t.is(active.forMeter(9)!.demandLimitW, 3_000_000);
  const second = { ...(example("create_command").data as Json), ele_meter_id: 4, device_type: 4, over_demand_status: 2 };
  t.is(r.reply("create", command("create", "c2", second)).code, 200);
  t.is(active.count, 2);
  t.false(active.forMeter(4, 4)!.overDemandEnabled);
  t.is(r.reply("delete", command("delete", "d1", { id: 1 })).code, 200);
  t.is(active.count, 1);
  t.is(active.forMeter(9), null);
  t.is(active.at(0).strategyId, 2);
});

test("a store reopened at boot gives the same active strategies", (t) => {
  const { r } = setup();
  const again = rig({ store: r.store, hal: r.hal });
  const active = new ActiveStrategies(again.handler, r.hal.clock, PosixCalendar.fromTz("CST-8"), 16);
  t.is(active.forMeter(9)!.demandLimitW, 1_500_000);
});
