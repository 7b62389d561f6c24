/**
 * Spec 004 flows on the sans-I/O rig: the device (Settings + DesiredSession) against the scripted platform, with
 * every message delivered explicitly.
 */
import test from "ava";
import { BLOCK_SIZE } from "../../src/protocol/desired/message-ids";
import { DEFAULT_DESIRED_OPTIONS } from "../../src/protocol/desired/session";
import { MemorySettingsPersistence } from "../../src/settings/persistence";
import { PROPERTIES } from "../../src/settings/registry";
import { MemoryIdBlocks, Rig } from "./desired-rig";

function connected(rig = new Rig()): Rig {
  rig.connect();
  rig.pump();
  return rig;
}

test("online set: committed, then replied {id, code, data, message, version}, then posted; desired values superseded", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = connected(new Rig(persistence));
  const postsBefore = rig.platform.posts.length;
  const id = rig.platform.sendSet({ control_period_ms: 500, log_level: "debug" });
  rig.pump();
  t.deepEqual(rig.platform.setReplies, [{ id, code: 200, data: {}, message: "success", version: "1.0" }]);
  t.deepEqual(persistence.values, { control_period_ms: 500, log_level: 3 });
  t.is(rig.device.settings.values.control_period_ms, 500);
  t.deepEqual(rig.device.listener.calls.map((c) => c.changed), [["control_period_ms", "log_level"]]);
  const post = rig.platform.posts[postsBefore];
  t.is(post.method, "thing.event.property.post");
  t.deepEqual(post.params, { control_period_ms: 500, log_level: 3 });
  const del = rig.platform.deletes.at(-1);
  t.deepEqual(del?.params, { control_period_ms: {}, log_level: {} });
  t.is(rig.counter("desired_sets_applied"), 1);
});

test("offline desired values: get after connect, apply newer versions, delete exactly those versions, post all", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = new Rig(persistence);
  rig.platform.setDesired("report_interval_s", 30);
  rig.platform.setDesired("report_interval_s", 120); // version 1
  rig.platform.setDesired("timezone", "CET-1CEST,M3.5.0,M10.5.0/3"); // version 0
  rig.connect();
  rig.pump();
  const get = rig.platform.gets[0];
  t.is(get.method, "thing.property.desired.get");
  t.is(get.version, "1.0");
  t.deepEqual(get.sys, { ack: 1 });
  t.deepEqual(get.params, PROPERTIES.map((p) => p.name));
  t.is(rig.device.settings.values.report_interval_s, 120);
  t.is(rig.device.settings.values.timezone, "CET-1CEST,M3.5.0,M10.5.0/3");
  t.deepEqual(persistence.versions, { report_interval_s: 1, timezone: 0 });
  t.deepEqual(rig.platform.deletes[0].params, { report_interval_s: { version: 1 }, timezone: { version: 0 } });
  t.deepEqual(rig.platform.deletes[0].sys, { ack: 1 });
  t.is(rig.platform.desired.size, 0);
  t.true(rig.device.session.synced);
  // One post with every current value after the first sync of a connection.
  t.is(rig.platform.posts.length, 1);
  t.deepEqual(Object.keys(rig.platform.posts[0].params), PROPERTIES.map((p) => p.name));
  t.is(rig.platform.reported.report_interval_s, 120);
  t.is(rig.counter("desired_values_applied"), 2);
});

test("every (re)connect fetches again; nothing desired means no delete and no change", (t) => {
  const rig = connected();
  t.is(rig.platform.gets.length, 1);
  t.is(rig.platform.deletes.length, 0);
  rig.disconnect();
  rig.platform.setDesired("ramp_rate_kw_per_s", 5);
  rig.connect();
  rig.pump();
  t.is(rig.platform.gets.length, 2);
  t.is(rig.device.settings.values.ramp_rate_kw_per_s, 5);
  t.is(rig.platform.desired.size, 0);
});

