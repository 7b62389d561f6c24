/** The session under faults on the simulated network: crashes, half-open links, garbage, refusals, full buffers. */
import { createHmac } from "node:crypto";
import test from "ava";
import type { TcpHandlers, TcpOptions, TcpSocket } from "../../hal/types";
import { publishSize } from "../../src/mqtt/encoder";
import { PublishResult, SessionState } from "../../src/mqtt/session";
import { OutRoute } from "../../src/protocol/topics";
import { SimBroker } from "./helpers/sim-broker";
import { makeFixture, text, type Fixture } from "./helpers/session-fixture";

const SYNC = "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command";
const STATUS = "v1/wudun/pk-demo/GW-0001/status/post";

function uplinks(f: Fixture) {
  return f.broker.received.filter((r) => r.topic !== STATUS);
}

/** Record the time of every connection attempt. */
function recordAttempts(f: Fixture): number[] {
  const times: number[] = [];
  const network = f.sim.network;
  const original = network.connect.bind(network);
  network.connect = (options: TcpOptions, handlers: TcpHandlers): TcpSocket => {
    times.push(f.sim.loop.monotonicMs());
    return original(options, handlers);
  };
  return times;
}

test("broker crashes and restarts mid-stream: every QoS 1 uplink arrives, in-flight ones again with DUP", (t) => {
  const f = makeFixture({ outboxEntries: 256, outboxBytes: 32_768 });
  f.session.start();
  f.sim.loop.runFor(1000);
  const total = 300;
  let sent = 0;
  const publishTimer = f.sim.loop.createTimer(() => {
    if (sent < total) {
      const body = text(`{"seq":${sent}}`);
      t.is(f.session.publish(OutRoute.OverdemandListPost, body, 0, body.length, 1), PublishResult.Queued);
      sent++;
    }
  });
  publishTimer.start(100, 100);
  // Three crashes; before each the broker sits on its PUBACKs for a while so messages are in flight when it dies,
  // and after one of them it stays down (connections refused) for 20 s.
  for (const [at, down] of [
    [5_000, 0],
    [12_000, 20_000],
    [40_000, 3_000],
  ]) {
    f.sim.loop.runUntil(at - 700);
    f.broker.withholdPubacks = true;
    f.sim.loop.runUntil(at);
    f.broker.withholdPubacks = false;
    f.broker.crash();
    f.sim.network.refuseConnections = down > 0;
    f.sim.loop.runFor(down);
    f.sim.network.refuseConnections = false;
  }
  f.sim.loop.runFor(120_000);
  publishTimer.stop();
  const seen = new Set(uplinks(f).map((r) => JSON.parse(r.payload.toString()).seq as number));
  t.is(sent, total);
  for (let i = 0; i < total; i++) t.true(seen.has(i), `seq ${i} lost`);
  const duplicates = uplinks(f).filter((r) => r.dup);
  t.true(duplicates.length > 0, "in-flight messages were retransmitted");
  t.true(f.session.stats.uplinkRetransmits >= duplicates.length);
  // A retransmission keeps its packet id.
  for (const dup of duplicates) {
    const first = uplinks(f).find((r) => r.payload.equals(dup.payload) && !r.dup);
    if (first) t.is(first.messageId, dup.messageId);
  }
  // First occurrences arrive in publish order.
  const order = [...new Map(uplinks(f).map((r) => [JSON.parse(r.payload.toString()).seq, true])).keys()];
  t.deepEqual(order, [...order].sort((a, b) => a - b));
  t.is(f.session.queuedUplinks, 0);
  t.is(f.session.counters.value("mqtt_uplink_dropped_oldest"), 0);
});

