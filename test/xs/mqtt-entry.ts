/**
 * XS harness for the MQTT codec and session: step counts and heap-slot deltas in the real XS engine. The host
 * (test/mqtt/xs.test.ts, bench/mqtt.bench.ts) calls `globalThis.mqttXs.*` and reads replies sent with issueCommand.
 *
 * The session runs against an in-engine loopback socket (preallocated queues, no allocation of its own) and a
 * minimal broker built from our codec, so what is measured is the session's own cost.
 */
import { SimLoop } from "../../hal/sim/loop";
import { SeededRandom } from "../../hal/sim/random";
import type { Log, TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../../hal/types";
import { DEFAULT_CONFIG } from "../../src/config/gateway-config";
import { createHmacSha256 } from "../../src/crypto/hmac";
import { Sha256 } from "../../src/crypto/sha256";
import { resolveMqttConfig } from "../../src/mqtt/config";
import { PacketType } from "../../src/mqtt/constants";
import { DecodeStatus, MqttDecoder } from "../../src/mqtt/decoder";
import { encodeAck, encodeConnack, encodePublish, encodePublishText, encodeSuback } from "../../src/mqtt/encoder";
import { MessageResult, MqttSession, type InboundMessage } from "../../src/mqtt/session";
import { OutRoute, TopicRouter } from "../../src/protocol/topics";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

// ---------------------------------------------------------------- codec

const router = new TopicRouter(DEFAULT_CONFIG.device);
const SYNC = "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command";
const payload1k = new Uint8Array(1024);
for (let i = 0; i < payload1k.length; i++) payload1k[i] = 32 + (i % 90);
const publishPacket = new Uint8Array(1200);
const publishLength = encodePublishText(publishPacket, 0, SYNC, payload1k, 0, payload1k.length, 1, false, false, 1);
const decoder = new MqttDecoder(8192);
const encodeOut = new Uint8Array(2048);
// The codec figures encode with a topic already in bytes, as a range of a larger buffer (the session's own
// publishes have the router write the topic: the session round trips below measure that).
const listTopicText = new TextEncoder().encode(router.outgoingTopic(OutRoute.OverdemandListPost));
const listTopic = new Uint8Array(listTopicText.length + 8);
listTopic.set(listTopicText, 4);
let checksum = 0;

// The packet sits in the receive buffer as a socket read would leave it; decoding does not touch the payload.
decoder.buffer.set(publishPacket, 0);

function decodeOne(): void {
  decoder.reset();
  decoder.commit(publishLength);
  if (decoder.next() !== DecodeStatus.Packet) throw new Error(`decode failed: ${decoder.describeError()}`);
  checksum += decoder.packet.payloadLength;
}

/** Encode with the payload as a range of a bigger buffer: the per-byte JS copy (no native path without a view). */
const bigPayload = new Uint8Array(4096);
function encodeRangeOne(id: number): void {
  const n = encodePublish(encodeOut, 0, listTopic, 4, listTopicText.length, bigPayload, 100, 1024, 1, false, false, id);
  checksum += n;
}

function encodeOne(id: number): void {
  const n = encodePublish(encodeOut, 0, listTopic, 4, listTopicText.length, payload1k, 0, payload1k.length, 1, false, false, id);
  checksum += n;
}

// ---------------------------------------------------------------- session on a loopback socket

const CAPTURE = 65536;
class LoopbackSocket implements TcpSocket {
  readonly inbound = new Uint8Array(CAPTURE);
  inboundStart = 0;
  inboundEnd = 0;
  readonly outbound = new Uint8Array(CAPTURE);
  outboundLength = 0;
  handlers: TcpHandlers | null = null;

  read(into: Uint8Array, offset: number, length: number): number {
    let n = 0;
    while (n < length && this.inboundStart < this.inboundEnd) into[offset + n++] = this.inbound[this.inboundStart++];
    if (this.inboundStart === this.inboundEnd) this.inboundStart = this.inboundEnd = 0;
    return n;
  }

  write(data: Uint8Array, offset: number, length: number): number {
    for (let i = 0; i < length; i++) this.outbound[this.outboundLength + i] = data[offset + i];
    this.outboundLength += length;
    return length;
  }

  close(): void {}

  push(data: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) this.inbound[this.inboundEnd + i] = data[i];
    this.inboundEnd += length;
  }
}

const socket = new LoopbackSocket();
const connector: TcpConnector = {
  connect(_options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    socket.handlers = handlers;
    return socket;
  },
};
const loop = new SimLoop();
const silentLog: Log = { write() {} };
let delivered = 0;
const session = new MqttSession(
  { clock: loop, tcp: connector, random: new SeededRandom(1), log: silentLog },
  {
    config: resolveMqttConfig({ broker: "mqtt://loopback:1883" }),
    device: DEFAULT_CONFIG.device,
    router,
    handler: {
      onMessage(message: InboundMessage): MessageResult {
        delivered += message.payloadLength;
        return MessageResult.Accepted;
      },
    },
  },
);