test("a stale version is ignored (pushed or fetched) and the stale desired value is still deleted", (t) => {
  const persistence = new MemorySettingsPersistence();
  persistence.values = { report_interval_s: 300 };
  persistence.versions = { report_interval_s: 5 };
  const rig = new Rig(persistence);
  for (let i = 0; i <= 3; i++) rig.platform.setDesired("report_interval_s", 10 + i); // versions 0..3, value 13
  rig.connect();
  rig.pump();
  t.is(rig.device.settings.values.report_interval_s, 300);
  t.deepEqual(rig.device.listener.calls, []);
  t.deepEqual(rig.platform.deletes[0].params, { report_interval_s: { version: 3 } });
  t.is(rig.platform.desired.size, 0);

  // A push that is not newer: answered (the request is valid) but not applied.
  const id = rig.platform.sendSet({ report_interval_s: { value: 10, version: 4 } });
  rig.pump();
  t.deepEqual(rig.platform.setReplies.at(-1), { id, code: 200, data: {}, message: "success", version: "1.0" });
  t.is(rig.device.settings.values.report_interval_s, 300);
  t.is(rig.counter("desired_stale_ignored"), 1);
  t.is(persistence.versions.report_interval_s, 5);
  // A newer one is applied.
  rig.platform.sendSet({ report_interval_s: { value: 10, version: 6 } });
  rig.pump();
  t.is(rig.device.settings.values.report_interval_s, 10);
  t.is(persistence.versions.report_interval_s, 6);
  t.deepEqual(rig.platform.deletes.at(-1)?.params, { report_interval_s: { version: 6 } });
});

test("a desired value pushed while the get is in flight wins over the older snapshot in the get reply", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = new Rig(persistence);
  rig.platform.setDesired("soc_min_pct", 15); // version 0
  rig.platform.holdGetReplies = true;
  rig.connect();
  rig.pump(); // the get reaches the platform; its reply (with version 0) is held
  t.is(rig.platform.heldGetReplies.length, 1);
  const v1 = rig.platform.setDesired("soc_min_pct", 20); // version 1, pushed at once
  rig.platform.pushDesired("soc_min_pct");
  rig.pump();
  t.is(rig.device.settings.values.soc_min_pct, 20);
  t.is(persistence.versions.soc_min_pct, v1);
  rig.platform.releaseGetReplies();
  rig.pump();
  t.is(rig.device.settings.values.soc_min_pct, 20, "the older snapshot must not undo the push");
  t.is(rig.device.listener.calls.length, 1);
  t.true(rig.device.session.synced);
});

test("a push older than the fetched version is ignored", (t) => {
  const rig = new Rig();
  rig.platform.setDesired("site_latitude", 10);
  rig.platform.setDesired("site_latitude", 20);
  rig.platform.setDesired("site_latitude", 30); // version 2
  rig.connect();
  rig.pump();
  t.is(rig.device.settings.values.site_latitude, 30);
  // A delayed push of version 1 arrives after the fetch.
  rig.platform.sendSet({ site_latitude: { value: 20, version: 1 } });
  rig.pump();
  t.is(rig.device.settings.values.site_latitude, 30);
  t.is(rig.counter("desired_stale_ignored"), 1);
});

test("a direct set while the get is in flight supersedes the fetched desired value, which is deleted", (t) => {
  const rig = new Rig();
  const v = rig.platform.setDesired("ramp_rate_kw_per_s", 7);
  rig.platform.holdGetReplies = true;
  rig.connect();
  rig.pump();
  rig.platform.sendSet({ ramp_rate_kw_per_s: 9 });
  rig.pump();
  t.is(rig.device.settings.values.ramp_rate_kw_per_s, 9);
  rig.platform.releaseGetReplies();
  rig.pump();
  t.is(rig.device.settings.values.ramp_rate_kw_per_s, 9);
  t.deepEqual(rig.platform.deletes.at(-1)?.params, { ramp_rate_kw_per_s: { version: v } });
  t.is(rig.counter("desired_values_superseded"), 1);
  t.is(rig.platform.desired.size, 0);
});

