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
 *
 * The code is in layers of one class chain (one object, no extra heap): session-core.ts (state, fixed memory,
 * deadlines) <- session-send.ts (publishing, outbox, flush) <- session-receive.ts (received packets, inbound QoS)
 * <- this file (the connection state machine, keepalive, the socket's events and the public API). Types and
 * constants users need are in session-api.ts, re-exported here.
 */
import { LogLevel, type TcpHandlers, type TcpSocket } from "../../hal/types";
import type { TickService } from "../app/service";
import { buildCredentials } from "./auth";
import { MqttError, PacketType } from "./constants";
import { DecodeStatus } from "./decoder";
import { encodeConnect, encodeEmpty, encodePublishRouted, MqttArgumentError, publishSize } from "./encoder";
import { PublishResult, SESSION_STATE_NAMES, SessionState, type MqttSessionOptions, type MqttStats, type SessionHal } from "./session-api";
import { SessionReceiver } from "./session-receive";
import {
  C_CONNECT_FAILURES,
  C_CONNECT_TIMEOUTS,
  C_DISCONNECTS,
  C_KEEPALIVE_TIMEOUTS,
  C_PACKET_TOO_LARGE,
  C_PROTOCOL_ERRORS,
  T_LIVENESS,
  T_PING,
  T_RECONNECT,
  T_STABLE,
  WRITE_NONE,
} from "./session-internals";
import { utf8Length } from "./utf8";

export * from "./session-api";

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

export class MqttSession extends SessionReceiver implements TickService {
  constructor(hal: SessionHal, options: MqttSessionOptions) {
    super(hal, options);
    this.restoreJournal();
  }

  /**
   * Queue again what the journal kept from before the boot, oldest first, with its handle (it is not kept twice).
   * One whose route no longer exists, or that no longer fits, is forgotten there (and counted by the journal).
   */
  private restoreJournal(): void {
    const journal = this.journal;
    if (journal === null) return;
    for (const entry of journal.pending()) {
      const result = entry.route < 0 ? PublishResult.BadTopic : this.publishFrom(entry.route, null, entry.payload, null, 0, 0, 1, false, entry.handle);
      if (result !== PublishResult.Queued) journal.dropped(entry.handle);
    }
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

  protected connect(): void {
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
  protected fail(reason: string, counter: number): void {
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

  protected closeLink(reason: string): void {
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

  protected checkLiveness(): void {
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

  protected protocolError(error: number, description: string): void {
    if (error === MqttError.PacketTooLarge) this.counters.add(this.c[C_PACKET_TOO_LARGE]);
    this.fail(`protocol error: ${description}`, this.c[C_PROTOCOL_ERRORS]);
  }

  protected fire(which: number): void {
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
}
