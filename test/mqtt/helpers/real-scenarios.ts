/**
 * The session on the Node HAL (real sockets, real timers) against a real broker, with MQTT.js as the platform.
 * The same scenarios run against aedes (aedes.test.ts) and mosquitto (mosquitto.test.ts). Times here are real but
 * only bound how long we wait; nothing asserts a duration.
 */
import type { TestFn } from "ava";
import mqtt, { type MqttClient } from "mqtt";
import { createNodeHal, type NodeHal } from "../../../hal/node/index";
import { LogLevel } from "../../../hal/types";
import { DEFAULT_CONFIG } from "../../../src/config/gateway-config";
import { resolveMqttConfig, type MqttConfig } from "../../../src/mqtt/config";
import { MessageResult, MqttSession, PublishResult, SessionState } from "../../../src/mqtt/session";
import { readUtf8 } from "../../../src/mqtt/utf8";
import { OutRoute, TopicRouter } from "../../../src/protocol/topics";
import { sleep, TcpProxy, until, type BrokerHandle } from "./real-broker";

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SYNC = `${PREFIX}/streaming_overdemand/sync/command`;
const STATUS = `${PREFIX}/status/post`;
const LIST = `${PREFIX}/streaming_overdemand/list/post`;

export interface NodeSession {
  hal: NodeHal;
  session: MqttSession;
  delivered: string[];
  offline: string[];
  online: number;
  log: string[];
  close(): void;
}

