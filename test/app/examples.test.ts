/**
 * Every example in docs/examples/ works: sent by a platform through a broker to the composed firmware (simulated
 * HAL, simulated broker), each gets its success reply on its reply topic and does what it says. The spec 004 replies
 * answer the device's own requests, so their "id" is taken from the request, as a platform does.
 */
import test from "ava";
import { readdirSync, readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";
import { FIXED_PUBLIC_KEY_HEX } from "../ota/fixed-signature";
import { DEFAULT_DESIRED_OPTIONS } from "../../src/protocol/desired/session";
import { Rig } from "../protocol/desired-rig";
import { SimSite, type SiteSpec } from "../../sim/site/site";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SYS = "/sys/pk-demo/GW-0001";
const dir = new URL("../../docs/examples/", import.meta.url);
const example = (name: string): string => readFileSync(new URL(name, dir), "utf8");

function boot() {
  const sim = createSimHal({ seed: 4, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30) });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883" }, ota: { publicKey: FIXED_PUBLIC_KEY_HEX } }));
  sim.loop.runFor(3000);
  /** Publish `text` on `topic`, let it run, return the JSON bodies that arrived on `replyTopic` since. */
  const send = (topic: string, text: string, replyTopic: string, waitMs = 2000) => {
    const before = broker.received.length;
    broker.publish(topic, text, 1);
    sim.loop.runFor(waitMs);
    return broker.received.slice(before).filter((m) => m.topic === replyTopic).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
  };
  return { sim, broker, firmware, send };
}

test("the examples directory holds the operations of specs 000, 003, 004 and OTA", (t) => {
  const files = (sub: string) => readdirSync(new URL(`${sub}/`, dir)).sort();
  t.deepEqual(files("spec-000"), ["create.json", "delete.json", "sync.json", "update.json", "update_all.json"]);
  t.deepEqual(files("spec-003"), ["add.json", "clear.json", "delete.json", "enable.json", "enable_all.json", "forceswitch.json", "read.json", "read_all.json", "set.json", "trigger-ua.json", "update.json"]);
  t.deepEqual(files("spec-004"), ["desired-delete-reply.json", "desired-get-reply.json", "property-post-reply.json", "property-set.json"]);
  t.deepEqual(files("ota"), ["upgrade.json"]);
});

test("spec 000: create, update, sync, delete, update_all are each answered 200 and applied", (t) => {
  const { firmware, send } = boot();
  const run = (action: string) => send(`${PREFIX}/streaming_overdemand/${action}/command`, example(`spec-000/${action}.json`), `${PREFIX}/streaming_overdemand/${action}/result`);
  const created = run("create");
  t.is(created.length, 1);
  t.is(created[0].code, 200, JSON.stringify(created[0]));
  t.deepEqual(created[0].data, { id: 1 });
  t.is(run("update")[0].code, 200);
  t.is(firmware.overdemand.handler.body(1).streaming_condition, 3, "update applied");
  const synced = run("sync");
  t.is(synced[0].code, 200);
  t.is((synced[0].data as unknown[]).length, 1);
  t.is(run("delete")[0].code, 200);
  t.is(firmware.store.strategies.size, 0, "deleted");
  t.is(run("update_all")[0].code, 200);
  t.is(firmware.store.strategies.size, 1, "the whole set replaced by the example's one strategy");
});

test("spec 003: ADD, UPDATE, READ, READ_ALL, ENABLE, ENABLE_ALL, DELETE, SET, CLEAR each answer res 1 and act", (t) => {
  const { firmware, send } = boot();
  const run = (name: string) => {
    const replies = send(`${PREFIX}/schedule/command`, example(`spec-003/${name}.json`), `${PREFIX}/schedule/result`);
    t.is(replies.length, 1, name);
    t.is(replies[0].res, 1, `${name}: ${JSON.stringify(replies[0])}`);
    return replies[0];
  };
  run("add");
  t.is(firmware.store.tasks.size, 1);
  run("update");
  const read = run("read");
  t.regex(JSON.stringify(read), /"priority":2/, "READ returns the updated task");
  t.regex(JSON.stringify(run("read_all")), /peak-shave-evening/);
  run("enable");
  run("enable_all");
  run("delete");
  t.is(firmware.store.tasks.size, 0);
  run("set");
  t.is(firmware.store.tasks.size, 1);
  run("clear");
  t.is(firmware.store.tasks.size, 0);
});

