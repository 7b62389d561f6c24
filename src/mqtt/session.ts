/**
 * The MQTT 3.1.1 session: the gateway's link to the platform. Sans-I/O: driven by HAL socket events and HAL
 * timers (created once), it emits bytes through the HAL socket and messages through the handler it is given.
 *
 * Lifecycle: start() -> TCP connect (TLS for mqtts://) -> CONNECT -> CONNACK -> online status + SUBSCRIBE of every
 * incoming route + retransmission (DUP) of unacknowledged QoS 1 uplinks -> SUBACKs -> `onOnline`. Any failure
 * (refused, closed, protocol error, keepalive silence) closes the socket, requeues what was in flight and
 * schedules a reconnect after an exponential, fully jittered delay (Backoff). docs/mqtt.md has the details.
 *
 * Memory: receive buffer (maxPacketBytes), send buffer, outbox and inbound tables are allocated here; receiving a
 * PUBLISH, handing it over, acknowledging it and publishing allocate nothing. A connection attempt allocates a
 * little (credentials strings, the will topic, the status payloads, the socket's handler object, the backoff's
 * random bytes). The fixed part is kept small because the device's XS heaps are fixed (docs/mqtt.md, Memory): one
 * HAL timer serves the four deadlines, small tables share typed arrays (each typed array costs about 7 heap slots),
 * and topics and SUBSCRIBE filters are written by the router, never copied here.
 */
import { LogLevel, type Clock, type Log, type RandomSource, type TcpConnector, type TcpHandlers, type TcpSocket, type Timer } from "../../hal/types";
import type { TickService } from "../app/service";
import { Counters } from "../core/counters";
import type { TopicRouter } from "../protocol/topics";
import { buildCredentials, type DeviceIdentity } from "./auth";
import { Backoff } from "./backoff";
import { parseBrokerUrl, type BrokerAddress, type MqttConfig } from "./config";
import { CONNACK_NAMES, MqttError, PACKET_NAMES, PacketType, SUBACK_FAILURE } from "./constants";
import { DecodeStatus, MqttDecoder } from "./decoder";
import { encodeAck, encodeConnect, encodeEmpty, encodePublishFrom, encodePublishRouted, encodeSubscribeFrom, MqttArgumentError, publishSize } from "./encoder";
import { FNV_OFFSET, fnv1a, InboundTracker } from "./inbound";
import { Outbox } from "./outbox";
import type { MqttPacket } from "./packet";
import { utf8Length } from "./utf8";
import { deepFreeze } from "../core/freeze";
import { columns } from "../core/columns";

export const SessionState = deepFreeze({
  /** Not started, or stopped. */
  Stopped: 0,
  /** Waiting for the reconnect timer. */
  Waiting: 1,
  /** TCP (and TLS) connection under way. */
  Connecting: 2,
  /** CONNECT sent, waiting for CONNACK. */
  AwaitingConnack: 3,
  /** CONNACK accepted: publishing and receiving. */
  Connected: 4,
} as const);
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
export const SESSION_STATE_NAMES = deepFreeze(["stopped", "waiting", "connecting", "awaiting-connack", "connected"]);

/** What a message handler tells the session about a downlink. */
export const MessageResult = deepFreeze({
  /** Handled (and persisted, if it changed anything): acknowledge now. */
  Accepted: 0,
  /** Bad input, answered with an error reply, nothing changed: acknowledge now too (a redelivery would fail the same way). */
  Rejected: 1,
  /** Still being committed: acknowledge when the handler calls `session.acknowledge(message.ackToken)`. */
  Pending: 2,
} as const);
export type MessageResult = (typeof MessageResult)[keyof typeof MessageResult];

/**
 * One received application message. A single object is reused for every message: its fields and the bytes it
 * points at are valid only during the handler call; copy what must outlive it.
 */
export class InboundMessage {
  /** Incoming route id of the TopicRouter (InRoute.*); unknown topics never reach a handler. */
  route = -1;
  /** The receive buffer; topic and payload are ranges of it. */
  buffer: Uint8Array;
  topicOffset = 0;
  topicLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  qos = 0;
  retain = false;
  dup = false;
  packetId = 0;
  /** For a Pending result: pass to `session.acknowledge`. 0 for QoS 0 messages. */
  ackToken = 0;
  /**
   * 0, or the size a PUBLISH announced that was larger than the receive buffer (mqtt.maxPacketBytes): the payload
   * range then holds only the prefix that fit. Handlers answer such a message with their protocol's error
   * (`payloadProblem` in dispatch.ts) and never parse it.
   */
  oversizeBytes = 0;
  /** The receive buffer's size, the largest message that is delivered whole. */
  readonly limitBytes: number;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.limitBytes = buffer.length;
  }
}

export interface MqttMessageHandler {
  onMessage(message: InboundMessage): MessageResult;
}

export interface MqttSessionEvents {
  /** Connected and every subscription answered: time to fetch desired state, report lists, ... */
  onOnline?(sessionPresent: boolean): void;
  /** A connection that had reached CONNACK is gone. */
  onOffline?(reason: string): void;
}

/** Results of publish calls. */
export const PublishResult = deepFreeze({
  /** QoS 1: stored in the outbox; it goes out now or after the next connect, until a PUBACK. */
  Queued: 0,
  /** QoS 0: in the send buffer of the live connection. */
  Sent: 1,
  /** QoS 0 while not connected, or the send buffer is full: dropped (counted). */
  Dropped: 2,
  /** Bigger than maxPacketBytes or the outbox/send buffer. */
  TooLarge: 3,
  /** QoS 1 and the only entry that could make room is being written right now: try again shortly. */
  Busy: 4,
  /** Disabled route, unknown route id, or an invalid topic (wildcards, bad UTF-8). */
  BadTopic: 5,
  /** QoS not 0 or 1. */
  BadQos: 6,
  /** A string payload that is not valid UTF-16 (lone surrogate) or holds U+0000. */
  BadPayload: 7,
} as const);
export type PublishResult = (typeof PublishResult)[keyof typeof PublishResult];
export const PUBLISH_RESULT_NAMES = deepFreeze(["queued", "sent", "dropped", "too large", "busy", "bad topic", "bad qos", "bad payload"]);

