/**
 * Replies larger than one MQTT packet, through the composed firmware on the simulated HAL and broker (device
 * defaults: 8 KiB packets, 16 KiB outbox): a READ_ALL of 42 tasks and a spec 000 list of strategies that together
 * exceed one packet arrive as several complete messages (part / parts / total), every item exactly once, none
 * dropped by the outbox; the parts after the first wait for the outbox to drain (src/app/reply-pager.ts).
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

type Json = Record<string, unknown>;
const SN = "1234567890123";
const PREFIX = "v1/wudun/pk-demo/GW-0001";
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/spec/${name}.json`, import.meta.url), "utf8")) as Json;

function boot() {
  const sim = createSimHal({ seed: 21, wallStartMs: Date.UTC(2024, 5, 15, 12, 0, 30), wallSynced: true });
  const broker = new SimBroker(sim.network);
  const config = resolveConfig({ device: { uid: SN }, mqtt: { broker: "mqtt://broker.sim:1883" } });
  const firmware = bootFirmware(sim, config);
  sim.loop.runFor(3000);
  /** A counter's value; its name must be registered (a misspelt name would read 0 and prove nothing). */
  const counter = (name: string): number => {
    if (!(firmware.gateway.counters as unknown as { names: string[] }).names.includes(name)) throw new Error(`no counter ${name}`);
    return firmware.gateway.counters.value(name);
  };
  const counters = () => new Proxy({} as Record<string, number>, { get: (_target, name: string) => counter(name) });
  return { sim, broker, firmware, config, counters };
}

/** 42 tasks like the spec's task 124 (cron every 15 minutes, one operate_raw), ids "t00".."t41". */
function tasks(): Json[] {
  const example = ((fixture("003-add")["payload "] as Json).tasks as Json[])[0];
  return Array.from({ length: 42 }, (_, i) => ({ ...example, taskId: `t${String(i).padStart(2, "0")}`, enable: 0 }));
}

/** The 42 tasks in six ADDs of seven (a command must fit one packet too; the answer to READ_ALL need not). */
function addAll(sim: ReturnType<typeof boot>["sim"], broker: SimBroker): void {
  const all = tasks();
  for (let i = 0; i < 6; i++) {
    broker.publish(`${PREFIX}/schedule/command`, JSON.stringify({ msgid: 100 + i, method: "schedule", sn: SN, "payload ": { cmd: "ADD", tasks: all.slice(i * 7, i * 7 + 7) } }), 1);
    sim.loop.runFor(1000);
  }
}

