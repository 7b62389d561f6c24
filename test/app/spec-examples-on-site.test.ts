/**
 * The spec examples acting on the simulated site (issue 13 items 7 and 8): the spec 000 create example names its
 * meter by ele_meter_id only and lists no devices, so the site's `points.devices` (meterId, deviceId) say what it
 * controls (src/protocol/overdemand/site-topology.ts); the spec 003 examples' actions and trigger address "1_1" and
 * group 1, which the site's points name. The site is boards/host/site.json: an ADW300 at unit 1, a SunSpec 704 PCS
 * at unit 2, a SunSpec 123 PV inverter at unit 3.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { SimAdw300 } from "../../sim/site/meters";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

type Json = Record<string, unknown>;

const SN = "1234567890123";
const UID = "iYRkfVpi77";
const PREFIX = "v1/wudun/pk-demo/GW-0001";
const dir = new URL("../fixtures/spec/", import.meta.url);
const text = (name: string): string => readFileSync(new URL(`${name}.json`, dir), "utf8").split("${DEVICE_UID}").join(UID);
const HOST_SITE = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8")) as SiteSpec;
/** The site's devices as spec 003 and spec 000 name them: the spec's meter is ele_meter_id 9, its group 1. */
const POINTS = [
  // The spec's examples name the meter's group "3_1" (FORCESWITCH in SET) and 1 (the trigger): it is in both.
  { addr: "1_1", model: "Acrel-ADW300", groupid: ["3_1", 1], ct: 40, meterId: 9 },
  { addr: "1_2", model: "sunspec-704", deviceId: 3 },
  { addr: "1_3", model: "sunspec-123" },
];

function boot(uid: string, wallStartMs: number, site: Partial<SiteSpec> = {}) {
  const sim = createSimHal({ seed: 5, wallStartMs, wallSynced: true, partitions: { store: { sectorCount: 96 } } });
  const plant = new SimSite({ ...HOST_SITE, ...site }, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const broker = new SimBroker(sim.network);
  const config = resolveConfig({ device: { uid }, rs485: { port: 1, baud: 19200 }, mqtt: { broker: "mqtt://broker.sim:1883" }, points: { devices: POINTS } });
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(3000);
  const since = (before: number, topic: string): Json[] =>
    broker.received.slice(before).filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString()) as Json);
  return { sim, site: plant, broker, firmware, since };
}

test("spec 000's create example (ele_meter_id 9, no meter object, no devices) controls the site's PCS: no export while PV exceeds the load", (t) => {
  // 20 kW of load under 70 kW of PV: 50 kW would flow to the grid without control.
  const { sim, site, broker, firmware, since } = boot(UID, Date.UTC(2024, 5, 15, 4, 0, 0), { load: { points: [[0, 20000]], noisePct: 0, noiseEveryMs: 1000 } });
  const before = broker.received.length;
  broker.publish(`${PREFIX}/streaming_overdemand/create/command`, text("000-create-command"), 1);
  sim.loop.runFor(2000);
  const [result] = since(before, `${PREFIX}/streaming_overdemand/create/result`);
  t.like(result, { code: 200, data: { id: 1 } });
  sim.loop.runFor(30_000);
  const status = firmware.control.status() as { groups: { meterId: number; devices: { id: number }[] }[] };
  t.deepEqual(
    status.groups.map((g) => [g.meterId, g.devices.map((d) => d.id)]),
    [[9, [3]]],
    "one group on the spec's meter 9, controlling the site's PCS 3",
  );
  t.true(site.batteries[0].model.actualW < -40_000, `the battery takes the surplus: ${site.batteries[0].model.actualW} W`);
  t.true(site.gridW >= 0, `no export: grid ${site.gridW} W`);
});

