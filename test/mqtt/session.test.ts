/** The session against the simulated broker: connect, subscribe, QoS 1 both ways, acknowledgement rules. */
import test from "ava";
import { PacketType } from "../../src/mqtt/constants";
import { MessageResult, PublishResult, SessionState } from "../../src/mqtt/session";
import { InRoute, OutRoute } from "../../src/protocol/topics";
import { makeFixture, text } from "./helpers/session-fixture";

const SYNC = "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command";

test("connects, subscribes every incoming route at QoS 1, publishes a retained online status with an offline will", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  t.is(f.session.state, SessionState.Connected);
  t.true(f.session.subscribed);
  t.deepEqual(f.online, [false]);
  const connect = f.broker.connects[0];
  t.is(connect.clientId, "GW-0001");
  t.false(connect.clean, "persistent session by default");
  t.is(connect.keepalive, 30);
  t.is(connect.will.topic, "v1/wudun/pk-demo/GW-0001/status/post");
  t.true(connect.will.retain);
  t.is(connect.will.qos, 1);
  t.deepEqual(JSON.parse(connect.will.payload.toString()), { device_uid: "GW-0001", online: false });
  const subscribed = f.broker.packets("subscribe").flatMap((p) => p.subscriptions);
  t.deepEqual(subscribed.map((s: { topic: string }) => s.topic).sort(), f.router.subscriptions().sort());
  t.true(subscribed.every((s: { qos: number }) => s.qos === 1));
  t.true(f.router.subscriptions().includes(SYNC));
  t.true(f.router.subscriptions().includes("/sys/pk-demo/GW-0001/thing/service/property/set"));
  t.true(f.router.subscriptions().includes("v1/wudun/pk-demo/GW-0001/schedule/command"));
  t.deepEqual(JSON.parse(f.broker.retained.get("v1/wudun/pk-demo/GW-0001/status/post")!.toString()), { device_uid: "GW-0001", online: true });
  t.true([...f.session.granted].every((code) => code === 1));
});

test("QoS 1 uplink on a route reaches the broker once and leaves the outbox on PUBACK", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  const body = text('{"type":"streaming_overdemand_list"}');
  t.is(f.session.publish(OutRoute.OverdemandListPost, body, 0, body.length, 1), PublishResult.Queued);
  t.is(f.session.publishText(OutRoute.ScheduleResult, '{"code":200}', 1), PublishResult.Queued);
  t.is(f.session.publishTo("custom/topic", "x", 0, 0, 0), PublishResult.Sent);
  f.sim.loop.runFor(100);
  const got = f.broker.received.filter((r) => !r.topic.endsWith("status/post"));
  t.deepEqual(
    got.map((r) => [r.topic, r.payload.toString(), r.qos, r.dup]),
    [
      ["v1/wudun/pk-demo/GW-0001/streaming_overdemand/list/post", '{"type":"streaming_overdemand_list"}', 1, false],
      ["v1/wudun/pk-demo/GW-0001/schedule/result", '{"code":200}', 1, false],
      ["custom/topic", "x", 0, false],
    ],
  );
  t.is(f.session.queuedUplinks, 0);
  t.is(f.session.stats.uplinkAcked, 2);
});

test("bad publishes are refused and change nothing", (t) => {
  const f = makeFixture({ maxPacketBytes: 512 });
  const body = new Uint8Array(600);
  t.is(f.session.publish(OutRoute.OverdemandListPost, body, 0, 600, 1), PublishResult.TooLarge);
  t.is(f.session.publish(99, body, 0, 1, 1), PublishResult.BadTopic);
  t.is(f.session.publishTo("a/+/b", "x", 0, 0, 1), PublishResult.BadTopic);
  t.is(f.session.publishTo("", "x", 0, 0, 1), PublishResult.BadTopic);
  t.is(f.session.publishTo("a", "\ud800", 0, 0, 1), PublishResult.BadPayload);
  t.is(f.session.publish(OutRoute.OverdemandListPost, body, 590, 20, 1), PublishResult.BadPayload);
  t.is(f.session.publish(OutRoute.OverdemandListPost, body, 0, 1, 2), PublishResult.BadQos);
  t.is(f.session.queuedUplinks, 0);
  t.is(f.session.publish(OutRoute.OverdemandListPost, body, 0, 1, 0), PublishResult.Dropped, "QoS 0 while offline");
  t.is(f.session.counters.value("mqtt_qos0_dropped"), 1);
});

test("QoS 1 downlink reaches the handler with its route and is acknowledged after Accepted", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  const id = f.broker.publish(SYNC, '{"mid":"m1"}', 1);
  f.sim.loop.runFor(100);
  t.is(f.delivered.length, 1);
  t.is(f.delivered[0].route, InRoute.OverdemandSyncCommand);
  t.is(f.delivered[0].payload, '{"mid":"m1"}');
  t.is(f.router.replyRoute(f.delivered[0].route), OutRoute.OverdemandSyncResult);
  t.deepEqual(f.broker.packets("puback").map((p) => p.messageId), [id]);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 0);
});

test("a Pending downlink is acknowledged only when the handler says it is committed; acks keep arrival order", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.answer.result = MessageResult.Pending;
  const first = f.broker.publish(SYNC, "A", 1);
  f.sim.loop.runFor(50);
  f.answer.result = MessageResult.Accepted;
  const second = f.broker.publish(SYNC, "B", 1);
  f.sim.loop.runFor(500);
  t.deepEqual(f.delivered.map((d) => d.payload), ["A", "B"]);
  t.deepEqual(f.broker.packets("puback"), [], "B's PUBACK waits behind A's");
  t.false(f.session.acknowledge(12345), "an unknown token is refused");
  t.true(f.session.acknowledge(f.delivered[0].token));
  t.false(f.session.acknowledge(f.delivered[0].token), "twice is refused");
  f.sim.loop.runFor(50);
  t.deepEqual(f.broker.packets("puback").map((p) => p.messageId), [first, second]);
});

