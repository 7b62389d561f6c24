/**
 * Ratings from the devices: a spec 000 strategy whose devices carry no `rated_power` (the spec defines none) controls
 * them once their rating is read over Modbus (SunSpec 702.WMax, 121.WMax, a charger's current and voltage); a sent
 * `rated_power` overrides; the source of each rating shows in the status report.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const HOST_SITE = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8")) as SiteSpec;
const CREATE = JSON.parse(readFileSync(new URL("../../docs/examples/spec-000/create.json", import.meta.url), "utf8")) as { mid: string; data: { device_type: number; devices: Record<string, unknown>[] } };

function boot(site: SiteSpec = HOST_SITE) {
  const sim = createSimHal({ seed: 5, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30), partitions: { store: { sectorCount: 96 } } });
  const simSite = new SimSite(site, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, resolveConfig({ rs485: { port: 1, baud: 19200 }, mqtt: { broker: "mqtt://broker.sim:1883" } }));
  sim.loop.runFor(3000);
  let seq = 0;
  const create = (mutate: (body: typeof CREATE) => void) => {
    const body = structuredClone(CREATE);
    body.mid = `rating-${++seq}`;
    mutate(body);
    broker.publish(`${PREFIX}/streaming_overdemand/create/command`, JSON.stringify(body), 1);
    sim.loop.runFor(2000);
  };
  return { sim, site: simSite, broker, firmware, create };
}

test("an ESS without rated_power is rated from SunSpec 702.WMax and then controlled; the status report names the source", (t) => {
  const { sim, site, broker, firmware, create } = boot();
  create((body) => delete body.data.devices[0].rated_power);
  sim.loop.runFor(5000);
  t.deepEqual(firmware.ratings.status(), [{ id: 3, ratedW: 100_000, source: "device", from: "SunSpec 702.WMax" }]);
  const group = firmware.control.status().groups[0];
  t.deepEqual(group.devices.map((d) => d.id), [3], JSON.stringify(firmware.control.problems));
  t.deepEqual(firmware.control.problems, []);
  sim.loop.runFor(60_000);
  t.true(site.gridW > 0, `anti-backflow holds with the read rating: grid ${site.gridW} W`);
  t.true(site.batteries[0].model.actualW < -1000, `the battery absorbs the PV surplus: ${site.batteries[0].model.actualW} W`);
  const reports = broker.received.filter((m) => m.topic === `${PREFIX}/report/post`).map((m) => JSON.parse(m.payload.toString()) as { ratings: unknown });
  t.true(reports.length >= 1);
  t.deepEqual(reports.at(-1)?.ratings, [{ id: 3, ratedW: 100_000, source: "device", from: "SunSpec 702.WMax" }]);
});

test("a rated_power that is sent overrides, and is reported as the platform's", (t) => {
  const { sim, firmware, create } = boot();
  create((body) => (body.data.devices[0].rated_power = 80));
  sim.loop.runFor(3000);
  t.deepEqual(firmware.ratings.status(), [{ id: 3, ratedW: 80_000, source: "platform", from: "rated_power" }]);
  t.is(firmware.control.status().groups[0].devices.length, 1);
});

test("PV (SunSpec 121.WMax) and a charger (maximum current x voltage x 3) are rated from their registers", (t) => {
  const site: SiteSpec = {
    ...HOST_SITE,
    chargers: [{ id: 41, map: "generic-charger", unit: 6, ratedW: 22_080, trace: { points: [[0, 11_000]] } }],
  };
  const { sim, firmware, create } = boot(site);
  create((body) => {
    body.data.device_type = 3;
    body.data.devices = [{ id: 21, proto_type: 2, slave_id: 3, host: "", port: 0, com_no: 0, baud_rate: 0, map: "sunspec-123" }];
  });
  create((body) => {
    body.data.device_type = 4;
    body.data.devices = [{ id: 41, proto_type: 2, slave_id: 6, host: "", port: 0, com_no: 0, baud_rate: 0, map: "generic-charger" }];
  });
  sim.loop.runFor(5000);
  const ratings = firmware.ratings.status();
  t.like(ratings.find((r) => r.id === 21), { ratedW: 80_000, source: "device", from: "SunSpec 121.WMax" });
  const charger = ratings.find((r) => r.id === 41);
  t.is(charger?.source, "device");
  t.true(Math.abs((charger?.ratedW ?? 0) - 22_080) < 100, `3 x 32.0 A x 230 V: ${charger?.ratedW}`);
  const controlled = firmware.control.status().groups.flatMap((g) => g.devices.map((d) => d.id)).sort();
  t.deepEqual(controlled, [21, 41], JSON.stringify(firmware.control.problems));
});

test("a device that does not answer stays out of control, its read counted and retried, until it answers", (t) => {
  const { sim, site, firmware, create } = boot();
  const pcs = site.allSlaves[1];
  pcs.silent = true;
  create((body) => delete body.data.devices[0].rated_power);
  sim.loop.runFor(12_000);
  t.deepEqual(firmware.ratings.status(), []);
  t.is(firmware.control.status().groups[0].devices.length, 0);
  t.true(firmware.control.problems.some((p) => /device 3: ratedW must be > 0/.test(p)), JSON.stringify(firmware.control.problems));
  t.true(firmware.gateway.status().counters.rating_read_failures >= 1);
  pcs.silent = false;
  sim.loop.runFor(8000);
  t.is(firmware.ratings.status()[0]?.source, "device");
  t.is(firmware.control.status().groups[0].devices.length, 1);
});
