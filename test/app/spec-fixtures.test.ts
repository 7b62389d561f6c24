/**
 * Every JSON example of the specs (test/fixtures/spec/, one file each; README.md there says what was fixed) goes
 * through the composed firmware (simulated HAL, simulated broker) and gets the answer the spec implies:
 * - a platform -> device example is sent on its topic and its reply checked (code / res and the fields the spec
 *   names); where the spec shows the reply, the reply has every field of that example;
 * - a device -> platform example is the shape the firmware's own message must have: the test makes the firmware
 *   send that message and checks it carries every field of the example, with the same types (values that are the
 *   platform's or the moment's, such as ids and timestamps, differ by nature);
 * - the spec 003 trigger fragment is a task's trigger, accepted in an ADD.
 *
 * The gateway is configured with the identity the examples name: for spec 000 the device uid "iYRkfVpi77" (the
 * sync example's, and what "${DEVICE_UID}" stands for), for spec 003 the sn "1234567890123". The clock starts inside
 * the spec 003 tasks' startTime..endTime.
 */
import test from "ava";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { SimBroker } from "../mqtt/helpers/sim-broker";

type Json = Record<string, unknown>;

const SN = "1234567890123";
const UID = "iYRkfVpi77";
const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SYS = "/sys/pk-demo/GW-0001";
const dir = new URL("../fixtures/spec/", import.meta.url);
const index = JSON.parse(readFileSync(new URL("index.json", dir), "utf8")) as { examples: { file: string; spec: string; specLine: number; direction: string }[] };

/** A fixture's text, "${DEVICE_UID}" replaced by the spec 000 device's uid. */
const text = (name: string): string => readFileSync(new URL(`${name}.json`, dir), "utf8").split("${DEVICE_UID}").join(UID);
const fixture = (name: string): Json => JSON.parse(text(name)) as Json;

/** 2024-06-15 12:00 UTC (a Saturday): inside the spec 003 tasks' startTime (2024-03-20) .. endTime (2024-10-20). */
const WALL = Date.UTC(2024, 5, 15, 12, 0, 30);

function boot(uid = SN) {
  const sim = createSimHal({ seed: 8, wallStartMs: WALL, wallSynced: true });
  const broker = new SimBroker(sim.network);
  const firmware = bootFirmware(sim, resolveConfig({ device: { uid }, mqtt: { broker: "mqtt://broker.sim:1883" } }));
  sim.loop.runFor(3000);
  const since = (before: number, topic: string): Json[] =>
    broker.received.slice(before).filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString()) as Json);
  /** Publish `payload` on `topic`, let it run, return what arrived on `replyTopic` since. */
  const send = (topic: string, payload: string, replyTopic: string, waitMs = 2000): Json[] => {
    const before = broker.received.length;
    broker.publish(topic, payload, 1);
    sim.loop.runFor(waitMs);
    return since(before, replyTopic);
  };
  const schedule = (payload: string): Json => {
    const replies = send(`${PREFIX}/schedule/command`, payload, `${PREFIX}/schedule/result`);
    if (replies.length !== 1) throw new Error(`${replies.length} schedule replies`);
    return replies[0];
  };
  return { sim, broker, firmware, send, since, schedule };
}