/** The HAL services the session uses. */
export interface SessionHal {
  clock: Clock;
  tcp: TcpConnector;
  random: RandomSource;
  log: Log;
}

export interface MqttSessionOptions {
  config: MqttConfig;
  device: DeviceIdentity;
  router: TopicRouter;
  handler: MqttMessageHandler;
  events?: MqttSessionEvents;
  /** Anomaly counters go here (the gateway's); a private set otherwise. */
  counters?: Counters;
}

/** Traffic figures (plain numbers, for the status report; anomalies are in the counters). */
export interface MqttStats {
  connectAttempts: number;
  connects: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  uplinkQueued: number;
  uplinkAcked: number;
  uplinkRetransmits: number;
  qos0Sent: number;
  downlinkMessages: number;
  downlinkAccepted: number;
  downlinkPending: number;
  pingsSent: number;
}

const WRITE_NONE = 0;
const WRITE_SEND_BUFFER = 1;
const WRITE_OUTBOX = 2;

/**
 * The session's counters, registered in this order at construction; their handles live in one small typed array
 * (an object of 18 handles would cost a heap slot each). Indexes: the C_* constants.
 */
const COUNTER_NAMES = deepFreeze([
  "mqtt_uplink_dropped_oldest",
  "mqtt_qos0_dropped",
  "mqtt_publish_busy",
  "mqtt_keepalive_timeouts",
  "mqtt_connect_timeouts",
  "mqtt_connect_failures",
  "mqtt_protocol_errors",
  "mqtt_packet_too_large",
  "mqtt_connack_refused",
  "mqtt_subscribe_failures",
  "mqtt_downlink_duplicates",
  "mqtt_downlink_rejected",
  "mqtt_handler_errors",
  "mqtt_ack_queue_full",
  "mqtt_inbound_full",
  "mqtt_puback_unknown",
  "mqtt_unexpected_packets",
  "mqtt_disconnects",
  "mqtt_oversized_publishes",
]);
const C_DROPPED_OLDEST = 0;
const C_QOS0_DROPPED = 1;
const C_BUSY = 2;
const C_KEEPALIVE_TIMEOUTS = 3;
const C_CONNECT_TIMEOUTS = 4;
const C_CONNECT_FAILURES = 5;
const C_PROTOCOL_ERRORS = 6;
const C_PACKET_TOO_LARGE = 7;
const C_CONNACK_REFUSED = 8;
const C_SUBSCRIBE_FAILURES = 9;
const C_DUPLICATES = 10;
const C_REJECTED = 11;
const C_HANDLER_ERRORS = 12;
const C_ACK_QUEUE_FULL = 13;
const C_INBOUND_FULL = 14;
const C_PUBACK_UNKNOWN = 15;
const C_UNEXPECTED = 16;
const C_DISCONNECTS = 17;
const C_OVERSIZED = 18;

/**
 * `subscribeTable` (Uint16Array): the SUBACK code per filter (0x80 refused, 0xff not answered yet), then per
 * SUBSCRIBE in flight [packet id, first filter, filter count].
 */
const BATCH_FIELDS = 3;

/**
 * The session's deadlines, served by one HAL timer (each HAL timer costs about 20 heap slots: its object, the
 * platform timer, two callbacks). Deadlines are monotonic ms, Infinity when off; the HAL timer is armed for the
 * earliest. Due deadlines fire in deadline order and ties in arming order, as four HAL timers would.
 */
const T_RECONNECT = 0;
/** Periodic: every keepalive, from the CONNACK. */
const T_PING = 1;
const T_LIVENESS = 2;
const T_STABLE = 3;
const TIMERS = 4;

/** Per-connection socket handlers: callbacks of an older socket are recognised by their generation and ignored. */
class Link implements TcpHandlers {
  constructor(
    private readonly session: MqttSession,
    readonly generation: number,
  ) {}
  onConnect(): void {
    this.session.linkConnected(this.generation);
  }
  onReadable(): void {
    this.session.linkReadable(this.generation);
  }
  onWritable(): void {
    this.session.linkWritable(this.generation);
  }
  onClose(): void {
    this.session.linkClosed(this.generation, "connection closed by peer");
  }
  onError(message: string): void {
    this.session.linkError(this.generation, message);
  }
}

export class MqttSession implements TickService {
  readonly config: MqttConfig;
  readonly broker: BrokerAddress;
  readonly router: TopicRouter;
  readonly counters: Counters;
  readonly stats: MqttStats = {
    connectAttempts: 0,
    connects: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    uplinkQueued: 0,
    uplinkAcked: 0,
    uplinkRetransmits: 0,
    qos0Sent: 0,
    downlinkMessages: 0,
    downlinkAccepted: 0,
    downlinkPending: 0,
    pingsSent: 0,
  };
  state: SessionState = SessionState.Stopped;
  /** Why the last connection ended or failed (for the status report). */
  lastError = "";
  /** True once every SUBSCRIBE of this connection was answered. */
  subscribed = false;

  private readonly clock: Clock;
  private readonly tcp: TcpConnector;
  private readonly log: Log;
  private readonly device: DeviceIdentity;
  private readonly handler: MqttMessageHandler;
  private readonly events: MqttSessionEvents;
  private readonly decoder: MqttDecoder;
  private readonly message: InboundMessage;
  private readonly outbox: Outbox;
  private readonly inbound: InboundTracker;
  private readonly backoff: Backoff;