test("malformed sets get 460/100001 naming the problem and change nothing", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = connected(new Rig(persistence));
  const before = { ...rig.device.settings.values };
  const cases: [string, number, RegExp][] = [
    ["not json", 460, /^payload: not valid JSON/],
    ["[1,2]", 460, /^payload: must be a JSON object/],
    [JSON.stringify({ id: "1", version: "1.0", method: "thing.service.property.set" }), 460, /^params: must be an object/],
    [JSON.stringify({ id: "2", params: ["control_period_ms"] }), 460, /^params: must be an object/],
    [JSON.stringify({ id: "3", params: {} }), 460, /^params: no property to set$/],
    [JSON.stringify({ id: 4, params: { log_level: 1 } }), 460, /^id: must be a decimal string in 0\.\.4294967295, got 4$/],
    [JSON.stringify({ id: "4294967296", params: { log_level: 1 } }), 460, /^id: /],
    [JSON.stringify({ id: "-1", params: { log_level: 1 } }), 460, /^id: /],
    [JSON.stringify({ id: "5", version: "2.0", params: { log_level: 1 } }), 460, /^version: must be "1\.0", got "2\.0"$/],
    [JSON.stringify({ id: "6", method: "thing.service.property.get", params: { log_level: 1 } }), 460, /^method: /],
    [JSON.stringify({ id: "7", sys: { ack: 2 }, params: { log_level: 1 } }), 460, /^sys\.ack: must be 0 or 1, got 2$/],
    [JSON.stringify({ id: "8", params: { colour: "red" } }), 100001, /^params\.colour: unknown property$/],
    [JSON.stringify({ id: "9", params: { log_level: 1, colour: "red" } }), 100001, /params\.colour: unknown property/],
    [JSON.stringify({ id: "10", params: { control_period_ms: "fast" } }), 460, /^params\.control_period_ms: must be a number, got "fast"$/],
    [JSON.stringify({ id: "11", params: { report_interval_s: 1 } }), 460, /^params\.report_interval_s: must be an integer in 5\.\.3600 s, got 1$/],
    [JSON.stringify({ id: "12", params: { soc_min_pct: 96 } }), 460, /soc_min_pct \(96\) must be below soc_max_pct \(95\)/],
    [JSON.stringify({ id: "13", params: { log_level: { value: 1 } } }), 460, /^params\.log_level\.version: must be an integer >= 0, got nothing$/],
    [JSON.stringify({ id: "14", params: { log_level: { version: 3 } } }), 460, /^params\.log_level: an object must be/],
    [JSON.stringify({ id: "15", params: { timezone: "Mars/Olympus" } }), 460, /^params\.timezone: not a valid POSIX TZ string/],
    [JSON.stringify({ id: "16", params: { log_level: 1, report_interval_s: 0, dst_enable: "yes" } }), 460, /report_interval_s: .*; params\.dst_enable: /],
  ];
  for (const [payload, code, message] of cases) {
    rig.platform.sendRaw(payload);
    rig.pump();
    const reply = rig.platform.setReplies.at(-1);
    t.is(reply?.code, code, payload);
    t.regex(reply?.message ?? "", message, payload);
    t.deepEqual(reply?.data, {});
  }
  t.is(rig.platform.setReplies.length, cases.length);
  t.deepEqual(rig.platform.setReplies.map((r) => r.id).slice(2, 6), ["1", "2", "3", ""]);
  t.deepEqual(rig.device.settings.values, before);
  t.deepEqual(persistence.values, {});
  t.is(persistence.commits, 0);
  t.deepEqual(rig.device.listener.calls, []);
  t.is(rig.counter("desired_sets_refused"), cases.length);
});

test("sys.ack = 0 on a set: applied, no reply (also for a refused set)", (t) => {
  const rig = connected();
  rig.platform.sendSet({ report_interval_s: 15 }, { sys: { ack: 0 } });
  rig.platform.sendSet({ report_interval_s: 1 }, { sys: { ack: 0 } });
  rig.pump();
  t.is(rig.device.settings.values.report_interval_s, 15);
  t.is(rig.platform.setReplies.length, 0);
  t.is(rig.counter("desired_sets_refused"), 1);
});

test("sys.ack = 0 for our deletes and posts: nothing awaited, so nothing times out", (t) => {
  const rig = new Rig(undefined, undefined, { ...DEFAULT_DESIRED_OPTIONS, deleteAck: false, postAck: false });
  rig.platform.setDesired("log_level", 0);
  rig.connect();
  rig.pump();
  t.deepEqual(rig.platform.deletes[0].sys, { ack: 0 });
  t.is(rig.toDevice.length, 0);
  rig.runFor(60_000);
  t.is(rig.counter("desired_delete_timeouts"), 0);
  t.is(rig.platform.desired.size, 0);
});