test("half-open link: the broker goes silent with TCP up; keepalive detects it within 1.5 x keepalive and reconnects", (t) => {
  const f = makeFixture({ keepAliveSec: 30 });
  f.session.start();
  f.sim.loop.runFor(100_000);
  const link = f.broker.connections[0];
  const stalledAt = f.sim.loop.monotonicMs();
  link.stalled = true;
  // Keep publishing into the void: our own sends must not hide the dead link.
  const publisher = f.sim.loop.createTimer(() => f.session.publishTo("x/y", "z", 0, 0, 0));
  publisher.start(1000, 1000);
  f.sim.loop.runFor(45_000);
  publisher.stop();
  t.is(f.offline.length, 1);
  t.regex(f.offline[0], /nothing received for 4\d{4} ms \(keepalive 30 s\)/);
  t.is(f.session.counters.value("mqtt_keepalive_timeouts"), 1);
  const lastPingResp = f.broker.log.filter((e) => e.cmd === "pingreq" && e.atMs < stalledAt).pop()!.atMs;
  t.true(f.sim.loop.monotonicMs() - stalledAt <= 45_000);
  t.true(lastPingResp > stalledAt - 30_000);
  f.sim.loop.runFor(5_000);
  t.is(f.session.state, SessionState.Connected, "reconnected on a new link");
});

test("pings go out every keepalive interval whatever else is sent; a late PINGRESP is no timeout while bytes arrive", (t) => {
  const f = makeFixture({ keepAliveSec: 30 });
  f.session.start();
  f.sim.loop.runFor(1000);
  const publisher = f.sim.loop.createTimer(() => f.session.publishText(OutRoute.OverdemandListPost, "{}", 1));
  publisher.start(500, 500);
  f.sim.loop.runFor(300_000);
  const pings = f.broker.packets("pingreq").length;
  t.true(pings >= 9 && pings <= 10, `${pings} pings in 300 s`);
  // The broker stops answering pings but keeps talking: the link is alive.
  f.broker.ignorePings = true;
  const talker = f.sim.loop.createTimer(() => f.broker.publish(SYNC, "tick", 0));
  talker.start(20_000, 20_000);
  f.sim.loop.runFor(300_000);
  t.is(f.session.counters.value("mqtt_keepalive_timeouts"), 0);
  t.is(f.broker.connects.length, 1);
  talker.stop();
  publisher.stop();
  f.sim.loop.runFor(60_000);
  t.is(f.session.counters.value("mqtt_keepalive_timeouts"), 1, "silence is detected once the talking stops");
});

test("reconnect backoff: full jitter between 1 s and 12 s, growing, different per seed, reset after a stable link", (t) => {
  const delaysFor = (seed: number): number[] => {
    const f = makeFixture({}, seed);
    const times = recordAttempts(f);
    f.sim.network.refuseConnections = true;
    f.session.start();
    f.sim.loop.runFor(600_000);
    return times.slice(1).map((time, i) => time - times[i] - f.sim.network.latencyMs);
  };
  const a = delaysFor(1);
  const b = delaysFor(2);
  t.true(a.length >= 12, `${a.length} attempts in 10 min`);
  for (const delay of [...a, ...b]) t.true(delay >= 1000 && delay <= 12_000, `delay ${delay}`);
  for (let n = 0; n < 6; n++) t.true(a[n] <= 1000 * 2 ** n, `attempt ${n}: ${a[n]} > ${1000 * 2 ** n}`);
  t.true(Math.max(...a.slice(8)) > 8_000, "late attempts reach the cap's range");
  t.notDeepEqual(a.slice(0, 10), b.slice(0, 10), "jitter differs between devices");

  const f = makeFixture();
  const times = recordAttempts(f);
  f.sim.network.refuseConnections = true;
  f.session.start();
  f.sim.loop.runFor(300_000);
  f.sim.network.refuseConnections = false;
  f.sim.loop.runFor(130_000);
  t.is(f.session.state, SessionState.Connected);
  t.true(f.session.status().backoffAttempt === 0, "stable for 60 s: backoff reset");
  const before = times.length;
  f.broker.crash();
  f.sim.loop.runFor(1_100);
  t.is(times.length, before + 1, "the first retry after a stable link comes within about a second");
});