  private readonly sendBuffer: Uint8Array;
  private sendStart = 0;
  private sendEnd = 0;
  private writing = WRITE_NONE;
  private writeIndex = -1;
  private writePosition = 0;

  private readonly timer: Timer;
  /** Per deadline (T_*): when it is due, then at TIMERS + index its arming sequence. */
  private readonly deadlines: Float64Array;
  private armSequence = 0;
  /** What the HAL timer is armed for (Infinity: not armed). */
  private timerDeadline = Infinity;
  /** Inside onTimer: rearming waits for its end. */
  private firing = false;

  private socket: TcpSocket | null = null;
  private generation = 0;
  private lastReceiveMs = 0;
  private pingDue = false;
  private nextPacketId = 0;

  /** Filters to subscribe to: the router's enabled incoming routes (it writes them into SUBSCRIBE). */
  private readonly filterCount: number;
  private readonly subscribeTable: Uint16Array;
  /** Where the SUBSCRIBE batches start in `subscribeTable`. */
  private readonly batchBase: number;
  private batches = 0;
  private subscribeNext = 0;
  private subscribeOutstanding = 0;

  private readonly statusRoute: number;
  private statusDue = false;
  private statusPacketId = 0;
  private sessionPresent = false;

  /** Counter handles, by C_* index. */
  private readonly c: Uint16Array;

  constructor(hal: SessionHal, options: MqttSessionOptions) {
    const config = options.config;
    this.config = config;
    this.broker = parseBrokerUrl(config.broker);
    this.router = options.router;
    this.clock = hal.clock;
    this.tcp = hal.tcp;
    this.log = hal.log;
    this.device = options.device;
    this.handler = options.handler;
    this.events = options.events ?? {};
    const counters = (this.counters = options.counters ?? new Counters(64));
    // The session's own columns in one buffer (src/core/columns.ts: ~3 XS slots less per column).
    const filterCount = options.router.filterCount;
    const cols = columns([
      ["f64", 2 * TIMERS],
      ["u16", COUNTER_NAMES.length],
      ["u16", filterCount * (1 + BATCH_FIELDS)],
      ["u8", config.sendBufferBytes],
    ]);
    this.deadlines = (cols[0] as Float64Array).fill(Infinity, 0, TIMERS);
    this.c = cols[1] as Uint16Array;
    this.subscribeTable = (cols[2] as Uint16Array).fill(0xff, 0, filterCount);
    this.sendBuffer = cols[3] as Uint8Array;
    for (let i = 0; i < COUNTER_NAMES.length; i++) this.c[i] = counters.register(COUNTER_NAMES[i]);
    this.decoder = new MqttDecoder(config.maxPacketBytes);
    this.message = new InboundMessage(this.decoder.buffer);
    this.outbox = new Outbox(config.outboxBytes, config.outboxEntries);
    this.inbound = new InboundTracker(config.inboundSlots, config.ackQueue);
    this.backoff = new Backoff(hal.random, config.reconnectMinMs, config.reconnectMaxMs, config.reconnectRefusedMaxMs);

    const router = options.router;
    this.filterCount = router.filterCount;
    this.batchBase = this.filterCount;
    for (let i = 0; i < this.filterCount; i++) {
      // A filter that cannot fit in the send buffer alone would never be subscribed: refuse at boot.
      if (7 + router.filterLength(i) + 5 > config.sendBufferBytes) {
        throw new MqttArgumentError(`topic "${router.incomingTopic(router.filterRoute(i))}" does not fit in a ${config.sendBufferBytes}-byte send buffer`);
      }
    }

    this.statusRoute = config.statusTopic ? router.outgoingRouteByName("status") : -1;

    this.timer = hal.clock.createTimer(() => this.onTimer());
  }

  /** SUBACK codes of this connection per filter (0x80 refused, 0xff not answered yet). A copy (status, tests). */
  get granted(): Uint8Array {
    return Uint8Array.from(this.subscribeTable.subarray(0, this.filterCount));
  }

  /**
   * The retained status payload. Made when it is sent (at each connect and stop): held for the gateway's life, the
   * two texts would cost chunk bytes in the device's fixed heap.
   */
  private statusPayload(online: boolean): string {
    return `{"device_uid":${JSON.stringify(this.device.uid)},"online":${online ? "true" : "false"}}`;
  }

  /** TickService name. A getter: a field would cost a heap slot per instance. */
  get name(): string {
    return "mqtt";
  }

  // ---------------------------------------------------------------- public API

  /** Connect now and keep reconnecting until `stop()`. */
  start(): void {
    if (this.state !== SessionState.Stopped) return;
    this.state = SessionState.Waiting;
    this.connect();
  }

  /**
   * Publish the retained offline status (the broker drops the will on a clean DISCONNECT, so it would not say it),
   * send DISCONNECT, close, and stay offline. Queued QoS 1 uplinks are kept for the next start().
   */
  stop(): void {
    if (this.state === SessionState.Stopped) return;
    if (this.state === SessionState.Connected && this.socket) {
      const route = this.statusRoute;
      const topicLength = this.router.outgoingLength(route);
      if (topicLength > 0) {
        const offline = this.statusPayload(false);
        const size = publishSize(topicLength, utf8Length(offline), 0);
        const at = this.reserveSend(size);
        if (at >= 0) this.appendControl(encodePublishRouted(this.sendBuffer, at, this.router, route, offline, null, 0, 0, 0, true, false, 0));
      }
      const at = this.reserveSend(2);
      if (at >= 0) this.appendControl(encodeEmpty(this.sendBuffer, at, PacketType.Disconnect));
      this.flush();
    }
    const wasConnected = this.state === SessionState.Connected;
    this.closeLink("stopped");
    this.disarm(T_RECONNECT);
    this.state = SessionState.Stopped;
    if (wasConnected) this.events.onOffline?.("stopped");
  }