test("a redelivered set (same id) gets the same reply and is not applied again", (t) => {
  const rig = connected();
  rig.platform.sendRaw(JSON.stringify({ id: "77", version: "1.0", params: { report_interval_s: 15 } }));
  rig.pump();
  rig.platform.sendSet({ report_interval_s: 20 });
  rig.pump();
  rig.platform.sendRaw(JSON.stringify({ id: "77", version: "1.0", params: { report_interval_s: 15 } }));
  rig.pump();
  t.is(rig.device.settings.values.report_interval_s, 20);
  t.deepEqual(rig.platform.setReplies[2], rig.platform.setReplies[0]);
  t.is(rig.counter("desired_sets_duplicate"), 1);
});

test("a reused set id with other params is a new set: applied, not answered with the earlier set's reply", (t) => {
  const rig = connected();
  // The spec's example id "123" twice, with other params the second time.
  rig.platform.sendRaw(JSON.stringify({ id: "123", version: "1.0", params: { report_interval_s: 15 }, method: "thing.service.property.set" }));
  rig.pump();
  rig.platform.sendRaw(JSON.stringify({ id: "123", version: "1.0", params: { report_interval_s: 25 }, method: "thing.service.property.set" }));
  rig.pump();
  t.is(rig.device.settings.values.report_interval_s, 25);
  t.is(rig.platform.setReplies.length, 2);
  t.like(rig.platform.setReplies[1], { id: "123", code: 200 });
  t.is(rig.counter("desired_sets_duplicate"), 0);
  t.is(rig.counter("desired_reused_set_ids"), 1);
  // The second one redelivered: its own reply, not applied again.
  rig.platform.sendRaw(JSON.stringify({ id: "123", version: "1.0", params: { report_interval_s: 25 }, method: "thing.service.property.set" }));
  rig.pump();
  t.is(rig.counter("desired_sets_duplicate"), 1);
  t.is(rig.counter("desired_sets_applied"), 2);
});

test("a store failure answers 400, changes nothing, and a later retry works", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = connected(new Rig(persistence));
  persistence.failNext = "store full";
  rig.platform.sendSet({ report_interval_s: 15 });
  rig.pump();
  const reply = rig.platform.setReplies.at(-1);
  t.is(reply?.code, 400);
  t.regex(reply?.message ?? "", /settings could not be stored \(Error: store full\); nothing changed/);
  t.is(rig.device.settings.values.report_interval_s, 60);
  // The same set redelivered (same id) is tried again, not answered from memory: the failure may have been transient.
  rig.platform.sendRaw(JSON.stringify({ id: reply?.id, version: "1.0", params: { report_interval_s: 15 } }));
  rig.pump();
  t.deepEqual(rig.platform.setReplies.at(-1), { id: reply?.id, code: 200, data: {}, message: "success", version: "1.0" });
  t.is(rig.device.settings.values.report_interval_s, 15);
  t.is(rig.counter("desired_sets_duplicate"), 0);
});

test("reboot between apply and delete: not applied twice, deleted after the next connect", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = new Rig(persistence);
  const v = rig.platform.setDesired("meter_silence_timeout_ms", 4000);
  rig.connect();
  rig.deliverToPlatform(); // the get
  // The get reply reaches the device; the device applies and commits, then loses power before its delete leaves.
  for (const [topic, payload] of rig.toDevice.splice(0)) rig.deliver(topic, payload);
  t.is(persistence.versions.meter_silence_timeout_ms, v);
  t.true(rig.toPlatform.some(([topic]) => topic === rig.topics.desiredDelete));
  const before = rig.device;
  t.is(before.listener.calls.length, 1);
  rig.reboot();
  t.is(rig.platform.desired.size, 1, "the delete never reached the platform");
  t.is(rig.device.settings.values.meter_silence_timeout_ms, 4000);
  rig.connect();
  rig.pump();
  t.is(rig.device.listener.calls.length, 0, "not applied again after the reboot");
  t.deepEqual(rig.platform.deletes[0].params, { meter_silence_timeout_ms: { version: v } });
  t.is(rig.platform.desired.size, 0);
});