/** A session on the Node HAL; `tls` makes it mqtts:// with node:tls options (a private CA). */
export function nodeSession(port: number, overrides: Partial<MqttConfig> = {}, tls?: { ca: string }): NodeSession {
  const log: string[] = [];
  const hal = createNodeHal({ logSink: (line) => log.push(line), logLevel: LogLevel.Debug, tcp: tls ? { tls } : undefined });
  const config = resolveMqttConfig({
    broker: `${tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    keepAliveSec: 2,
    reconnectMinMs: 100,
    reconnectMaxMs: 400,
    stableAfterMs: 2000,
    connectTimeoutMs: 3000,
    ...overrides,
  });
  const out: NodeSession = { hal, session: null as unknown as MqttSession, delivered: [], offline: [], online: 0, log, close: () => {} };
  out.session = new MqttSession(hal, {
    config,
    device: DEFAULT_CONFIG.device,
    router: new TopicRouter(DEFAULT_CONFIG.device),
    handler: {
      onMessage(message) {
        out.delivered.push(readUtf8(message.buffer, message.payloadOffset, message.payloadLength));
        return MessageResult.Accepted;
      },
    },
    events: { onOnline: () => out.online++, onOffline: (reason) => out.offline.push(reason) },
  });
  out.close = () => {
    out.session.stop();
    hal.close();
  };
  return out;
}

interface Platform {
  client: MqttClient;
  messages: { topic: string; payload: string; retain: boolean; atMs: number }[];
  /** When the platform last (re)subscribed. */
  subscribedAt: number;
}

async function platform(port: number, id: string): Promise<Platform> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: id, clean: true, reconnectPeriod: 100, resubscribe: false, protocolVersion: 4 });
  const p: Platform = { client, messages: [], subscribedAt: 0 };
  client.on("message", (topic, payload, packet) => p.messages.push({ topic, payload: payload.toString(), retain: packet.retain, atMs: Date.now() }));
  const subscribe = () => client.subscribe(`${PREFIX}/#`, { qos: 1 }, () => (p.subscribedAt = Date.now()));
  client.on("connect", subscribe);
  await new Promise<void>((resolve) => client.subscribe(`${PREFIX}/#`, { qos: 1 }, () => resolve()));
  p.subscribedAt = Date.now();
  return p;
}

export function registerBrokerScenarios(test: TestFn, start: () => Promise<BrokerHandle>): void {
  test.serial("QoS 1 both ways, retained online status, subscriptions granted", async (t) => {
    const broker = await start();
    const platformClient = await platform(broker.port, "platform-a");
    const s = nodeSession(broker.port);
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000), s.log.join("\n"));
      t.true([...s.session.granted].every((code) => code === 1));
      for (let i = 0; i < 100; i++) t.is(s.session.publishText(OutRoute.OverdemandListPost, `{"seq":${i}}`, 1), PublishResult.Queued);
      t.true(await until(() => platformClient.messages.filter((m) => m.topic === LIST).length === 100, 5000));
      t.deepEqual(platformClient.messages.filter((m) => m.topic === LIST).map((m) => JSON.parse(m.payload).seq), Array.from({ length: 100 }, (_, i) => i));
      t.true(platformClient.messages.some((m) => m.topic === STATUS && JSON.parse(m.payload).online === true));
      for (let i = 0; i < 20; i++) await platformClient.client.publishAsync(SYNC, `{"mid":"${i}"}`, { qos: 1 });
      t.true(await until(() => s.delivered.length === 20, 5000));
      t.deepEqual(s.delivered, Array.from({ length: 20 }, (_, i) => `{"mid":"${i}"}`));
      t.true(await until(() => s.session.queuedUplinks === 0, 2000));
      t.is(s.session.counters.value("mqtt_protocol_errors"), 0);
    } finally {
      s.close();
      await platformClient.client.endAsync();
      await broker.close();
    }
  });

  test.serial("broker killed and restarted mid-stream: every QoS 1 uplink is acknowledged by a broker", async (t) => {
    const broker = await start();
    const proxy = new TcpProxy(broker.port);
    await proxy.start();
    const platformClient = await platform(broker.port, "platform-b");
    const s = nodeSession(proxy.port, { outboxEntries: 512, outboxBytes: 32_768 });
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000));
      const total = 300;
      let sent = 0;
      const publisher = setInterval(() => {
        if (sent < total) t.is(s.session.publishText(OutRoute.OverdemandListPost, `{"seq":${sent++}}`, 1), PublishResult.Queued);
      }, 10);
      await until(() => sent >= 100, 5000);
      const killedAt = Date.now();
      await broker.kill();
      await sleep(700);
      await broker.restart();
      const restartedAt = Date.now();
      t.true(await until(() => sent === total && s.session.queuedUplinks === 0, 20_000), `queued ${s.session.queuedUplinks}`);
      clearInterval(publisher);
      // Which seq each PUBACK acknowledged, read off the wire in order.
      const idToSeq = new Map<number, number>();
      const ackedAt = new Map<number, number>();
      for (const record of proxy.records) {
        if (record.direction === "up" && record.packet.cmd === "publish" && record.packet.topic === LIST) idToSeq.set(record.packet.messageId, JSON.parse(record.packet.payload.toString()).seq);
        if (record.direction === "down" && record.packet.cmd === "puback" && idToSeq.has(record.packet.messageId) && !ackedAt.has(idToSeq.get(record.packet.messageId)!)) {
          ackedAt.set(idToSeq.get(record.packet.messageId)!, record.atMs);
        }
      }
      for (let seq = 0; seq < total; seq++) t.true(ackedAt.has(seq), `seq ${seq} never acknowledged`);
      t.true(s.session.stats.connects >= 2, "reconnected");
      // End to end: what a broker acknowledged while the platform was subscribed reached the platform (messages
      // acknowledged just before the kill may die inside the broker: that is the broker's loss, not ours).
      await until(() => platformClient.subscribedAt > restartedAt, 5000);
      await sleep(500);
      const got = new Set(platformClient.messages.filter((m) => m.topic === LIST).map((m) => JSON.parse(m.payload).seq));
      for (const [seq, at] of ackedAt) if (at < killedAt - 1000 || at > platformClient.subscribedAt + 50) t.true(got.has(seq), `seq ${seq} acknowledged but not delivered`);
      t.log(`${proxy.packets("up", "publish").filter((p) => p.dup).length} retransmissions with DUP, ${s.session.stats.connects} connects`);
    } finally {
      s.close();
      await platformClient.client.endAsync();
      await proxy.close();
      await broker.close();
    }
  });

  test.serial("half-open link (TCP up, nothing forwarded): keepalive detects it, the will says offline, then back online", async (t) => {
    const broker = await start();
    const proxy = new TcpProxy(broker.port);
    await proxy.start();
    const platformClient = await platform(broker.port, "platform-c");
    const s = nodeSession(proxy.port, { keepAliveSec: 1 });
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000));
      proxy.silent = true;
      t.true(await until(() => s.offline.length === 1, 10_000), s.log.join("\n"));
      t.regex(s.offline[0], /nothing received for \d+ ms \(keepalive 1 s\)/);
      t.is(s.session.counters.value("mqtt_keepalive_timeouts"), 1);
      // The broker sees the silence too and publishes the will.
      t.true(await until(() => platformClient.messages.some((m) => m.topic === STATUS && JSON.parse(m.payload).online === false), 10_000));
      proxy.silent = false;
      t.true(await until(() => s.online === 2 && s.session.state === SessionState.Connected, 10_000), s.log.join("\n"));
      t.true(await until(() => platformClient.messages.filter((m) => m.topic === STATUS).pop()?.payload.includes("true") === true, 5000));
    } finally {
      s.close();
      await platformClient.client.endAsync();
      await proxy.close();
      await broker.close();
    }
  });

  test.serial("a peer sending garbage: protocol error, reset, reconnect, traffic resumes", async (t) => {
    const broker = await start();
    const proxy = new TcpProxy(broker.port);
    await proxy.start();
    const s = nodeSession(proxy.port);
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000));
      proxy.inject(new Uint8Array([0xf0, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00]));
      t.true(await until(() => s.offline.length === 1, 5000));
      t.regex(s.offline[0], /protocol error: reserved packet type/);
      t.true(await until(() => s.online === 2, 5000));
      s.session.publishText(OutRoute.OverdemandListPost, "after", 1);
      t.true(await until(() => s.session.queuedUplinks === 0, 5000));
      t.is(s.session.counters.value("mqtt_protocol_errors"), 1);
    } finally {
      s.close();
      await proxy.close();
      await broker.close();
    }
  });

  test.serial("a PUBLISH over the maximum: acknowledged, handed on as a prefix, counted; the link stays up", async (t) => {
    const broker = await start();
    const platformClient = await platform(broker.port, "platform-e");
    const s = nodeSession(broker.port, { maxPacketBytes: 1024 });
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000));
      await platformClient.client.publishAsync(SYNC, `{"mid":"m-1",${"x".repeat(4000)}}`, { qos: 1 });
      t.true(await until(() => s.session.counters.value("mqtt_oversized_publishes") === 1, 5000));
      t.is(s.offline.length, 0, "no reconnect");
      t.is(s.session.counters.value("mqtt_packet_too_large"), 0);
      await platformClient.client.publishAsync(SYNC, "small", { qos: 1 });
      t.true(await until(() => s.delivered.includes("small"), 5000));
      t.is(s.delivered.length, 2);
      t.true(s.delivered[0].startsWith('{"mid":"m-1"') && s.delivered[0].length < 1024);
      t.is(s.online, 1);
    } finally {
      s.close();
      await platformClient.client.endAsync();
      await broker.close();
    }
  });

  test.serial("stop(): retained offline status and a clean DISCONNECT (no will)", async (t) => {
    const broker = await start();
    const proxy = new TcpProxy(broker.port);
    await proxy.start();
    const platformClient = await platform(broker.port, "platform-f");
    const s = nodeSession(proxy.port);
    try {
      s.session.start();
      t.true(await until(() => s.online === 1, 5000));
      s.session.stop();
      t.true(await until(() => proxy.packets("up", "disconnect").length === 1, 5000));
      t.true(await until(() => platformClient.messages.some((m) => m.topic === STATUS && m.payload.includes("false")), 5000));
      t.is(platformClient.messages.filter((m) => m.topic === STATUS && m.payload.includes("false")).length, 1, "the will was not published as well");
    } finally {
      s.close();
      await platformClient.client.endAsync();
      await proxy.close();
      await broker.close();
    }
  });
}