  get connected(): boolean {
    return this.state === SessionState.Connected;
  }

  /** Publish `length` bytes of `payload` on an outgoing route (OutRoute.*). The payload is copied before return. */
  publish(route: number, payload: Uint8Array, offset: number, length: number, qos: number, retain = false): PublishResult {
    if (this.router.outgoingLength(route) === 0) return PublishResult.BadTopic;
    return this.publishFrom(route, null, null, payload, offset, length, qos, retain);
  }

  /** Publish a string payload (JSON) on an outgoing route; its UTF-8 is written straight into the packet. */
  publishText(route: number, payload: string, qos: number, retain = false): PublishResult {
    if (this.router.outgoingLength(route) === 0) return PublishResult.BadTopic;
    return this.publishFrom(route, null, payload, null, 0, 0, qos, retain);
  }

  /** Publish on a topic given as a string (routes cover the spec topics; this is for anything else). */
  publishTo(topic: string, payload: Uint8Array | string, offset: number, length: number, qos: number, retain = false): PublishResult {
    if (typeof payload === "string") return this.publishFrom(-1, topic, payload, null, 0, 0, qos, retain);
    return this.publishFrom(-1, topic, null, payload, offset, length, qos, retain);
  }

  /** Finish a message whose handler returned Pending: its acknowledgement may now go out. */
  acknowledge(token: number): boolean {
    if (!this.inbound.finishToken(token)) return false;
    this.flush();
    return true;
  }

  /** QoS 1 uplinks held (in flight + queued). */
  get queuedUplinks(): number {
    return this.outbox.live;
  }

  get inflightUplinks(): number {
    return this.outbox.inflight;
  }

  /** Snapshot for the status report (allocates: status rate only). */
  status(): {
    state: string;
    broker: string;
    subscribed: boolean;
    lastError: string;
    queued: number;
    inflight: number;
    outboxBytes: number;
    backoffAttempt: number;
    stats: MqttStats;
    unknownTopics: number;
  } {
    return {
      state: SESSION_STATE_NAMES[this.state],
      broker: `${this.broker.tls ? "mqtts" : "mqtt"}://${this.broker.host}:${this.broker.port}`,
      subscribed: this.subscribed,
      lastError: this.lastError,
      queued: this.outbox.live,
      inflight: this.outbox.inflight,
      outboxBytes: this.outbox.usedBytes,
      backoffAttempt: this.backoff.attempt,
      stats: { ...this.stats },
      unknownTopics: this.router.unknownTopics,
    };
  }

  /** TickService: retry a send that a full socket held back (for HALs that never call onWritable). */
  tick(): void {
    if (this.state >= SessionState.AwaitingConnack) this.flush();
  }

  // ---------------------------------------------------------------- socket events (from Link)

  /** @internal */
  linkConnected(generation: number): void {
    if (generation !== this.generation || this.state !== SessionState.Connecting) return;
    this.state = SessionState.AwaitingConnack;
    this.lastReceiveMs = this.clock.monotonicMs();
    let credentials;
    try {
      credentials = buildCredentials(this.config, this.device, this.broker.tls, this.clock.wallSynced() ? this.clock.wallMs() : null);
      const will = this.router.outgoingLength(this.statusRoute) > 0
        ? { topic: this.router.outgoingTopic(this.statusRoute), payload: this.statusPayload(false), qos: 1, retain: true }
        : undefined;
      const n = encodeConnect(this.sendBuffer, 0, {
        clientId: credentials.clientId,
        cleanSession: this.config.cleanSession,
        keepAliveSec: this.config.keepAliveSec,
        username: credentials.username,
        password: credentials.password,
        will,
      });
      if (n <= 0) throw new MqttArgumentError(`CONNECT does not fit in the ${this.sendBuffer.length}-byte send buffer`);
      this.sendStart = 0;
      this.sendEnd = n;
    } catch (error) {
      this.fail(`cannot build CONNECT: ${String(error)}`, this.c[C_CONNECT_FAILURES]);
      return;
    }
    this.flush();
  }

  /** @internal */
  linkReadable(generation: number): void {
    if (generation !== this.generation || this.socket === null) return;
    const decoder = this.decoder;
    const socket = this.socket;
    for (;;) {
      const at = decoder.prepareWrite();
      const space = decoder.writeSpace;
      if (space === 0) break;
      const n = socket.read(decoder.buffer, at, space);
      if (n <= 0) break;
      decoder.commit(n);
      this.stats.bytesIn += n;
      this.lastReceiveMs = this.clock.monotonicMs();
      let status: DecodeStatus;
      while ((status = decoder.next()) === DecodeStatus.Packet) {
        this.stats.packetsIn++;
        this.handlePacket(decoder.packet);
        if (generation !== this.generation) return;
      }
      if (status === DecodeStatus.Error) {
        this.protocolError(decoder.error, decoder.describeError());
        return;
      }
    }
    this.flush();
  }

  /** @internal */
  linkWritable(generation: number): void {
    if (generation === this.generation) this.flush();
  }

  /** @internal */
  linkClosed(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    this.fail(reason, this.state !== SessionState.Connected ? this.c[C_CONNECT_FAILURES] : -1);
  }

  /** @internal */
  linkError(generation: number, message: string): void {
    if (generation !== this.generation) return;
    this.fail(message, this.state !== SessionState.Connected ? this.c[C_CONNECT_FAILURES] : -1);
  }

  // ---------------------------------------------------------------- connection management

