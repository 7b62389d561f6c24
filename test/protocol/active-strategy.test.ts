/**
 * The strategy set as the control loop sees it (src/control's StrategySource): one ControlStrategy per strategy,
 * W values, this month's limit by the site's local month, meter and devices from the spec objects, and the real
 * ControlLoop configuring itself from it.
 */
import test from "ava";
import { ControlLoop } from "../../src/control/index";
import { ActiveStrategies } from "../../src/protocol/overdemand/active-strategy";
import { PosixCalendar } from "../../src/protocol/overdemand/local-month";
import { command, example, rig } from "./helpers";

type Json = Record<string, unknown>;
const MONTHLY = [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2100];

/** The list example's strategy (meter object, two storage devices) with the rated power the control loop needs. */
function siteStrategy(): Json {
  const body = (example("list_post").data as Json[])[0];
  delete body.id;
  body.over_demand_condition = MONTHLY;
  body.dynamic_demand = 7;
  body.devices = (body.devices as Json[]).map((device, i) => ({ ...device, rated_power: 100 + i }));
  return body;
}

function setup(tz = "CST-8", body: Json = siteStrategy()) {
  const r = rig();
  const active = new ActiveStrategies(r.handler, r.hal.clock, PosixCalendar.fromTz(tz));
  const reply = r.reply("create", command("create", "c1", body));
  if (reply.code !== 200) throw new Error(`create failed: ${reply.msg}`);
  return { r, active };
}

test("a strategy becomes one StrategySettings (flags, W values, this month's limit) and its topology from the store", (t) => {
  const { r, active } = setup();
  const topology = {
    meter: { id: 10, model: "Acrel-ADW300", link: { proto: "tcp", unit: 1, host: "192.168.77.94", port: 1 }, pt: 1, ct: 1, direction: 1 },
    devices: [
      { id: 3, map: "sunspec-704", link: { proto: "tcp", unit: 1, host: "192.168.77.208", port: 1502 }, ratedW: 100_000 },
      { id: 4, map: "sunspec-704", link: { proto: "tcp", unit: 1, host: "192.168.77.210", port: 1502 }, ratedW: 101_000 },
    ],
  };
  t.deepEqual(active.topology(active.strategies()[0]), topology);
  t.is(active.topology({ ...active.strategies()[0] }), null, "only a listed strategy object has a topology");
  t.deepEqual(active.strategies(), [
    {
      id: 1,
      deviceType: 2,
      antiBackflow: true,
      antiBackflowMarginW: 2_000_000,
      phaseAntiBackflow: false,
      phaseMarginW: 100_000,
      overDemand: true,
      demandLimitW: 1_500_000,
      dynamicDemand: true,
      dynamicDemandPct: 60,
      dynamicDemandSeedW: 7000,
      monthKey: 202406,
      // The handler's own limits object: the meter rides along (no copy per strategy).
      meterId: 10,
    },
  ]);
  t.is(active.strategies()[0], r.handler.strategies[0].limits, "the settings are the handler's limits object, not a copy");
  t.deepEqual(active.problems, []);
  t.deepEqual(active.forMeter(10), { ...active.strategies()[0], ...topology });
  t.is(active.forMeter(10, 3), null);
});

test("the month changes at local midnight (CST-8) within a second of ticks, in place, without a new version", (t) => {
  const { r, active } = setup();
  const strategy = active.strategies()[0];
  const version = active.version;
  r.hal.loop.setWall(Date.UTC(2024, 5, 30, 15, 59, 59)); // 23:59:59 June 30 in China
  active.tick(10_000);
  t.is(strategy.demandLimitW, 1_500_000);
  r.hal.loop.setWall(Date.UTC(2024, 5, 30, 16, 0, 0)); // 00:00 July 1
  active.tick(10_500);
  t.is(strategy.monthKey, 202406, "looked at once a second");
  active.tick(11_000);
  t.is(strategy.monthKey, 202407);
  t.is(strategy.demandLimitW, 1_600_000);
  t.is(active.version, version);
  r.hal.loop.setWall(Date.UTC(2024, 11, 31, 16, 0, 0)); // 00:00 January 1 2025
  active.refresh();
  t.is(strategy.monthKey, 202501);
  t.is(strategy.demandLimitW, 1_000_000);
});