test("without the site's points the same example is stored and listed but controls nothing, and the status says why", (t) => {
  const sim = createSimHal({ seed: 5, wallStartMs: Date.UTC(2024, 5, 15, 4, 0, 0), wallSynced: true });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, resolveConfig({ device: { uid: UID }, mqtt: { broker: "mqtt://broker.sim:1883" } }));
  sim.loop.runFor(3000);
  broker.publish(`${PREFIX}/streaming_overdemand/create/command`, text("000-create-command"), 1);
  sim.loop.runFor(5000);
  const status = firmware.control.status() as { groups: unknown[] };
  t.is(status.groups.length, 0);
  sim.loop.runFor(65_000);
  const reports = broker.received.filter((m) => m.topic === `${PREFIX}/report/post`);
  t.true(reports.length > 0, "a status report was sent");
  const report = JSON.parse(reports[reports.length - 1].payload.toString()) as { strategyProblems: string[] };
  t.true(report.strategyProblems.some((p) => /no meter object \(ele_meter\) describes meter 9/.test(p)), report.strategyProblems.join("; "));
});

test("spec 003's ADD example on the site: task 124's Switch reaches the meter's relay (res 1), and task 125's trigger on Ua (1_1 and group 1) fires", (t) => {
  // 2024-06-15 (a Saturday, monthday 15: inside task 125's weekday and monthday filters), 00:10:30 UTC = 08:10:30
  // local: outside the trigger's ${time} branch (10:00-18:00), so only its Ua branch (230 V on the site) can fire it.
  const { sim, site, broker, since } = boot(SN, Date.UTC(2024, 5, 15, 0, 10, 30));
  const meter = site.meter as SimAdw300;
  meter.relayClosed = false; // open, so that the Switch to 1 is seen
  const before = broker.received.length;
  broker.publish(`${PREFIX}/schedule/command`, text("003-add"), 1);
  sim.loop.runFor(2000);
  t.like(since(before, `${PREFIX}/schedule/result`)[0], { res: 1, errcode: "0" });
  sim.loop.runFor(6 * 60_000);
  const events = since(before, `${PREFIX}/schedule/event/post`).map((e) => ((e.payload as Json).events as Json[])[0].payload as Json);
  const of = (taskId: string) => events.filter((e) => (e.task as Json).taskId === taskId);
  t.true(of("125").length >= 1, `the trigger fired: ${JSON.stringify(events)}`);
  t.like(of("125")[0], { res: 1, errcode: "0" });
  t.true(of("124").length >= 1, "task 124 ran at 00:15");
  t.like(of("124")[0], { res: 1, errcode: "0" });
  t.true(meter.relayClosed, "the meter's relay was switched on");
});

test("spec 003's SET example on the site: task 123 at 10:00 local switches group 3_1 off and 1_1 on again, each acknowledged by the meter (res 1)", (t) => {
  // 2024-06-15 01:59:00 UTC = 09:59:00 local, a Saturday the 15th: inside task 123's weekday and monthday filters.
  const { sim, site, broker, since } = boot(SN, Date.UTC(2024, 5, 15, 1, 59, 0));
  const meter = site.meter as SimAdw300;
  const before = broker.received.length;
  broker.publish(`${PREFIX}/schedule/command`, text("003-set"), 1);
  sim.loop.runFor(2000);
  t.like(since(before, `${PREFIX}/schedule/result`)[0], { res: 1, errcode: "0" });
  // Every write to the relay register, as the meter applied it: FORCESWITCH 0 opens it, the Switch 1 closes it.
  const relay: number[] = [];
  meter.slave.writeListener = {
    onRegistersWritten(_slave, address) {
      if (address === 0x0060) relay.push(meter.relayClosed ? 1 : 0);
    },
  };
  sim.loop.runFor(120_000);
  const events = since(before, `${PREFIX}/schedule/event/post`).map((e) => ((e.payload as Json).events as Json[])[0].payload as Json);
  const fired = events.filter((e) => (e.task as Json).taskId === "123");
  t.is(fired.length, 1, JSON.stringify(events));
  t.like(fired[0], { res: 1, errcode: "0" });
  // Task 123's two writes first; tasks 124 (every 15 minutes) and 125 (its trigger) write Switch 1 too.
  t.deepEqual(relay.slice(0, 2), [0, 1], "FORCESWITCH 0 on group 3_1 opened the relay, the Switch 1 on 1_1 closed it again");
  t.true(meter.relayClosed);
});