test("garbage from the peer is a protocol error: counted, reset, reconnected", (t) => {
  const f = makeFixture();
  f.session.start();
  f.sim.loop.runFor(1000);
  f.broker.sendRaw(new Uint8Array([0xff, 0x13, 0x37, 0x00, 0x42]));
  f.sim.loop.runFor(10);
  t.is(f.session.counters.value("mqtt_protocol_errors"), 1);
  t.regex(f.offline[0], /protocol error: reserved packet type \(15\)/);
  f.sim.loop.runFor(2000);
  t.is(f.session.state, SessionState.Connected);
  // A well-formed packet a broker never sends (SUBSCRIBE) is refused too.
  f.broker.sendRaw(new Uint8Array([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]));
  f.sim.loop.runFor(10);
  t.regex(f.offline[1], /unexpected SUBSCRIBE from the broker/);
});

test("a PUBLISH over the maximum is acknowledged and handed on as a prefix, counted, its tail never buffered; the link stays up", (t) => {
  const f = makeFixture({ maxPacketBytes: 1024 });
  f.session.start();
  f.sim.loop.runFor(1000);
  const big = `{"mid":"m-1",${"x".repeat(5000)}}`;
  f.broker.publish(SYNC, big, 1);
  f.sim.loop.runFor(50);
  t.is(f.session.counters.value("mqtt_oversized_publishes"), 1);
  t.is(f.session.counters.value("mqtt_packet_too_large"), 0);
  t.deepEqual(f.offline, [], "the connection stays up");
  t.is(f.delivered.length, 1);
  const [prefix] = f.delivered;
  t.true(prefix.oversizeBytes > 5000 && prefix.oversizeBytes < 5100, `announced ${prefix.oversizeBytes}`);
  t.true(prefix.payload.length < 1024, "only what fits the receive buffer is handed on");
  t.true(big.startsWith(prefix.payload));
  t.is(f.broker.unackedDeliveries, 0, "acknowledged, so the broker does not redeliver it at every reconnect");
  f.broker.publish(SYNC, "small", 1);
  f.sim.loop.runFor(10);
  t.deepEqual(f.delivered.map((d) => d.payload).slice(1), ["small"], "the stream is in step after the skipped tail");
  t.is(f.session.state, SessionState.Connected);
});

test("a packet other than PUBLISH over the maximum is refused from its header and the connection reset", (t) => {
  const f = makeFixture({ maxPacketBytes: 1024 });
  f.session.start();
  f.sim.loop.runFor(1000);
  // A SUBACK announcing 2000 bytes: nothing a client could act on, so it is a protocol error.
  f.broker.sendRaw(new Uint8Array([0x90, 0xd0, 0x0f, 0x00, 0x01]));
  f.sim.loop.runFor(10);
  t.is(f.session.counters.value("mqtt_packet_too_large"), 1);
  t.regex(f.offline[0], /SUBACK: packet too large \(2003 bytes announced, maximum 1024\)/);
  f.sim.loop.runFor(2000);
  t.is(f.session.state, SessionState.Connected);
});

test("CONNACK refusals are counted and named; bad credentials push the backoff to its longest delays", (t) => {
  const f = makeFixture();
  f.broker.connackCode = 4;
  f.session.start();
  f.sim.loop.runFor(100);
  t.is(f.session.counters.value("mqtt_connack_refused"), 1);
  t.regex(f.session.lastError, /bad user name or password \(4\)/);
  t.true(f.session.status().backoffAttempt >= 30);
  t.is(f.online.length, 0);
  t.deepEqual(f.offline, [], "never online, so never offline");
  // The next attempts come 150..300 s apart (reconnectRefusedMaxMs 300 s), not every few seconds.
  f.sim.loop.runFor(3_600_000);
  const attempts = f.broker.connects.length;
  t.true(attempts >= 12 && attempts <= 26, `${attempts} CONNECTs in an hour of refusals`);
  f.broker.connackCode = 0;
  f.sim.loop.runFor(300_000 + 61_000);
  t.deepEqual(f.online, [false], "accepted credentials: online at the next attempt");
  t.is(f.session.status().backoffAttempt, 0, "a stable link resets the backoff and the refused mode");
});