test("spec 003 on the site of npm start: forceswitch.json takes the PCS out of service and back; trigger-ua.json disconnects the PV above 245 V and reconnects it below 240 V", (t) => {
  // The board config of npm start (its points.devices) and its simulated site (the voltage rises from 300 s to 420 s).
  const board = JSON.parse(readFileSync(new URL("../../boards/host/config.json", import.meta.url), "utf8")) as { config: unknown; partitions: Record<string, { sectorCount: number }> };
  const siteSpec = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8")) as SiteSpec;
  // 00:00:30 UTC: forceswitch.json's tasks fire at even minutes (out of service) and odd minutes (back in service).
  const sim = createSimHal({ seed: 4, wallStartMs: Date.UTC(2026, 2, 2, 0, 0, 30), partitions: board.partitions });
  const site = new SimSite(siteSpec, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const broker = new SimBroker(sim.network);
  bootFirmware(sim, resolveConfig(board.config, { mqtt: { broker: "mqtt://broker.sim:1883" } }));
  sim.loop.runFor(3000);
  const events = () =>
    broker.received
      .filter((m) => m.topic === `${PREFIX}/schedule/event/post`)
      .map((m) => (JSON.parse(m.payload.toString()) as { payload: { events: { payload: { res: number; msg: string; task: { taskId: string } } }[] } }).payload.events[0].payload);
  const add = (name: string) => {
    const before = broker.received.length;
    broker.publish(`${PREFIX}/schedule/command`, example(`spec-003/${name}.json`), 1);
    sim.loop.runFor(2000);
    const replies = broker.received.slice(before).filter((m) => m.topic === `${PREFIX}/schedule/result`);
    t.is(replies.length, 1, name);
    t.is((JSON.parse(replies[0].payload.toString()) as { res: number }).res, 1, name);
  };
  broker.publish(`${PREFIX}/streaming_overdemand/create/command`, example("spec-000/create.json"), 1);
  add("forceswitch");
  add("trigger-ua");
  const battery = site.batteries[0].model;
  const pv = site.pvs[0].model;
  sim.loop.runFor(30_000); // 00:01:05: back in service fired at 00:01:00
  t.like(events().at(-1), { res: 1, task: { taskId: "pcs-in-service" } });
  sim.loop.runFor(60_000); // 00:02:05: out of service at 00:02:00
  t.like(events().at(-1), { res: 1, task: { taskId: "pcs-out-of-service" } });
  t.true(Math.abs(battery.actualW) < 1000, `the PCS is out of service: ${battery.actualW} W`);
  sim.loop.runFor(60_000); // 00:03:05
  t.true(pv.actualW > 1000, `the PV produces before the voltage rise: ${pv.actualW} W`);
  sim.loop.runFor(150_000); // 305.5 s of simulated time: Ua is 248 V
  const off = events().find((e) => e.task.taskId === "pv-off-overvoltage");
  t.is(off?.res, 1, JSON.stringify(events()));
  t.true(pv.actualW < 1000, `the PV is disconnected: ${pv.actualW} W`);
  sim.loop.runFor(120_000); // past 420 s: 230 V again
  t.is(events().filter((e) => e.task.taskId === "pv-on-normal-voltage").length, 2, "below 240 V at the start, and again after the rise");
  t.true(pv.actualW > 1000, `the PV produces again: ${pv.actualW} W`);
  t.is(events().filter((e) => e.task.taskId === "pv-off-overvoltage").length, 1, "once per rising edge");
  t.true(events().every((e) => e.res === 1), JSON.stringify(events().filter((e) => e.res !== 1)));
});

test("spec 004: the reply to the device's desired get is applied; a property set is answered 200 and applied; delete and post replies are taken", (t) => {
  const { sim, broker, firmware, send } = boot();
  // The device asked for its desired values after connecting; answer with the example, under the get's id.
  const get = broker.received.filter((m) => m.topic === `${SYS}/thing/property/desired/get`).map((m) => JSON.parse(m.payload.toString()));
  t.true(get.length >= 1, "the device sent a desired get");
  const reply = JSON.parse(example("spec-004/desired-get-reply.json"));
  reply.id = get[get.length - 1].id;
  broker.publish(`${SYS}/thing/property/desired/get_reply`, JSON.stringify(reply), 1);
  sim.loop.runFor(2000);
  t.is(firmware.settings.values.report_interval_s, 45, "the desired value (version 7) applied");
  // The device then deletes the applied desired value (asking for a reply) and posts its values (by default
  // without asking for one: "sys": {"ack": 0}, so a platform does not answer it; see the rig test below).
  const deletes = broker.received.filter((m) => m.topic === `${SYS}/thing/property/desired/delete`).map((m) => JSON.parse(m.payload.toString()));
  t.true(deletes.length >= 1, "the device sent a desired delete");
  const answer = JSON.parse(example("spec-004/desired-delete-reply.json"));
  answer.id = deletes[deletes.length - 1].id;
  broker.publish(`${SYS}/thing/property/desired/delete_reply`, JSON.stringify(answer), 1);
  const posts = broker.received.filter((m) => m.topic === `${SYS}/thing/event/property/post`).map((m) => JSON.parse(m.payload.toString()));
  t.true(posts.length >= 1 && posts.every((post) => post.sys.ack === 0), "property posts ask for no reply");
  // Long enough for an unanswered delete to time out: it does not, so the reply matched the request.
  sim.loop.runFor(60_000);
  const counters = firmware.gateway.status().counters;
  t.true(counters.desired_values_applied >= 1);
  t.is(counters.desired_malformed_replies ?? 0, 0, "the reply was understood");
  t.is(counters.desired_unexpected_replies ?? 0, 0, "the reply matched the device's request");
  t.is(counters.desired_delete_timeouts ?? 0, 0, "the delete reply was taken");
  const set = send(`${SYS}/thing/service/property/set`, example("spec-004/property-set.json"), `${SYS}/thing/service/property/set_reply`);
  t.is(set.length, 1);
  t.is(set[0].code, 200, JSON.stringify(set[0]));
  t.is(firmware.settings.values.report_interval_s, 30);
});

test("OTA: the upgrade example is accepted (its signature verifies against the configured key)", (t) => {
  const { send } = boot();
  // The P-256 check runs in slices of the tick: give it simulated time.
  const results = send(`${PREFIX}/ota/upgrade/command`, example("ota/upgrade.json"), `${PREFIX}/ota/upgrade/result`, 30_000);
  t.true(results.length >= 1);
  t.is(results[0].code, 200, JSON.stringify(results[0]));
  t.like(results[0].data, { status: "accepted", version: "1.1.0", size: 100000 });
});

test("spec 004: the property post reply example answers a post that asked for one (desired option postAck)", (t) => {
  const rig = new Rig(undefined, undefined, { ...DEFAULT_DESIRED_OPTIONS, postAck: true });
  rig.connect();
  rig.deliverToPlatform(); // the device's desired get; the scripted platform answers it
  rig.deliverToDevice();
  const posts = rig.toPlatform.filter(([topic]) => topic === rig.topics.propertyPost).map(([, payload]) => JSON.parse(payload));
  t.true(posts.length >= 1 && posts[0].sys.ack === 1, "with postAck the post asks for a reply");
  rig.toPlatform.length = 0;
  const answer = JSON.parse(example("spec-004/property-post-reply.json"));
  answer.id = posts[0].id;
  rig.deliver(rig.topics.propertyPostReply, JSON.stringify(answer));
  rig.runFor(15_000);
  t.is(rig.counter("desired_post_timeouts"), 0, "the reply was taken: the post did not time out");
  t.is(rig.counter("desired_unexpected_replies"), 0);
  t.is(rig.counter("desired_malformed_replies"), 0);
});