  private connect(): void {
    if (this.state !== SessionState.Waiting) return;
    this.generation++;
    this.state = SessionState.Connecting;
    this.stats.connectAttempts++;
    this.decoder.reset();
    this.sendStart = 0;
    this.sendEnd = 0;
    this.writing = WRITE_NONE;
    this.arm(T_LIVENESS, this.config.connectTimeoutMs);
    const generation = this.generation;
    let socket: TcpSocket;
    try {
      socket = this.tcp.connect(
        { host: this.broker.host, port: this.broker.port, tls: this.broker.tls, serverName: this.config.serverName.length > 0 ? this.config.serverName : undefined },
        new Link(this, generation),
      );
    } catch (error) {
      this.socket = null;
      this.fail(`connect: ${String(error)}`, this.c[C_CONNECT_FAILURES]);
      return;
    }
    // A HAL may report failure (or success) from inside connect(): only keep a socket this attempt still owns.
    if (generation !== this.generation) {
      socket.close();
      return;
    }
    this.socket = socket;
    if ((this.state as SessionState) === SessionState.AwaitingConnack) this.flush();
  }

  /** End the current link for `reason` (counted under `counter` if >= 0) and schedule the next attempt. */
  private fail(reason: string, counter: number): void {
    if (counter >= 0) this.counters.add(counter);
    const wasConnected = this.state === SessionState.Connected;
    this.closeLink(reason);
    if (this.state === SessionState.Stopped) return;
    this.state = SessionState.Waiting;
    const delay = this.backoff.next();
    this.log.write(wasConnected ? LogLevel.Warn : LogLevel.Info, "mqtt", `${reason}; reconnecting in ${delay} ms`);
    this.arm(T_RECONNECT, delay);
    if (wasConnected) this.events.onOffline?.(reason);
  }

  private closeLink(reason: string): void {
    const wasConnected = this.state === SessionState.Connected;
    this.lastError = reason;
    this.generation++;
    if (this.socket !== null) {
      const socket = this.socket;
      this.socket = null;
      socket.close();
    }
    if (wasConnected) this.counters.add(this.c[C_DISCONNECTS]);
    this.deadlines[T_PING] = Infinity;
    this.deadlines[T_LIVENESS] = Infinity;
    this.deadlines[T_STABLE] = Infinity;
    this.reschedule();
    this.decoder.reset();
    this.sendStart = 0;
    this.sendEnd = 0;
    this.writing = WRITE_NONE;
    this.outbox.requeueInflight();
    this.inbound.clearAcks();
    this.subscribed = false;
    this.pingDue = false;
    this.statusDue = false;
    this.statusPacketId = 0;
  }

  private checkLiveness(): void {
    if (this.state === SessionState.Connecting || this.state === SessionState.AwaitingConnack) {
      this.fail(`no CONNACK within ${this.config.connectTimeoutMs} ms`, this.c[C_CONNECT_TIMEOUTS]);
      return;
    }
    if (this.state !== SessionState.Connected) return;
    // Only received bytes prove the link alive: our own sends (pings included) prove nothing on a half-open link.
    const limit = this.config.keepAliveSec * 1500;
    const silent = this.clock.monotonicMs() - this.lastReceiveMs;
    if (silent >= limit) {
      this.fail(`nothing received for ${Math.round(silent)} ms (keepalive ${this.config.keepAliveSec} s)`, this.c[C_KEEPALIVE_TIMEOUTS]);
      return;
    }
    this.arm(T_LIVENESS, limit - silent);
  }

  private protocolError(error: number, description: string): void {
    if (error === MqttError.PacketTooLarge) this.counters.add(this.c[C_PACKET_TOO_LARGE]);
    this.fail(`protocol error: ${description}`, this.c[C_PROTOCOL_ERRORS]);
  }

  // ---------------------------------------------------------------- deadlines (one HAL timer)

  /** Set deadline `which` (T_*) `delayMs` from now, replacing an earlier one. */
  private arm(which: number, delayMs: number): void {
    this.deadlines[which] = this.clock.monotonicMs() + delayMs;
    this.deadlines[TIMERS + which] = ++this.armSequence;
    this.reschedule();
  }

  private disarm(which: number): void {
    this.deadlines[which] = Infinity;
    this.reschedule();
  }

  /** Arm the HAL timer for the earliest deadline (unless it already is), or stop it. */
  private reschedule(): void {
    if (this.firing) return;
    const d = this.deadlines;
    let earliest = Infinity;
    for (let i = 0; i < TIMERS; i++) if (d[i] < earliest) earliest = d[i];
    if (earliest === this.timerDeadline) return;
    this.timerDeadline = earliest;
    if (earliest === Infinity) this.timer.stop();
    else {
      const delay = earliest - this.clock.monotonicMs();
      this.timer.start(delay > 0 ? delay : 0);
    }
  }

  /** The HAL timer fired: run every due deadline, earliest first (ties in arming order), then re-arm. */
  private onTimer(): void {
    this.timerDeadline = Infinity;
    const d = this.deadlines;
    this.firing = true;
    try {
      for (;;) {
        const now = this.clock.monotonicMs();
        let due = -1;
        for (let i = 0; i < TIMERS; i++) {
          if (d[i] > now) continue;
          if (due < 0 || d[i] < d[due] || (d[i] === d[due] && d[TIMERS + i] < d[TIMERS + due])) due = i;
        }
        if (due < 0) break;
        if (due === T_PING) {
          // Periodic on a fixed grid from the CONNACK, never pushed back by other sends.
          d[T_PING] += this.config.keepAliveSec * 1000;
          d[TIMERS + T_PING] = ++this.armSequence;
        } else {
          d[due] = Infinity;
        }
        this.fire(due);
      }
    } finally {
      this.firing = false;
      this.reschedule();
    }
  }

