/**
 * The MQTT session's receiving side (see session.ts for the whole): the packets a broker sends, in order of the
 * connection: CONNACK (online, keepalive armed, SUBSCRIBE batches due), SUBACK (`onOnline` once all are in),
 * PUBACK (the outbox entry freed), and PUBLISH with the inbound QoS flow: duplicates by packet id and content hash
 * acknowledged without a second delivery, acks held until a Pending handler finishes, every bound hit counted.
 */
import { LogLevel } from "../../hal/types";
import { CONNACK_NAMES, MqttError, PACKET_NAMES, PacketType, SUBACK_FAILURE } from "./constants";
import { FNV_OFFSET, fnv1a } from "./inbound";
import type { MqttPacket } from "./packet";
import { MessageResult, SessionState, type InboundMessage } from "./session-api";
import { SessionSender } from "./session-send";
import {
  BATCH_FIELDS,
  C_ACK_QUEUE_FULL,
  C_CONNACK_REFUSED,
  C_DUPLICATES,
  C_HANDLER_ERRORS,
  C_INBOUND_FULL,
  C_OVERSIZED,
  C_PUBACK_UNKNOWN,
  C_REJECTED,
  C_SUBSCRIBE_FAILURES,
  C_UNEXPECTED,
  T_LIVENESS,
  T_PING,
  T_STABLE,
} from "./session-internals";

export abstract class SessionReceiver extends SessionSender {
  // ---------------------------------------------------------------- received packets

  protected handlePacket(packet: MqttPacket): void {
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
        else if (this.outbox.ack(packet.packetId)) {
          this.stats.uplinkAcked++;
          const handle = this.outbox.lastAckedTag;
          if (handle !== 0 && this.journal !== null) this.journal.acknowledged(handle);
        }
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

  protected onConnack(packet: MqttPacket): void {
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

  protected onSuback(packet: MqttPacket): void {
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

  protected onPublish(packet: MqttPacket): void {
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

  protected deliver(message: InboundMessage): MessageResult {
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
}