test("a refused subscription (SUBACK 0x80) is counted and visible, the session still goes online", (t) => {
  const f = makeFixture();
  const schedule = "v1/wudun/pk-demo/GW-0001/schedule/command";
  f.broker.refuseFilters.add(schedule);
  f.session.start();
  f.sim.loop.runFor(1000);
  t.is(f.session.counters.value("mqtt_subscribe_failures"), 1);
  const index = f.router.subscriptions().indexOf(schedule);
  t.is(f.session.granted[index], 0x80);
  t.deepEqual(f.online, [false]);
  t.true(f.sim.simLog.lines.some((line) => line.includes(`refused subscription to "${schedule}"`)));
});

test("offline queue: bounded by entries and bytes, drops the oldest (counted), sends the rest in order", (t) => {
  const f = makeFixture({ outboxEntries: 8, outboxBytes: 4096 });
  for (let i = 0; i < 20; i++) t.is(f.session.publishText(OutRoute.OverdemandListPost, `{"seq":${i}}`, 1), PublishResult.Queued);
  t.is(f.session.queuedUplinks, 8);
  t.is(f.session.counters.value("mqtt_uplink_dropped_oldest"), 12);
  // Byte bound: 300-byte payloads in a 4096-byte pool.
  const fit = Math.floor(4096 / publishSize("v1/wudun/pk-demo/GW-0001/streaming_overdemand/list/post".length, 300, 1));
  const big = new Uint8Array(300).fill(0x41);
  const g = makeFixture({ outboxEntries: 64, outboxBytes: 4096 });
  for (let i = 0; i < 30; i++) {
    big[0] = 48 + (i % 10);
    g.session.publish(OutRoute.OverdemandListPost, big, 0, big.length, 1);
  }
  t.true(g.session.queuedUplinks <= fit && g.session.queuedUplinks >= fit - 1, `${g.session.queuedUplinks} of ${fit}`);
  t.is(g.session.counters.value("mqtt_uplink_dropped_oldest"), 30 - g.session.queuedUplinks);
  f.session.start();
  f.sim.loop.runFor(1000);
  t.deepEqual(uplinks(f).map((r) => JSON.parse(r.payload.toString()).seq), [12, 13, 14, 15, 16, 17, 18, 19]);
});

test("the in-flight window bounds unacknowledged uplinks", (t) => {
  const f = makeFixture({ inflightWindow: 4 });
  f.session.start();
  f.sim.loop.runFor(1000);
  f.broker.withholdPubacks = true;
  for (let i = 0; i < 10; i++) f.session.publishText(OutRoute.OverdemandListPost, `${i}`, 1);
  f.sim.loop.runFor(100);
  t.is(uplinks(f).length, 4);
  t.is(f.session.inflightUplinks, 4);
  f.broker.withholdPubacks = false;
  f.broker.releasePubacks();
  f.sim.loop.runFor(100);
  t.is(uplinks(f).length, 10);
  t.is(f.session.queuedUplinks, 0);
});

test("Alibaba-style credentials: signed client id, deviceName&productKey, HMAC password (checked with node:crypto)", (t) => {
  const f = makeFixture({ auth: "alibaba", deviceSecret: "oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq", keepAliveSec: 60 });
  f.session.start();
  f.sim.loop.runFor(100);
  const connect = f.broker.connects[0];
  const match = /^GW-0001\|securemode=3,signmethod=hmacsha256,timestamp=(\d+)\|$/.exec(connect.clientId);
  t.truthy(match, connect.clientId);
  t.is(Number(match![1]), f.sim.loop.wallMs() - 100 + f.sim.network.latencyMs);
  t.is(connect.username, "GW-0001&pk-demo");
  const expected = createHmac("sha256", "oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq").update(`clientIdGW-0001deviceNameGW-0001productKeypk-demotimestamp${match![1]}`).digest("hex");
  t.is(connect.password.toString(), expected);
});