test("READ_ALL of 42 tasks: several complete replies of at most one packet, every task once, none dropped", (t) => {
  const { sim, broker, firmware, config, counters } = boot();
  addAll(sim, broker);
  t.is(firmware.store.tasks.size, 42);
  const before = broker.received.length;
  broker.publish(`${PREFIX}/schedule/command`, '{"msgid": 628131887239491584, "method": "schedule", "sn": "1234567890123", "payload ": {"cmd": "READ_ALL"}}', 1);
  sim.loop.runFor(5000);
  const parts = broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/schedule/result`);
  t.true(parts.length >= 2, `${parts.length} parts`);
  const ids: string[] = [];
  parts.forEach((m, i) => {
    t.true(m.payload.length <= config.mqtt.maxPacketBytes - 100, `part ${i + 1}: ${m.payload.length} bytes`);
    t.true(m.payload.toString().startsWith('{"msgid":628131887239491584,'), "the 64-bit msgid exact in every part");
    const reply = JSON.parse(m.payload.toString()) as Json & { tasks: Json[] };
    t.like(reply, { method: "schedule", sn: SN, res: 1, errcode: "0", part: i + 1, parts: parts.length, total: 42 });
    ids.push(...reply.tasks.map((x) => x.taskId as string));
  });
  t.deepEqual(ids.sort(), tasks().map((x) => x.taskId as string));
  t.is(counters().reply_parts_sent, parts.length);
  t.is(counters().replies_in_parts, 1);
  t.is(counters().reply_parts_dropped, 0);
  t.is(counters().mqtt_uplink_dropped_oldest, 0, "no uplink dropped to make room");
  t.is(firmware.link.session.queuedUplinks, 0, "every part acknowledged");
});

test("a spec 000 strategy list larger than one packet: the list report and the sync result in parts, every strategy once", (t) => {
  const { sim, broker, counters } = boot();
  const strategy = (fixture("000-list-post").data as Json[])[0];
  // Six of the spec's list strategy (two devices each, ~2.3 KB), on six meters: ~14 KB of list.
  const set = Array.from({ length: 6 }, (_, i) => ({ ...strategy, id: i + 1, ele_meter_id: 10 + i, ele_meter: { ...(strategy.ele_meter as Json), id: 10 + i } }));
  // Created one by one (each command fits a packet); the last create's list report is the whole list.
  const command = { type: "streaming_overdemand_create", device_uid: SN, timestamp: 1695265371000 };
  let before = 0;
  for (const [i, body] of set.entries()) {
    before = broker.received.length;
    broker.publish(`${PREFIX}/streaming_overdemand/create/command`, JSON.stringify({ ...command, mid: `big-${i}`, data: body }), 1);
    sim.loop.runFor(3000);
    const result = broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/streaming_overdemand/create/result`);
    t.is(result.length, 1);
    t.like(JSON.parse(result[0].payload.toString()), { code: 200, data: { id: i + 1 } }, "never refused for the list's size");
  }
  const reports = broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/streaming_overdemand/list/post`).map((m) => JSON.parse(m.payload.toString()) as Json & { data: Json[] });
  t.true(reports.length >= 2, `${reports.length} parts`);
  t.deepEqual(reports.flatMap((r) => r.data.map((s) => s.id)), [1, 2, 3, 4, 5, 6]);
  reports.forEach((r, i) => t.like(r, { type: "streaming_overdemand_list", part: i + 1, parts: reports.length, total: 6 }));
  const at = broker.received.length;
  broker.publish(`${PREFIX}/streaming_overdemand/sync/command`, JSON.stringify({ ...command, mid: "big-sync", type: "streaming_overdemand_sync" }), 1);
  sim.loop.runFor(5000);
  const sync = broker.received.slice(at).filter((m) => m.topic === `${PREFIX}/streaming_overdemand/sync/result`).map((m) => JSON.parse(m.payload.toString()) as Json & { data: Json[] });
  t.true(sync.length >= 2);
  t.true(sync.every((r) => r.reply === "big-sync" && r.code === 200));
  t.deepEqual(sync.flatMap((r) => r.data), set.map((s) => ({ ...s })), "the strategies as set, across the parts");
  t.is(counters().reply_parts_dropped, 0);
  t.is(counters().mqtt_uplink_dropped_oldest, 0);
});

test("unacknowledged, then a broker crash: the later parts wait for the outbox to drain, and all arrive after the reconnect", (t) => {
  const { sim, broker, firmware, counters } = boot();
  addAll(sim, broker);
  t.is(firmware.store.tasks.size, 42);
  broker.withholdPubacks = true;
  const before = broker.received.length;
  broker.publish(`${PREFIX}/schedule/command`, JSON.stringify({ msgid: 2, method: "schedule", sn: SN, "payload ": { cmd: "READ_ALL" } }), 1);
  sim.loop.runFor(3000);
  const sent = () => broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/schedule/result`).map((m) => JSON.parse(m.payload.toString()) as Json & { tasks: Json[] });
  t.is(sent().length, 1, "only the first part goes while it is unacknowledged");
  t.is(counters().reply_parts_sent, 1);
  broker.crash();
  broker.withholdPubacks = false;
  sim.loop.runFor(60_000);
  const parts = sent();
  const got = new Set(parts.flatMap((p) => p.tasks.map((x) => x.taskId)));
  t.is(got.size, 42, "every task arrived");
  t.true(parts.every((p) => p.total === 42 && typeof p.part === "number"));
  t.is(counters().reply_parts_dropped, 0);
  t.is(firmware.link.session.queuedUplinks, 0);
});