  private fire(which: number): void {
    switch (which) {
      case T_RECONNECT:
        this.connect();
        return;
      case T_PING:
        this.pingDue = true;
        this.flush();
        return;
      case T_LIVENESS:
        this.checkLiveness();
        return;
      default:
        this.backoff.reset();
    }
  }

  // ---------------------------------------------------------------- received packets

  private handlePacket(packet: MqttPacket): void {
    const type = packet.type;
    if (this.state === SessionState.AwaitingConnack) {
      if (type !== PacketType.Connack) {
        this.protocolError(MqttError.UnexpectedPacket, `${PACKET_NAMES[type]} before CONNACK`);
        return;
      }
      this.onConnack(packet);
      return;
    }
    switch (type) {
      case PacketType.Publish:
        this.onPublish(packet);
        return;
      case PacketType.Puback:
        if (packet.packetId === this.statusPacketId) this.statusPacketId = 0;
        else if (this.outbox.ack(packet.packetId)) this.stats.uplinkAcked++;
        else this.counters.add(this.c[C_PUBACK_UNKNOWN]);
        return;
      case PacketType.Pubrel:
        this.inbound.release(packet.packetId);
        if (!this.inbound.pushAck(PacketType.Pubcomp, packet.packetId, -1)) this.counters.add(this.c[C_ACK_QUEUE_FULL]);
        return;
      case PacketType.Suback:
        this.onSuback(packet);
        return;
      case PacketType.Pingresp:
        return;
      case PacketType.Pubrec:
      case PacketType.Pubcomp:
      case PacketType.Unsuback:
        // Answers to packets we never send (QoS 2 publish, UNSUBSCRIBE): harmless, counted, ignored.
        this.counters.add(this.c[C_UNEXPECTED]);
        return;
      default:
        // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, a second CONNACK: a broker never sends these.
        this.protocolError(MqttError.UnexpectedPacket, `unexpected ${PACKET_NAMES[type]} from the broker`);
    }
  }

  private onConnack(packet: MqttPacket): void {
    if (packet.returnCode !== 0) {
      const code = packet.returnCode;
      // Credentials do not fix themselves: wait long before trying again.
      if (code === 4 || code === 5) this.backoff.refused();
      this.fail(`broker refused the connection: ${CONNACK_NAMES[code]} (${code})`, this.c[C_CONNACK_REFUSED]);
      return;
    }
    this.state = SessionState.Connected;
    this.stats.connects++;
    this.lastError = "";
    const keepAliveMs = this.config.keepAliveSec * 1000;
    if (keepAliveMs > 0) {
      // Fixed period, never pushed back by other sends: a ping always goes out each interval.
      this.arm(T_PING, keepAliveMs);
      this.arm(T_LIVENESS, keepAliveMs * 1.5);
    } else {
      this.disarm(T_LIVENESS);
    }
    if (this.config.stableAfterMs > 0) this.arm(T_STABLE, this.config.stableAfterMs);
    else this.backoff.reset();
    this.statusDue = this.router.outgoingLength(this.statusRoute) > 0;
    this.sessionPresent = packet.sessionPresent;
    this.subscribeTable.fill(0xff, 0, this.filterCount);
    this.subscribeNext = 0;
    this.subscribeOutstanding = 0;
    this.batches = 0;
    this.subscribed = this.filterCount === 0;
    this.log.write(LogLevel.Info, "mqtt", `connected to ${this.broker.host}:${this.broker.port}${this.broker.tls ? " (TLS)" : ""}, session ${packet.sessionPresent ? "resumed" : "new"}, ${this.outbox.live} uplinks queued`);
    const generation = this.generation;
    this.flush();
    if (this.subscribed && generation === this.generation) this.events.onOnline?.(packet.sessionPresent);
  }

  private onSuback(packet: MqttPacket): void {
    const table = this.subscribeTable;
    const base = this.batchBase;
    let batch = 0;
    while (batch < this.batches && table[base + batch * BATCH_FIELDS] !== packet.packetId) batch++;
    if (batch === this.batches) {
      this.counters.add(this.c[C_UNEXPECTED]);
      return;
    }
    const first = table[base + batch * BATCH_FIELDS + 1];
    const count = table[base + batch * BATCH_FIELDS + 2];
    table[base + batch * BATCH_FIELDS] = 0;
    const codes = packet.buffer;
    for (let i = 0; i < count; i++) {
      const code = i < packet.listCount ? codes[packet.listOffset + i] : SUBACK_FAILURE;
      table[first + i] = code;
      if (code === SUBACK_FAILURE) {
        this.counters.add(this.c[C_SUBSCRIBE_FAILURES]);
        this.log.write(LogLevel.Error, "mqtt", `broker refused subscription to "${this.router.incomingTopic(this.router.filterRoute(first + i))}"`);
      }
    }
    this.subscribeOutstanding--;
    if (this.subscribeOutstanding === 0 && this.subscribeNext === this.filterCount && !this.subscribed) {
      this.subscribed = true;
      this.events.onOnline?.(this.sessionPresent);
    }
  }