test("Rejected downlinks are acknowledged (bad input is not redelivered) and counted", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.answer.result = MessageResult.Rejected;
  const id = f.broker.publish(SYNC, "not json", 1);
  f.sim.loop.runFor(50);
  t.deepEqual(f.broker.packets("puback").map((p) => p.messageId), [id]);
  t.is(f.session.counters.value("mqtt_downlink_rejected"), 1);
});

test("a redelivered message (same id, DUP) after a reconnect reaches the handler once", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  // The broker delivers, the device handles it, but the link dies before the PUBACK gets through.
  f.broker.publish(SYNC, "once", 1);
  f.sim.loop.runFor(6); // delivered and handled (5 ms latency); the PUBACK is on its way
  f.broker.connections[0].stalled = true; // ... and is lost
  f.sim.loop.runFor(20);
  t.is(f.delivered.length, 1);
  f.broker.crash();
  f.sim.loop.runFor(70_000);
  t.is(f.session.state, SessionState.Connected);
  t.is(f.delivered.length, 1, "the DUP redelivery did not reach the handler");
  t.is(f.session.counters.value("mqtt_downlink_duplicates"), 1);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 0, "but it was acknowledged");
});

test("a message still pending when the link drops is acknowledged on the new link once committed", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.answer.result = MessageResult.Pending;
  f.broker.publish(SYNC, "slow", 1);
  f.sim.loop.runFor(50);
  f.broker.crash();
  f.sim.loop.runFor(70_000);
  t.is(f.delivered.length, 1);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 1);
  t.true(f.session.acknowledge(f.delivered[0].token));
  f.sim.loop.runFor(50);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 0);
});

test("a new message reusing an id (no DUP) is not mistaken for a duplicate", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.broker.publish(SYNC, "one", 1, { messageId: 9 });
  f.sim.loop.runFor(50);
  f.broker.publish(SYNC, "two", 1, { messageId: 9 });
  f.sim.loop.runFor(50);
  t.deepEqual(f.delivered.map((d) => d.payload), ["one", "two"]);
});

test("messages on unknown topics are ignored, counted and still acknowledged", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.broker.sessions.get("GW-0001")!.subscriptions.set("other/topic", 1);
  const id = f.broker.publish("other/topic", "?", 1);
  f.broker.publish("other/topic", "?", 0);
  f.sim.loop.runFor(50);
  t.is(f.delivered.length, 0);
  t.is(f.router.unknownTopics, 2);
  t.deepEqual(f.broker.packets("puback").map((p) => p.messageId), [id]);
});

test("QoS 2 downlink: handed over once, PUBREC, then PUBCOMP for the PUBREL; a resend before PUBREL is not delivered", (t) => {
  const f = makeFixture({ subscribeQos: 2 });
  f.session.start();
  f.sim.loop.runFor(1000);
  // Hold the broker's PUBREL back by stalling right after the PUBLISH: the device sends PUBREC into the void.
  f.broker.publish(SYNC, "q2", 2, { messageId: 77 });
  f.sim.loop.runFor(6);
  f.broker.connections[0].stalled = true;
  f.sim.loop.runFor(20);
  f.broker.connections[0].stalled = false;
  f.broker.publish(SYNC, "q2", 2, { messageId: 77, dup: true });
  f.sim.loop.runFor(100);
  t.deepEqual(f.delivered.map((d) => [d.payload, d.qos]), [["q2", 2]]);
  const kinds = f.broker.log.filter((e) => e.cmd === "pubrec" || e.cmd === "pubcomp").map((e) => [e.cmd, e.packet.messageId]);
  t.deepEqual(kinds, [["pubrec", 77], ["pubcomp", 77]]);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 0);
});

test("a handler that throws is counted, logged, acknowledged, and the session keeps running", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  (f.session as unknown as { handler: { onMessage: () => never } }).handler.onMessage = () => {
    throw new Error("boom");
  };
  f.broker.publish(SYNC, "x", 1);
  f.sim.loop.runFor(50);
  t.is(f.session.counters.value("mqtt_handler_errors"), 1);
  t.is(f.broker.packets("puback").length, 1);
  t.is(f.session.state, SessionState.Connected);
  t.true(f.sim.simLog.lines.some((line) => line.includes("threw: Error: boom")));
});

test("stop() publishes the offline status, sends DISCONNECT and stays offline; queued uplinks wait for the next start", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  // The simulated link drops bytes written just before a close (real TCP does not: the aedes test checks the will).
  const link = f.broker.connections[0];
  const before = link.bytesToServer;
  f.session.stop();
  const offline = '{"device_uid":"GW-0001","online":false}';
  t.is(link.bytesToServer - before, 1 + 1 + 2 + "v1/wudun/pk-demo/GW-0001/status/post".length + offline.length + 2, "offline status (QoS 0, retained) then DISCONNECT");
  f.sim.loop.runFor(100_000);
  t.is(f.session.state, SessionState.Stopped);
  t.is(f.sim.network.connectAttempts, 1);
  t.deepEqual(f.offline, ["stopped"]);
  t.is(f.session.publishText(OutRoute.ScheduleResult, "later", 1), PublishResult.Queued);
  f.session.start();
  f.sim.loop.runFor(1000);
  t.true(f.broker.received.some((r) => r.payload.toString() === "later"));
});

test("PUBACK type constants line up with the wire (sanity of the ack queue)", (t) => {
  t.is(PacketType.Puback, 4);
  t.is(PacketType.Pubrec, 5);
  t.is(PacketType.Pubcomp, 7);
});