/** The broker side, with our codec: answers what the session wrote (SUBACK, PUBACK). */
const brokerDecoder = new MqttDecoder(CAPTURE);
const brokerOut = new Uint8Array(4096);
const grantedCodes = new Uint8Array(64).fill(1);
function brokerAnswer(): void {
  brokerDecoder.reset();
  let position = 0;
  while (position < socket.outboundLength) {
    const at = brokerDecoder.prepareWrite();
    const room = brokerDecoder.writeSpace;
    const n = Math.min(room, socket.outboundLength - position);
    for (let i = 0; i < n; i++) brokerDecoder.buffer[at + i] = socket.outbound[position + i];
    brokerDecoder.commit(n);
    position += n;
    let status: DecodeStatus;
    while ((status = brokerDecoder.next()) === DecodeStatus.Packet) {
      const packet = brokerDecoder.packet;
      if (packet.type === PacketType.Subscribe) socket.push(brokerOut, encodeSuback(brokerOut, 0, packet.packetId, grantedCodes, packet.listCount));
      else if (packet.type === PacketType.Publish && packet.qos === 1) socket.push(brokerOut, encodeAck(brokerOut, 0, PacketType.Puback, packet.packetId));
    }
    if (status === DecodeStatus.Error) throw new Error(`broker side: ${brokerDecoder.describeError()}`);
  }
  socket.outboundLength = 0;
}

const downlink = new Uint8Array(1200);
const downlinkLength = encodePublishText(downlink, 0, SYNC, payload1k, 0, 256, 1, false, false, 1);
/** Where the packet id sits in `downlink`: after the 3-byte fixed header and the topic. */
const downlinkIdAt = 3 + 2 + SYNC.length;
let downlinkId = 0;

function connectSession(): void {
  session.start();
  socket.handlers!.onConnect();
  brokerAnswer();
  socket.push(brokerOut, encodeConnack(brokerOut, 0, false, 0));
  socket.handlers!.onReadable(4);
  brokerAnswer();
  socket.handlers!.onReadable(socket.inboundEnd);
  brokerAnswer();
  socket.handlers!.onReadable(socket.inboundEnd);
  if (!session.connected || !session.subscribed) throw new Error(`session not online: ${session.lastError}`);
}

/** One round trip each way: a 1 KiB QoS 1 uplink and its PUBACK, a 256-byte QoS 1 downlink and our PUBACK. */
function roundTrip(): void {
  session.publish(OutRoute.OverdemandListPost, payload1k, 0, payload1k.length, 1);
  brokerAnswer();
  downlinkId = downlinkId >= 65535 ? 1 : downlinkId + 1;
  downlink[downlinkIdAt] = downlinkId >> 8;
  downlink[downlinkIdAt + 1] = downlinkId & 255;
  socket.push(downlink, downlinkLength);
  socket.handlers!.onReadable(socket.inboundEnd);
  socket.outboundLength = 0;
}

/** A 1 KiB JSON-like text: publishText writes its UTF-8 straight into the packet. */
let text1k = "";
for (let i = 0; i < 1024; i++) text1k += String.fromCharCode(32 + (i % 90));

/** One QoS 1 text uplink (a report or a command reply) and its PUBACK. */
function textTrip(): void {
  session.publishText(OutRoute.OverdemandListPost, text1k, 1);
  brokerAnswer();
  socket.handlers!.onReadable(socket.inboundEnd);
  socket.outboundLength = 0;
}

// ---------------------------------------------------------------- crypto

const sha = new Sha256();
const hmac = createHmacSha256();
const key = new Uint8Array(32).fill(7);
const digest = new Uint8Array(32);

const mqttXs = {
  decode(count: number): void {
    for (let i = 0; i < count; i++) decodeOne();
  },
  encode(count: number): void {
    for (let i = 0; i < count; i++) encodeOne((i % 65535) + 1);
  },
  encodeRange(count: number): void {
    for (let i = 0; i < count; i++) encodeRangeOne((i % 65535) + 1);
  },
  /** 1000 packets = 500 decoded + 500 encoded, the figure xs_heap_slots_per_1000_packets measures. */
  codec(count: number): void {
    for (let i = 0; i < count; i += 2) {
      decodeOne();
      if (i % 4 === 0) encodeOne((i % 65535) + 1);
      else encodeRangeOne((i % 65535) + 1);
    }
  },
  connect(): void {
    connectSession();
  },
  roundTrips(count: number): void {
    for (let i = 0; i < count; i++) roundTrip();
  },
  textTrips(count: number): void {
    for (let i = 0; i < count; i++) textTrip();
  },
  hash(count: number): void {
    for (let i = 0; i < count; i++) {
      sha.reset().update(payload1k, 0, payload1k.length).finish(digest, 0);
      hmac.init(key, 0, key.length).update(payload1k, 0, 64).finish(digest, 0);
    }
  },
  report(): void {
    reply({
      checksum,
      delivered,
      queued: session.queuedUplinks,
      inflight: session.inflightUplinks,
      stats: session.stats,
      counters: session.counters.nonZero(),
      lastError: session.lastError,
      digest: Array.from(digest),
    });
  },
};

(globalThis as unknown as { mqttXs: typeof mqttXs }).mqttXs = mqttXs;