  private onPublish(packet: MqttPacket): void {
    this.stats.downlinkMessages++;
    const buffer = packet.buffer;
    const route = this.router.match(buffer, packet.topicOffset, packet.topicLength);
    const qos = packet.qos;
    const message = this.message;
    message.route = route;
    message.topicOffset = packet.topicOffset;
    message.topicLength = packet.topicLength;
    message.payloadOffset = packet.payloadOffset;
    message.payloadLength = packet.payloadLength;
    message.qos = qos;
    message.retain = packet.retain;
    message.dup = packet.dup;
    message.packetId = packet.packetId;
    message.ackToken = 0;
    message.oversizeBytes = packet.oversizeBytes;
    // Too large to buffer: acknowledged like any other (a broker would redeliver it forever otherwise), counted, and
    // handed on with its prefix so the protocol can answer with an error naming the limit.
    if (packet.oversizeBytes > 0) this.counters.add(this.c[C_OVERSIZED]);
    if (qos === 0) {
      if (route >= 0) this.deliver(message);
      return;
    }
    const ackType = qos === 1 ? PacketType.Puback : PacketType.Pubrec;
    const inbound = this.inbound;
    const hash = fnv1a(fnv1a(FNV_OFFSET, buffer, packet.topicOffset, packet.topicLength), buffer, packet.payloadOffset, packet.payloadLength);
    const earlier = inbound.findDuplicate(packet.packetId, hash, qos, packet.dup);
    if (earlier >= 0) {
      // Seen before: acknowledge (once the first delivery is done) without running the handler again.
      this.counters.add(this.c[C_DUPLICATES]);
      if (!inbound.pushAck(ackType, packet.packetId, earlier)) this.counters.add(this.c[C_ACK_QUEUE_FULL]);
      return;
    }
    if (inbound.ackQueueFull) {
      // Not handled, not acknowledged: the broker delivers it again after the next reconnect.
      this.counters.add(this.c[C_ACK_QUEUE_FULL]);
      return;
    }
    const slot = inbound.begin(packet.packetId, hash, qos);
    if (slot < 0) {
      this.counters.add(this.c[C_INBOUND_FULL]);
      return;
    }
    message.ackToken = inbound.tokenOf(slot);
    const generation = this.generation;
    const result = route >= 0 ? this.deliver(message) : MessageResult.Accepted;
    if (generation !== this.generation) return;
    if (result === MessageResult.Pending && inbound.isPending(slot)) this.stats.downlinkPending++;
    else inbound.finish(slot);
    inbound.pushAck(ackType, packet.packetId, slot);
  }

  private deliver(message: InboundMessage): MessageResult {
    let result: MessageResult;
    try {
      result = this.handler.onMessage(message);
    } catch (error) {
      // A handler bug must not stop the link, nor make the broker redeliver a poison message forever.
      this.counters.add(this.c[C_HANDLER_ERRORS]);
      this.log.write(LogLevel.Error, "mqtt", `handler for ${this.router.incomingName(message.route)} threw: ${String(error)}`);
      return MessageResult.Rejected;
    }
    if (result === MessageResult.Rejected) this.counters.add(this.c[C_REJECTED]);
    else if (result === MessageResult.Accepted) this.stats.downlinkAccepted++;
    return result;
  }

  // ---------------------------------------------------------------- sending

  /** On outgoing route `route`, or (route -1) on `topicText`; the payload as text or bytes (the other null). */
  private publishFrom(
    route: number,
    topicText: string | null,
    payloadText: string | null,
    payloadBytes: Uint8Array | null,
    payloadOffset: number,
    payloadLength: number,
    qos: number,
    retain: boolean,
  ): PublishResult {
    if (qos !== 0 && qos !== 1) return PublishResult.BadQos;
    // Everything is checked before any room is made: a refused publish changes nothing.
    const tLength = topicText !== null ? utf8Length(topicText) : this.router.outgoingLength(route);
    if (tLength <= 0 || tLength > 65535) return PublishResult.BadTopic;
    if (topicText !== null && (topicText.indexOf("+") >= 0 || topicText.indexOf("#") >= 0)) return PublishResult.BadTopic;
    const pLength = payloadText !== null ? utf8Length(payloadText) : payloadLength;
    if (pLength < 0) return PublishResult.BadPayload;
    if (payloadBytes !== null && !(payloadOffset >= 0 && payloadOffset + payloadLength <= payloadBytes.length)) return PublishResult.BadPayload;
    const size = publishSize(tLength, pLength, qos);
    if (size > this.config.maxPacketBytes) return PublishResult.TooLarge;
    if (qos === 0) {
      if (this.state !== SessionState.Connected) {
        this.counters.add(this.c[C_QOS0_DROPPED]);
        return PublishResult.Dropped;
      }
      if (size > this.sendBuffer.length) return PublishResult.TooLarge;
      const at = this.reserveSend(size);
      if (at < 0) {
        this.counters.add(this.c[C_QOS0_DROPPED]);
        return PublishResult.Dropped;
      }
      const n = this.encodePublishTo(this.sendBuffer, at, route, topicText, payloadText, payloadBytes, payloadOffset, pLength, 0, retain, 0);
      if (n < 0) return PublishResult.BadTopic;
      this.sendEnd = at + n;
      this.stats.qos0Sent++;
      this.stats.packetsOut++;
      this.flush();
      return PublishResult.Sent;
    }
    const outbox = this.outbox;
    const droppedBefore = outbox.droppedOldest;
    const at = outbox.reserve(size);
    if (outbox.droppedOldest !== droppedBefore) this.counters.add(this.c[C_DROPPED_OLDEST], outbox.droppedOldest - droppedBefore);
    if (at === -2) return PublishResult.TooLarge;
    if (at < 0) {
      this.counters.add(this.c[C_BUSY]);
      return PublishResult.Busy;
    }
    const packetId = this.allocatePacketId();
    const n = this.encodePublishTo(outbox.bytes, at, route, topicText, payloadText, payloadBytes, payloadOffset, pLength, 1, retain, packetId);
    if (n < 0) return PublishResult.BadTopic;
    outbox.commit(at, n, packetId);
    this.stats.uplinkQueued++;
    if (this.state === SessionState.Connected) this.flush();
    return PublishResult.Queued;
  }