test("daylight saving is applied: a CET site is in April at 00:30 CEST, 22:30 UTC on March 31", (t) => {
  const { r, active } = setup("CET-1CEST,M3.5.0,M10.5.0/3");
  r.hal.loop.setWall(Date.UTC(2024, 2, 31, 22, 30, 0));
  active.refresh();
  t.is(active.forMeter(10)!.monthKey, 202404);
  t.is(active.forMeter(10)!.demandLimitW, 1_300_000);
});

test("clock not synced: monthKey 0 and the lowest monthly limit that is set", (t) => {
  const body = { ...siteStrategy(), over_demand_condition: [0, 0, 900, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2100] };
  const { r, active } = setup("CST-8", body);
  r.hal.loop.setWall(Date.UTC(2024, 5, 15), false);
  active.refresh();
  const strategy = active.strategies()[0];
  t.is(strategy.monthKey, 0);
  t.is(strategy.demandLimitW, 900_000);
  r.hal.loop.setWall(Date.UTC(2024, 0, 15), true);
  active.refresh();
  t.is(strategy.monthKey, 202401);
  t.is(strategy.demandLimitW, 0, "January's limit is 0: not set (the loop keeps demand control off)");
});

test("strategies or devices that cannot be reached are left out, each with its problem", (t) => {
  const r = rig();
  const active = new ActiveStrategies(r.handler, r.hal.clock, PosixCalendar.fromTz("CST-8"));
  t.is(r.reply("create", command("create", "a")).code, 200); // the create example: no meter object
  const noRating = siteStrategy();
  noRating.ele_meter_id = 11;
  (noRating.ele_meter as Json).id = 11;
  noRating.devices = [{ ...(noRating.devices as Json[])[0], rated_power: undefined }];
  t.is(r.reply("create", command("create", "b", noRating)).code, 200);
  const rtu = siteStrategy();
  rtu.ele_meter_id = 12;
  rtu.ele_meter = { ...(rtu.ele_meter as Json), id: 12, proto_type: 2, com_no: 2, baud_rate: 9600, slave_id: 7 };
  rtu.devices = [{ ...(rtu.devices as Json[])[0], proto_type: 5 }];
  t.is(r.reply("create", command("create", "c", rtu)).code, 200);
  t.deepEqual(active.problems, [
    "strategy 1: no meter object (ele_meter) describes meter 9",
    "strategy 3 devices[0] (device 3): proto_type 5 is neither 1 (Modbus TCP) nor 2 (Modbus RTU)",
  ]);
  t.deepEqual(active.strategies().map((s) => s.id), [2, 3]);
  t.deepEqual(active.forMeter(12)!.meter.link, { proto: "rtu", unit: 7, serialPort: 2, baud: 9600 });
  // No rated_power is not a problem here: the device comes with ratedW 0 and is rated from its registers
  // (src/app/device-ratings.ts, test/app/device-ratings.test.ts).
  t.deepEqual(active.forMeter(11)!.devices.map((d) => [d.id, d.ratedW]), [[3, 0]]);
});

test("committed changes give a new version and new objects; refused commands change nothing", (t) => {
  const { r, active } = setup();
  const version = active.version;
  t.is(r.reply("update", command("update", "u1", { id: 1, over_demand_condition: new Array(12).fill(3000) })).code, 200);
  t.is(active.version, version + 1);
  t.is(active.forMeter(10)!.demandLimitW, 3_000_000);
  t.is(r.reply("update", command("update", "u2", { id: 1, over_demand_condition: new Array(12).fill(-1) })).code, 400);
  t.is(active.version, version + 1);
  t.is(r.reply("delete", command("delete", "d1", { id: 1 })).code, 200);
  t.deepEqual(active.strategies(), []);
});

test("a store reopened at boot gives the same control strategies", (t) => {
  const { r, active } = setup();
  const again = rig({ store: r.store, hal: r.hal });
  const reopened = new ActiveStrategies(again.handler, r.hal.clock, PosixCalendar.fromTz("CST-8"));
  t.deepEqual(reopened.strategies(), active.strategies());
});

test("the real ControlLoop configures itself from it: one group on the meter, both devices, no problems", (t) => {
  const { r, active } = setup();
  const loop = new ControlLoop(r.hal, active);
  loop.tick(r.hal.clock.monotonicMs());
  t.deepEqual(loop.problems, []);
  t.is(loop.groups.length, 1);
  t.is(loop.groups[0].devices.length, 2);
  t.is(loop.groups[0].core.settings.demandLimitW, 1_500_000);
  t.true(loop.groups[0].core.settings.antiBackflow);
  t.is(loop.groups[0].core.settings.marginW, 2_000_000);
});