test("mqtts:// asks the HAL for TLS (with the configured server name) on port 8883", (t) => {
  const f = makeFixture({ broker: "mqtts://broker.sim", serverName: "iot.example.com" });
  new SimBroker(f.sim.network, "broker.sim", 8883);
  const seen: TcpOptions[] = [];
  const network = f.sim.network;
  const original = network.connect.bind(network);
  network.connect = (options, handlers) => {
    seen.push(options);
    return original(options, handlers);
  };
  f.session.start();
  f.sim.loop.runFor(100);
  t.deepEqual(seen[0], { host: "broker.sim", port: 8883, tls: true, serverName: "iot.example.com" });
  t.is(f.session.state, SessionState.Connected);
});

test("short writes: a socket taking a few bytes at a time still carries an intact stream of every packet kind", (t) => {
  const f = makeFixture({ sendBufferBytes: 512, inflightWindow: 3 });
  // Wrap the simulated socket: each write accepts at most 7 bytes, and onWritable comes 1 ms later.
  const network = f.sim.network;
  const original = network.connect.bind(network);
  let shortWrites = 0;
  network.connect = (options, handlers) => {
    const inner = original(options, handlers);
    const wake = f.sim.loop.createTimer(() => handlers.onWritable?.(7));
    return {
      read: (into, offset, length) => inner.read(into, offset, length),
      write(data, offset, length) {
        const n = Math.min(length, 7);
        if (n < length) {
          shortWrites++;
          if (!wake.active) wake.start(1);
        }
        return inner.write(data, offset, n);
      },
      close: () => inner.close(),
    };
  };
  f.session.start();
  f.sim.loop.runFor(1000);
  t.is(f.session.state, SessionState.Connected);
  for (let i = 0; i < 40; i++) {
    f.session.publishText(OutRoute.OverdemandListPost, `{"n":${i},"pad":"${"p".repeat(i * 3)}"}`, i % 2);
    if (i % 5 === 0) f.broker.publish(SYNC, `down${i}`, 1);
    f.sim.loop.runFor(13);
  }
  f.sim.loop.runFor(60_000);
  t.true(shortWrites > 100);
  t.is(f.session.counters.value("mqtt_protocol_errors"), 0);
  const qos1 = uplinks(f).filter((r) => r.qos === 1).map((r) => JSON.parse(r.payload.toString()).n);
  t.deepEqual(qos1, Array.from({ length: 20 }, (_, i) => 2 * i + 1));
  t.is(f.delivered.length, 8);
  t.is(f.broker.sessions.get("GW-0001")!.unacked.size, 0);
  t.is(f.broker.connects.length, 1, "never had to reconnect");
});

test("a HAL that fails or connects from inside connect() is handled: no stray socket, CONNECT still sent", (t) => {
  const f = makeFixture();
  const network = f.sim.network;
  const original = network.connect.bind(network);
  let calls = 0;
  let closedStray = 0;
  network.connect = (options, handlers) => {
    calls++;
    if (calls === 1) {
      // Fails synchronously, before returning its socket.
      handlers.onError("no route to host");
      handlers.onClose();
      return { read: () => 0, write: () => 0, close: () => closedStray++ };
    }
    return original(options, handlers);
  };
  f.session.start();
  t.is(closedStray, 1, "the socket of the failed attempt was closed, not kept");
  t.is(f.session.counters.value("mqtt_connect_failures"), 1);
  t.regex(f.session.lastError, /no route to host/);
  f.sim.loop.runFor(2000);
  t.is(f.session.state, SessionState.Connected);
});

test("every CONNACK refusal code (1..5) is named; only 4 and 5 saturate the backoff", (t) => {
  const names = ["", "unacceptable protocol version", "identifier rejected", "server unavailable", "bad user name or password", "not authorized"];
  for (let code = 1; code <= 5; code++) {
    const f = makeFixture();
    f.broker.connackCode = code;
    f.session.start();
    f.sim.loop.runFor(100);
    t.is(f.session.lastError, `broker refused the connection: ${names[code]} (${code})`);
    t.is(f.session.counters.value("mqtt_connack_refused"), 1);
    t.is(f.session.status().backoffAttempt >= 30, code >= 4, `code ${code}`);
  }
});