  private encodePublishTo(
    out: Uint8Array,
    at: number,
    route: number,
    topicText: string | null,
    payloadText: string | null,
    payloadBytes: Uint8Array | null,
    payloadOffset: number,
    payloadLength: number,
    qos: number,
    retain: boolean,
    packetId: number,
  ): number {
    if (topicText !== null) return encodePublishFrom(out, at, topicText, null, 0, 0, payloadText, payloadBytes, payloadOffset, payloadLength, qos, retain, false, packetId);
    return encodePublishRouted(out, at, this.router, route, payloadText, payloadBytes, payloadOffset, payloadLength, qos, retain, false, packetId);
  }

  /** Sequential ids skipping those in use: an id comes back only after 65535 others, long after its PUBACK. */
  private allocatePacketId(): number {
    for (;;) {
      this.nextPacketId = this.nextPacketId >= 65535 ? 1 : this.nextPacketId + 1;
      const id = this.nextPacketId;
      if (id !== this.statusPacketId && !this.outbox.holds(id) && !this.isBatchId(id)) return id;
    }
  }

  private isBatchId(id: number): boolean {
    for (let i = 0; i < this.batches; i++) if (this.subscribeTable[this.batchBase + i * BATCH_FIELDS] === id) return true;
    return false;
  }

  /** Room for `size` bytes at the end of the send buffer (compacting it first); -1 when it is too full. */
  private reserveSend(size: number): number {
    if (this.sendBuffer.length - this.sendEnd < size) this.compactSend();
    return this.sendBuffer.length - this.sendEnd >= size ? this.sendEnd : -1;
  }

  /** Move unsent bytes to the front; flush always writes from sendStart, so this is safe mid-write. */
  private compactSend(): void {
    if (this.sendStart === 0) return;
    this.sendBuffer.copyWithin(0, this.sendStart, this.sendEnd);
    this.sendEnd -= this.sendStart;
    this.sendStart = 0;
  }

  private appendControl(length: number): boolean {
    if (length <= 0) return false;
    this.sendEnd += length;
    this.stats.packetsOut++;
    return true;
  }

  /** Put due control packets into the send buffer, in order of urgency, as far as they fit. */
  private fillControl(): void {
    const buffer = this.sendBuffer;
    const inbound = this.inbound;
    let type: number;
    while ((type = inbound.readyAckType()) !== 0) {
      const at = this.reserveSend(4);
      if (at < 0) return;
      this.appendControl(encodeAck(buffer, at, type as PacketType, inbound.readyAckId()));
      inbound.popAck();
    }
    if (this.pingDue) {
      const at = this.reserveSend(2);
      if (at < 0) return;
      this.appendControl(encodeEmpty(buffer, at, PacketType.Pingreq));
      this.pingDue = false;
      this.stats.pingsSent++;
    }
    if (this.statusDue) {
      const route = this.statusRoute;
      const online = this.statusPayload(true);
      const size = publishSize(this.router.outgoingLength(route), utf8Length(online), 1);
      const at = this.reserveSend(size);
      if (at < 0) return;
      this.statusPacketId = this.allocatePacketId();
      this.appendControl(encodePublishRouted(buffer, at, this.router, route, online, null, 0, 0, 1, true, false, this.statusPacketId));
      this.statusDue = false;
    }
    while (this.subscribeNext < this.filterCount) {
      // As many filters per SUBSCRIBE as fit in the free space; fewer when they do not.
      let count = this.filterCount - this.subscribeNext;
      const id = this.allocatePacketId();
      let n = 0;
      this.compactSend();
      while (count > 0) {
        n = encodeSubscribeFrom(buffer, this.sendEnd, id, this.router, this.config.subscribeQos, this.subscribeNext, count);
        if (n > 0) break;
        count = count >> 1;
      }
      if (n <= 0) return;
      this.appendControl(n);
      const batch = this.batches++;
      const row = this.batchBase + batch * BATCH_FIELDS;
      this.subscribeTable[row] = id;
      this.subscribeTable[row + 1] = this.subscribeNext;
      this.subscribeTable[row + 2] = count;
      this.subscribeNext += count;
      this.subscribeOutstanding++;
    }
  }

  /** Write as much as the socket takes: the send buffer first, then outbox entries within the window. */
  private flush(): void {
    const socket = this.socket;
    if (socket === null || this.state < SessionState.AwaitingConnack) return;
    const generation = this.generation;
    const outbox = this.outbox;
    for (;;) {
      if (this.writing === WRITE_SEND_BUFFER) {
        const n = socket.write(this.sendBuffer, this.sendStart, this.sendEnd - this.sendStart);
        if (generation !== this.generation) return;
        this.stats.bytesOut += n;
        this.sendStart += n;
        if (this.sendStart < this.sendEnd) return;
        this.sendStart = 0;
        this.sendEnd = 0;
        this.writing = WRITE_NONE;
      } else if (this.writing === WRITE_OUTBOX) {
        const index = this.writeIndex;
        const length = outbox.lengthOf(index) - this.writePosition;
        const n = socket.write(outbox.bytes, outbox.offsetOf(index) + this.writePosition, length);
        if (generation !== this.generation) return;
        this.stats.bytesOut += n;
        this.writePosition += n;
        if (n < length) return;
        outbox.pinned = -1;
        this.writing = WRITE_NONE;
      }
      if (this.state === SessionState.Connected) this.fillControl();
      if (this.sendEnd > this.sendStart) {
        this.writing = WRITE_SEND_BUFFER;
        continue;
      }
      if (this.state !== SessionState.Connected || outbox.inflight >= this.config.inflightWindow) return;
      const index = outbox.nextToSend();
      if (index < 0) return;
      if (outbox.isRetransmission(index)) this.stats.uplinkRetransmits++;
      outbox.markSent(index);
      outbox.pinned = index;
      this.writeIndex = index;
      this.writePosition = 0;
      this.writing = WRITE_OUTBOX;
      this.stats.packetsOut++;
    }
  }
}