test("get refused or unanswered: retried with doubling delay while connected; a late reply is ignored", (t) => {
  const rig = new Rig();
  rig.platform.setDesired("log_level", 1);
  rig.platform.nextGetCode = 503;
  rig.connect();
  rig.pump();
  t.is(rig.counter("desired_get_errors"), 1);
  t.false(rig.device.session.synced);
  rig.runFor(9_000);
  t.is(rig.platform.gets.length, 1);
  rig.platform.holdGetReplies = true;
  rig.runFor(1_000); // 10 s after the error: second get
  t.is(rig.platform.gets.length + rig.toPlatform.length, 2);
  rig.pump();
  rig.runFor(10_000); // its reply never comes: timeout, next try 20 s later
  t.is(rig.counter("desired_get_timeouts"), 1);
  rig.runFor(19_000);
  rig.pump();
  t.is(rig.platform.gets.length, 2);
  rig.platform.holdGetReplies = false;
  rig.runFor(1_000);
  rig.pump();
  t.is(rig.platform.gets.length, 3);
  t.true(rig.device.session.synced);
  t.is(rig.device.settings.values.log_level, 1);
  // The held reply to the timed-out get arrives late: not ours any more.
  rig.platform.releaseGetReplies();
  rig.pump();
  t.is(rig.counter("desired_unexpected_replies"), 1);
});

test("delete refused: counted; the next connection deletes it again", (t) => {
  const rig = new Rig();
  const v = rig.platform.setDesired("dst_enable", 0);
  rig.platform.nextDeleteCode = 460;
  rig.connect();
  rig.pump();
  t.is(rig.device.settings.values.dst_enable, false);
  t.is(rig.counter("desired_delete_errors"), 1);
  t.is(rig.platform.desired.size, 1);
  rig.disconnect();
  rig.connect();
  rig.pump();
  t.deepEqual(rig.platform.deletes.at(-1)?.params, { dst_enable: { version: v } });
  t.is(rig.platform.desired.size, 0);
  t.is(rig.device.listener.calls.length, 1);
});

test("desired values are judged one by one, then as a whole; refused ones stay on the platform", (t) => {
  const persistence = new MemorySettingsPersistence();
  const rig = new Rig(persistence);
  rig.platform.setDesired("report_interval_s", 2); // out of range
  rig.platform.setDesired("log_level", "warn");
  rig.connect();
  rig.pump();
  t.is(rig.device.settings.values.log_level, 1);
  t.is(rig.device.settings.values.report_interval_s, 60);
  t.is(rig.counter("desired_values_rejected"), 1);
  t.deepEqual(rig.platform.deletes[0].params, { log_level: { version: 0 } });
  t.true(rig.platform.desired.has("report_interval_s"));
  t.true(rig.device.log.lines.some((l) => l.includes("desired.report_interval_s: must be an integer in 5..3600 s, got 2")));

  // Two values fine alone, broken together (soc min above max): none applied, none deleted.
  rig.disconnect();
  rig.platform.desired.clear();
  rig.platform.setDesired("soc_min_pct", 50);
  rig.platform.setDesired("soc_max_pct", 40);
  rig.connect();
  rig.pump();
  t.is(rig.device.settings.values.soc_min_pct, 10);
  t.is(rig.device.settings.values.soc_max_pct, 95);
  t.is(rig.platform.desired.size, 2);
  t.is(rig.counter("desired_values_rejected"), 2);
});

test("malformed replies and unknown names in a get reply are counted, the rest applied", (t) => {
  const rig = new Rig();
  rig.platform.holdGetReplies = true;
  rig.connect();
  rig.pump();
  const get = rig.platform.gets[0];
  rig.deliver(rig.topics.desiredGetReply, "{broken");
  rig.deliver(rig.topics.desiredDeleteReply, JSON.stringify({ id: "999", code: 200 }));
  rig.deliver(
    rig.topics.desiredGetReply,
    JSON.stringify({
      id: get.id,
      code: 200,
      data: { colour: { value: 1, version: 1 }, log_level: { value: 0 }, ramp_rate_kw_per_s: { value: 3, version: 2 } },
    }),
  );
  rig.pump();
  t.is(rig.counter("desired_malformed_replies"), 2);
  t.is(rig.counter("desired_unexpected_replies"), 1);
  t.is(rig.counter("desired_unknown_properties"), 1);
  t.is(rig.device.settings.values.ramp_rate_kw_per_s, 3);
  t.is(rig.device.settings.values.log_level, 2);
  t.false(rig.deliver("/sys/other/topic", "{}"));
});

