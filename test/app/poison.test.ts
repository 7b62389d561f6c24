/**
 * Poison messages through the composed firmware (issue 14): a command larger than the receive buffer, a payload
 * that is not UTF-8, JSON nested 10,000 deep. Each is acknowledged, counted and answered with its protocol's error
 * (spec 000 code 400, spec 003 res 0 with an errcode, spec 004 code 460), nothing changes, the link stays up and
 * the next command is answered normally.
 */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";
import { readFileSync } from "node:fs";

const config = resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883", maxPacketBytes: 8192 } });
const PREFIX = "v1/wudun/pk-demo/GW-0001";
const example = JSON.parse(readFileSync(new URL("../../docs/examples/spec-000/create.json", import.meta.url), "utf8"));

function boot(maxPacketBytes = 8192) {
  const sim = createSimHal({ seed: 9, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30) });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, maxPacketBytes === 8192 ? config : resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883", maxPacketBytes } }));
  sim.loop.runFor(3000);
  const replies = (suffix: string) => broker.received.filter((m) => m.topic.endsWith(suffix)).map((m) => m.payload.toString());
  return { sim, broker, firmware, replies };
}

function create(mid: string, padding = 0): string {
  const data = { ...example.data, ele_meter: { ...example.data.ele_meter, name: "m".repeat(padding) || "grid meter" } };
  return JSON.stringify({ ...example, mid, data });
}

for (const size of [12_000, 200_000]) {
  test(`spec 000: a ${size}-byte create is answered 400 naming the limit, acknowledged, and the link stays up`, (t) => {
    const { sim, broker, firmware, replies } = boot();
    const text = create("big-1", size);
    t.true(text.length > size);
    broker.publish(`${PREFIX}/streaming_overdemand/create/command`, text, 1);
    sim.loop.runFor(3000);
    const results = replies("streaming_overdemand/create/result").map((r) => JSON.parse(r));
    t.is(results.length, 1);
    t.is(results[0].code, 400);
    t.is(results[0].reply ?? results[0].mid, "big-1", JSON.stringify(results[0]));
    t.regex(results[0].msg, /^payload: the message is \d+ bytes, more than this gateway's 8192-byte limit \(mqtt.maxPacketBytes\)/);
    t.is(firmware.store.strategies.size, 0, "nothing applied");
    t.is(broker.unackedDeliveries, 0, "acknowledged: the broker will not redeliver it");
    t.is(firmware.link.session.counters.value("mqtt_oversized_publishes"), 1);
    t.is(firmware.link.session.status().state, "connected");
    broker.publish(`${PREFIX}/streaming_overdemand/create/command`, create("small-1"), 1);
    sim.loop.runFor(3000);
    const after = replies("streaming_overdemand/create/result").map((r) => JSON.parse(r));
    t.is(after.length, 2);
    t.is(after[1].code, 200, JSON.stringify(after[1]));
    t.is(firmware.store.strategies.size, 1);
  });
}

test("spec 003: an oversized schedule command is answered res 0 with errcode 5012 and its 64-bit msgid", (t) => {
  const { sim, broker, replies } = boot();
  const text = `{"msgid":628131887239491584,"method":"schedule","sn":"GW-0001","timestamp":1772409630,"payload":{"cmd":"SET","tasks":[${'{"taskId":"x"},'.repeat(1000)}{}]}}`;
  broker.publish(`${PREFIX}/schedule/command`, text, 1);
  sim.loop.runFor(2000);
  const results = replies("schedule/result");
  t.is(results.length, 1);
  t.regex(results[0], /"msgid":628131887239491584/);
  const reply = JSON.parse(results[0]);
  t.is(reply.res, 0);
  t.is(reply.errcode, "5012");
  t.regex(reply.msg, /8192-byte limit/);
  t.is(broker.unackedDeliveries, 0);
});

test("spec 004: an oversized property set is answered 460 with its id; nothing changes", (t) => {
  const { sim, broker, firmware, replies } = boot();
  const before = firmware.settings.values.report_interval_s;
  broker.publish(`/sys/pk-demo/GW-0001/thing/service/property/set`, `{"id":"78","version":"1.0","params":{"report_interval_s":10,"pad":"${"p".repeat(9000)}"}}`, 1);
  sim.loop.runFor(2000);
  const results = replies("thing/service/property/set_reply").map((r) => JSON.parse(r));
  t.is(results.length, 1);
  t.is(results[0].id, "78");
  t.is(results[0].code, 460);
  t.is(firmware.settings.values.report_interval_s, before);
});

test("a payload that is not UTF-8, and JSON nested 3,000 and 10,000 deep, are refused with an error naming why", (t) => {
  const { sim, broker, firmware, replies } = boot(32768);
  const bad = Buffer.concat([Buffer.from('{"mid":"u-1","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  broker.publish(`${PREFIX}/streaming_overdemand/create/command`, bad, 1);
  broker.publish(`${PREFIX}/streaming_overdemand/create/command`, `{"mid":"d-1","data":${"[".repeat(3000)}${"]".repeat(3000)}}`, 1);
  broker.publish(`${PREFIX}/schedule/command`, `{"msgid":5,"payload":${"[".repeat(10_000)}${"]".repeat(10_000)}}`, 1);
  sim.loop.runFor(3000);
  const results = replies("streaming_overdemand/create/result").map((r) => JSON.parse(r));
  t.is(results.length, 2);
  t.regex(results[0].msg, /not UTF-8/);
  t.regex(results[1].msg, /nested deeper than 32 levels/);
  t.is(results[1].code, 400);
  const schedule = replies("schedule/result").map((r) => JSON.parse(r));
  t.is(schedule.length, 1);
  t.is(schedule[0].res, 0);
  t.is(schedule[0].msgid, 5);
  t.regex(schedule[0].msg, /nested deeper/);
  t.is(firmware.link.session.status().state, "connected");
  t.is(broker.unackedDeliveries, 0);
});