/** `actual` has every field of `example`, each of the same JSON type, recursively into objects. */
function hasShape(t: { true(v: boolean, m?: string): void }, actual: unknown, example: unknown, path: string): void {
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  t.true(kind(actual) === kind(example), `${path}: ${kind(actual)} where the spec shows ${kind(example)}`);
  if (kind(example) !== "object" || kind(actual) !== "object") return;
  for (const [key, value] of Object.entries(example as Json)) {
    t.true(Object.hasOwn(actual as Json, key), `${path}.${key}: missing (the spec's example has it)`);
    if (Object.hasOwn(actual as Json, key)) hasShape(t, (actual as Json)[key], value, `${path}.${key}`);
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "index.json").sort();
const specDir = new URL("../../../shared/spec/", import.meta.url);

test("the fixtures: one file each, all listed in index.json, ids unique (a spec 004 reply carries its request's)", (t) => {
  t.deepEqual(index.examples.map((e) => e.file).sort(), files, "index.json lists every fixture");
  const ids = new Map<string, string>();
  const repliesLast = [...files].sort((a, b) => Number(a.endsWith("-reply.json")) - Number(b.endsWith("-reply.json")));
  for (const file of repliesLast) {
    const body = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as Json;
    const id = String(body.mid ?? body.msgid ?? body.id ?? "");
    if (id === "") continue;
    if (file.startsWith("004-") && file.endsWith("-reply.json")) {
      t.is(ids.get(id), file.replace("-reply.json", ".json"), `${file}: the id of its request`);
      continue;
    }
    t.false(ids.has(id), `${file}: id ${id} also in ${ids.get(id)}`);
    ids.set(id, file);
  }
});

if (existsSync(specDir)) {
  test("every JSON example of the three spec texts (../shared/spec) has its fixture, at the line index.json names", (t) => {
    // The spec texts' examples: fenced json blocks in 000, top-level objects (and one "trigger" member) in 003/004.
    const spec = (name: string) => readFileSync(new URL(name, specDir), "utf8").split("\n");
    const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length;
    t.is(count("000-"), spec("000_2d23d695d99fd62d.txt").filter((l) => l.trim() === "```json").length);
    for (const [prefix, file] of [["003-", "003_98f126c3a9c75b4e.txt"], ["004-", "004_869c1c90f674d280.txt"]] as const) {
      let depth = 0;
      let blocks = 0;
      for (const line of spec(file)) {
        const bare = line.replace(/\/\/.*$/, "");
        const code = bare.replace(/"(?:[^"\\]|\\.)*"/g, '""');
        if (depth === 0 && (bare.trim() === "{" || bare.trim().startsWith('"trigger": {'))) blocks++;
        else if (depth === 0) continue;
        for (const ch of code) depth += ch === "{" || ch === "[" ? 1 : ch === "}" || ch === "]" ? -1 : 0;
      }
      t.is(count(prefix), blocks, `${file}: ${blocks} examples`);
    }
    for (const entry of index.examples) {
      const line = spec(entry.spec)[entry.specLine - 1] ?? "";
      t.regex(line.trim(), /^(\{|"trigger": \{|```json)$/, `${entry.file}: the spec's line ${entry.specLine} opens an example`);
    }
  });
} else {
  test.skip("every JSON example of the spec texts has its fixture (skipped: the spec texts are not at ../shared/spec beside this checkout)", () => {});
}

test("spec 000: create, update, sync, delete, update_all get 200 with the fields of the spec's results; the list report has the spec's shape", (t) => {
  const { broker, firmware, send, since } = boot(UID);
  const run = (action: string) => {
    const replies = send(`${PREFIX}/streaming_overdemand/${action.replace("-", "_")}/command`, text(`000-${action}-command`), `${PREFIX}/streaming_overdemand/${action.replace("-", "_")}/result`);
    t.is(replies.length, 1, action);
    const reply = replies[0];
    const command = fixture(`000-${action}-command`);
    t.like(reply, { code: 200, msg: "", reply: command.mid, type: command.type, device_uid: UID, trace_id: command.trace_id }, `${action}: ${JSON.stringify(reply)}`);
    hasShape(t, reply, fixture(`000-${action}-result`), `${action} result`);
    return reply;
  };
  const before = broker.received.length;
  t.deepEqual(run("create").data, { id: 1 }, "the spec's create result: data.id");
  t.is(run("update").code, 200, "the update example names id 1, the one just created");
  t.is(firmware.overdemand.handler.body(1).dynamic_demand_percentage, 80);
  const synced = run("sync");
  t.is((synced.data as unknown[]).length, 1);
  run("delete");
  t.is(firmware.overdemand.handler.strategies.length, 0);
  run("update-all");
  t.is(firmware.overdemand.handler.strategies.length, 1);
  // The device's list report after each change: the spec's list example's shape.
  const reports = since(before, `${PREFIX}/streaming_overdemand/list/post`);
  t.true(reports.length >= 4);
  const example = fixture("000-list-post");
  const last = reports[reports.length - 1];
  t.like(last, { type: "streaming_overdemand_list", device_uid: UID });
  hasShape(t, { ...last, data: [] }, { ...example, data: [] }, "list report");
  // The spec's own list as the whole set (update_all keeps its id 4): reported back with every field it had.
  const listAsSet = { ...fixture("000-update-all-command"), mid: "ee2e8f09-b280-4e4d-bcb9-1529b703c100", data: example.data };
  const at = broker.received.length;
  t.like(send(`${PREFIX}/streaming_overdemand/update_all/command`, JSON.stringify(listAsSet), `${PREFIX}/streaming_overdemand/update_all/result`)[0], { code: 200 });
  const listed = since(at, `${PREFIX}/streaming_overdemand/list/post`).at(-1) as Json;
  t.deepEqual(listed.data, example.data, "the list report carries the strategies as the spec's example shows them");
  // ...and so does the sync result, with the fields of the spec's sync result example.
  const sync = send(`${PREFIX}/streaming_overdemand/sync/command`, JSON.stringify({ ...fixture("000-sync-command"), mid: "4c5b3c27-cea8-4ea1-a936-41fd3596e100" }), `${PREFIX}/streaming_overdemand/sync/result`)[0];
  t.deepEqual(sync.data, example.data);
  hasShape(t, sync, fixture("000-sync-result"), "sync result");
});

test("spec 003: SET, READ_ALL, READ, UPDATE, ENABLE, ENABLE_ALL, DELETE, CLEAR, ADD, the trigger, the error replies and the run event", (t) => {
  const { sim, firmware, schedule, since, broker } = boot();
  const tasks = () => [...firmware.store.tasks.keys()].sort();
  const base = (name: string) => ({ msgid: fixture(name).msgid, method: "schedule", sn: SN, res: 1, errcode: "0" });

  t.like(schedule(text("003-set")), base("003-set"));
  t.deepEqual(tasks(), ["123", "124", "125"]);
  const all = schedule(text("003-read-all"));
  t.like(all, base("003-read-all"));
  t.deepEqual((all.tasks as Json[]).map((x) => x.taskId).sort(), ["123", "124", "125"]);
  const read = schedule(text("003-read"));
  t.like(read, base("003-read"));
  t.deepEqual((read.tasks as Json[]).map((x) => x.taskId), ["124", "125"]);
  // READ returns the tasks as stored: the example's fields, normalised (cycle and actions as sent).
  hasShape(t, (read.tasks as Json[])[0], ((fixture("003-set")["payload "] as Json).tasks as Json[])[1], "READ tasks[0]");
  t.like(schedule(text("003-update")), base("003-update"));
  t.like(schedule(text("003-enable")), base("003-enable"));
  t.is(JSON.parse(firmware.store.tasks.getJson("124") as string).enable, 0, "ENABLE: 124 disabled");
  t.like(schedule(text("003-enable-all")), base("003-enable-all"));
  t.is(JSON.parse(firmware.store.tasks.getJson("124") as string).enable, 1, "ENABLE_ALL 1: 124 enabled again");
  // DELETE 125 and 126: 126 was never created in any example; 125 is deleted, 126 named.
  t.like(schedule(text("003-delete")), { ...base("003-delete"), unknownTaskIds: ["126"] });
  t.deepEqual(tasks(), ["123", "124"]);
  t.like(schedule(text("003-clear")), base("003-clear"));
  t.deepEqual(tasks(), []);
  t.like(schedule(text("003-add")), base("003-add"));
  t.deepEqual(tasks(), ["124", "125"]);

  // The trigger example is a task's trigger: accepted. (Whether it fires depends on a device at "1_1" and group 1
  // answering Ua, helper D's point model; this site configures none, so only acceptance is asserted here.)
  const trigger = fixture("003-trigger").trigger;
  const withTrigger = { msgid: 628131887239491690, method: "schedule", sn: SN, "payload ": { cmd: "ADD", tasks: [{ taskId: "t1", cycle: { mode: "trigger", trigger, period: "day" }, actions: [{ method: "operate_raw", payload: { addr: "1_1", portid: "1", meteraddr: "1", functionid: "Switch", value: 1 } }] }] } };
  t.like(schedule(JSON.stringify(withTrigger)), { res: 1, errcode: "0" });

  // The error examples. 5010: the DELETE example when neither 125 nor 126 exists (under a new msgid: the example's
  // own was answered above, and the same bytes again would get that remembered reply).
  schedule(JSON.stringify({ ...fixture("003-clear"), msgid: 628131887239491691 }));
  const notFound = schedule(JSON.stringify({ ...fixture("003-delete"), msgid: 628131887239491693 }));
  t.like(notFound, { res: 0, errcode: "5010" });
  hasShape(t, notFound, fixture("003-error-5010"), "5010 reply");
  // 5009: the ADD example with a field out of range (priority -1).
  const bad = fixture("003-add");
  (((bad["payload "] as Json).tasks as Json[])[0] as Json).priority = -1;
  bad.msgid = 628131887239491692;
  const invalid = schedule(JSON.stringify(bad));
  t.like(invalid, { res: 0, errcode: "5009" });
  hasShape(t, invalid, fixture("003-error-5009"), "5009 reply");

  // The run event: task 124 of the ADD example fires every 15 minutes; its event has the spec's event shape.
  // (Under a new msgid: the example's own bytes again are a redelivery, answered from memory and not re-applied.)
  t.like(schedule(JSON.stringify({ ...fixture("003-add"), msgid: 628131887239491694 })), { res: 1 }, "ADD again after the CLEAR");
  const before = broker.received.length;
  sim.loop.runFor(16 * 60_000);
  const events = since(before, `${PREFIX}/schedule/event/post`);
  t.true(events.length >= 1, "task 124 ran and was reported");
  hasShape(t, events[0], fixture("003-event"), "event");
  const event = ((events[0].payload as Json).events as Json[])[0] as Json;
  t.like(event, { code: "schedule", addr: SN, endpoint: "GATEWAY" });
  t.is(((event.payload as Json).task as Json).taskId, "124");
  // res depends on the action reaching a device "1_1" (operate_raw Switch, helper D's point model): this site has
  // no such point, so the run is reported failed with an errcode; asserted only that it is a numeric code.
  t.regex(String((event.payload as Json).errcode), /^\d+$/);
});

test("spec 004: the property set is answered with the spec's reply shape; the device's get and delete have the spec's shape; the platform's replies are taken", (t) => {
  const { sim, broker, firmware, send, since } = boot();
  // The device asked for its desired values after connecting: the spec's get request shape.
  const gets = since(0, `${SYS}/thing/property/desired/get`);
  t.true(gets.length >= 1);
  hasShape(t, gets[0], fixture("004-desired-get"), "desired get");
  t.like(gets[0], { version: "1.0", method: "thing.property.desired.get" });
  // The spec's get reply, under the get's id: "power" is not a property of this gateway; taken, counted unknown.
  const reply = { ...fixture("004-desired-get-reply"), id: gets.at(-1)!.id };
  broker.publish(`${SYS}/thing/property/desired/get_reply`, JSON.stringify(reply), 1);
  sim.loop.runFor(2000);
  const counters = () => firmware.gateway.status().counters as Record<string, number>;
  t.is(counters().desired_malformed_replies ?? 0, 0, "the reply was understood");
  t.is(counters().desired_unexpected_replies ?? 0, 0, "the reply matched the device's request");
  t.true((counters().desired_unknown_properties ?? 0) >= 1, "power: not a property of this gateway, counted");

  // The property set example sets "temperature", which this gateway does not have: the answer is the documented
  // unknown-property code, in the spec's reply shape (a 200 would claim an effect that did not happen).
  const set = send(`${SYS}/thing/service/property/set`, text("004-property-set"), `${SYS}/thing/service/property/set_reply`);
  t.is(set.length, 1);
  hasShape(t, set[0], fixture("004-property-set-reply"), "set reply");
  t.like(set[0], { id: "201", code: 100001, version: "1.0" });
  t.regex(String(set[0].message), /temperature/);
  // The same example with a property this gateway has: exactly the spec's success reply.
  const known = { ...fixture("004-property-set"), id: "211", params: { report_interval_s: 30 } };
  const ok = send(`${SYS}/thing/service/property/set`, JSON.stringify(known), `${SYS}/thing/service/property/set_reply`);
  t.deepEqual(ok[0], { ...fixture("004-property-set-reply"), id: "211" });
  t.is(firmware.settings.values.report_interval_s, 30);

  // A desired value applied is deleted by the device: the spec's delete request shape; the spec's reply is taken.
  const at = broker.received.length;
  const desired = { id: gets.at(-1)!.id, code: 200, data: { report_interval_s: { value: 45, version: 7 } } };
  firmware.desired.connected(); // ask again, as after a reconnect
  sim.loop.runFor(2000);
  const again = since(at, `${SYS}/thing/property/desired/get`);
  t.true(again.length >= 1);
  broker.publish(`${SYS}/thing/property/desired/get_reply`, JSON.stringify({ ...desired, id: again.at(-1)!.id }), 1);
  sim.loop.runFor(2000);
  t.is(firmware.settings.values.report_interval_s, 45);
  const deletes = since(at, `${SYS}/thing/property/desired/delete`);
  t.true(deletes.length >= 1);
  // params is keyed by property name: the spec's shape is {name: {version}}, with this gateway's names.
  hasShape(t, { ...deletes[0], params: {} }, { ...fixture("004-desired-delete"), params: {} }, "desired delete");
  t.deepEqual(deletes[0].params, { report_interval_s: { version: 7 } });
  broker.publish(`${SYS}/thing/property/desired/delete_reply`, JSON.stringify({ ...fixture("004-desired-delete-reply"), id: deletes.at(-1)!.id }), 1);
  sim.loop.runFor(60_000);
  t.is(counters().desired_delete_timeouts ?? 0, 0, "the delete reply was taken");
  t.is(counters().desired_malformed_replies ?? 0, 0);
});

test("item 5 with spec 003's shared msgid: SET, READ_ALL, DELETE, CLEAR under one msgid are each applied as their own command", (t) => {
  const { firmware, schedule } = boot();
  const SHARED_MSGID = "628131887239491584";
  const shared = (name: string) => text(name).replace(/"msgid": \d+/, `"msgid": ${SHARED_MSGID}`);
  t.like(schedule(shared("003-set")), { res: 1, msgid: Number(SHARED_MSGID) });
  const readAll = schedule(shared("003-read-all"));
  t.is((readAll.tasks as unknown[]).length, 3, "READ_ALL under SET's msgid: answered with the tasks, not SET's reply");
  t.like(schedule(shared("003-delete")), { res: 1, unknownTaskIds: ["126"] });
  t.like(schedule(shared("003-clear")), { res: 1 });
  t.is(firmware.store.tasks.size, 0, "CLEAR applied");
  t.like(schedule(shared("003-clear")), { res: 1 }, "the same CLEAR again: its remembered reply");
  const counters = firmware.gateway.status().counters as Record<string, number>;
  t.true(counters.schedule_reused_msgids >= 3);
});

test("item 5 with spec 000's shared mid: create, update, delete, update_all under one mid are each applied and answered on their own topic", (t) => {
  const { firmware, send } = boot(UID);
  // The examples all carry mid ee2e8f09-...-1529b703cfed.
  const SHARED_MID = "ee2e8f09-b280-4e4d-bcb9-1529b703cfed";
  const cmd = (action: string) => text(`000-${action}-command`).replace(/"mid": "[^"]+"/, `"mid": "${SHARED_MID}"`);
  const result = (action: string) =>
    send(`${PREFIX}/streaming_overdemand/${action.replace("-", "_")}/command`, cmd(action), `${PREFIX}/streaming_overdemand/${action.replace("-", "_")}/result`);
  for (const action of ["create", "update", "delete", "update-all"]) {
    const replies = result(action);
    t.is(replies.length, 1, `${action}: answered on its own result topic`);
    t.like(replies[0], { code: 200, reply: SHARED_MID, type: `streaming_overdemand_${action.replace("-", "_")}` }, action);
  }
  t.is(firmware.overdemand.handler.strategies.length, 1, "update_all applied: the example's one strategy");
});