test("message ids: decimal strings in range, unique over many messages and reboots, one block write per boot", (t) => {
  const idBlocks = new MemoryIdBlocks();
  const rig = new Rig(new MemorySettingsPersistence(), idBlocks);
  for (let boot = 0; boot < 5; boot++) {
    rig.connect();
    rig.pump();
    for (let i = 0; i < 3; i++) {
      rig.platform.sendSet({ report_interval_s: 10 + boot * 3 + i });
      rig.pump();
    }
    rig.reboot();
  }
  const ids = rig.deviceIds;
  t.true(ids.length > 30);
  for (const id of ids) t.regex(id, /^(0|[1-9][0-9]*)$/);
  t.is(new Set(ids).size, ids.length);
  t.true(ids.every((id) => Number(id) <= 4294967295));
  t.is(idBlocks.saves, 5);
  t.is(Number(ids.at(-1)) >> 12, 4); // fifth boot, fifth block (BLOCK_SIZE 4096)
  t.is(BLOCK_SIZE, 4096);
});

test("message ids: a block is reserved before use; the last block wraps to 0; a failing store is counted", async (t) => {
  const { MessageIds, BLOCK_COUNT } = await import("../../src/protocol/desired/message-ids");
  const blocks = new MemoryIdBlocks();
  blocks.next = BLOCK_COUNT - 1;
  const ids = new MessageIds(blocks);
  t.is(ids.nextNumber(), (BLOCK_COUNT - 1) * BLOCK_SIZE);
  t.is(blocks.next, 0);
  for (let i = 1; i < BLOCK_SIZE; i++) ids.nextNumber();
  t.is(ids.nextNumber(), 0);
  t.is(blocks.next, 1);
  const failing = new MessageIds({
    load: () => 7,
    save: () => {
      throw new Error("full");
    },
  });
  t.is(failing.next(), String(7 * BLOCK_SIZE));
  t.is(failing.persistFailures, 1);
});

test("requests awaiting replies are bounded: the oldest is evicted and counted", (t) => {
  const rig = new Rig(undefined, undefined, { ...DEFAULT_DESIRED_OPTIONS, pendingCapacity: 2, postAck: true });
  rig.connect();
  rig.pump();
  // Each set makes a post and a delete, both awaiting replies that this test never delivers.
  for (let i = 0; i < 4; i++) {
    rig.platform.sendSet({ report_interval_s: 10 + i });
    rig.deliverToDevice();
    rig.deliverToPlatform();
    rig.toDevice.length = 0;
  }
  t.is(rig.counter("desired_pending_evicted"), 6);
  rig.runFor(11_000);
  t.is(rig.counter("desired_post_timeouts") + rig.counter("desired_delete_timeouts"), 2);
});

test("the spec-004 topic strings equal the topic router's Thing routes", async (t) => {
  const { TopicRouter, InRoute, OutRoute } = await import("../../src/protocol/topics");
  const { desiredOutTopic, desiredSubscriptions } = await import("../../src/protocol/desired/topics");
  const { DesiredOut } = await import("../../src/protocol/desired/session");
  const rig = new Rig();
  const router = new TopicRouter(rig.config.device);
  t.is(desiredOutTopic(rig.topics, DesiredOut.SetReply), router.outgoingTopic(OutRoute.ThingPropertySetReply));
  t.is(desiredOutTopic(rig.topics, DesiredOut.DesiredGet), router.outgoingTopic(OutRoute.ThingDesiredGet));
  t.is(desiredOutTopic(rig.topics, DesiredOut.DesiredDelete), router.outgoingTopic(OutRoute.ThingDesiredDelete));
  t.is(desiredOutTopic(rig.topics, DesiredOut.PropertyPost), router.outgoingTopic(OutRoute.ThingPropertyPost));
  t.deepEqual(desiredSubscriptions(rig.topics), [
    router.incomingTopic(InRoute.ThingPropertySet),
    router.incomingTopic(InRoute.ThingDesiredGetReply),
    router.incomingTopic(InRoute.ThingDesiredDeleteReply),
    router.incomingTopic(InRoute.ThingPropertyPostReply),
  ]);
  t.is(rig.topics.set, "/sys/pk-demo/GW-0001/thing/service/property/set");
});
