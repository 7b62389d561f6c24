/**
 * The MQTT session's sending side (see session.ts for the whole): publishes (QoS 0 into the send buffer, QoS 1 into
 * the outbox), packet ids, the control packets due (acks, ping, the online status, SUBSCRIBE batches), and `flush`,
 * which writes the send buffer and then outbox entries within the in-flight window, retransmissions first after a
 * reconnect. Allocates nothing.
 */
import { encodeAck, encodeEmpty, encodePublishFrom, encodePublishRouted, encodeSubscribeFrom, publishSize } from "./encoder";
import { PacketType } from "./constants";
import { PublishResult, SessionState } from "./session-api";
import { SessionCore } from "./session-core";
import { BATCH_FIELDS, C_BUSY, C_DROPPED_OLDEST, C_QOS0_DROPPED, WRITE_NONE, WRITE_OUTBOX, WRITE_SEND_BUFFER } from "./session-internals";
import { utf8Length } from "./utf8";

export abstract class SessionSender extends SessionCore {
  // ---------------------------------------------------------------- sending

  /** On outgoing route `route`, or (route -1) on `topicText`; the payload as text or bytes (the other null). */
  protected publishFrom(
    route: number,
    topicText: string | null,
    payloadText: string | null,
    payloadBytes: Uint8Array | null,
    payloadOffset: number,
    payloadLength: number,
    qos: number,
    retain: boolean,
    journalHandle = -1,
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
    // A durable uplink is kept by the journal before it is queued (-1: ask the journal; >= 0: already kept, at boot).
    let handle = journalHandle;
    if (handle < 0) handle = payloadText !== null && route >= 0 && this.journal !== null && this.journal.covers(route) ? this.journal.append(route, payloadText) : 0;
    outbox.commit(at, n, packetId, handle);
    this.stats.uplinkQueued++;
    if (this.state === SessionState.Connected) this.flush();
    return PublishResult.Queued;
  }

  protected encodePublishTo(
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
  protected allocatePacketId(): number {
    for (;;) {
      this.nextPacketId = this.nextPacketId >= 65535 ? 1 : this.nextPacketId + 1;
      const id = this.nextPacketId;
      if (id !== this.statusPacketId && !this.outbox.holds(id) && !this.isBatchId(id)) return id;
    }
  }

  protected isBatchId(id: number): boolean {
    for (let i = 0; i < this.batches; i++) if (this.subscribeTable[this.batchBase + i * BATCH_FIELDS] === id) return true;
    return false;
  }

  /** Room for `size` bytes at the end of the send buffer (compacting it first); -1 when it is too full. */
  protected reserveSend(size: number): number {
    if (this.sendBuffer.length - this.sendEnd < size) this.compactSend();
    return this.sendBuffer.length - this.sendEnd >= size ? this.sendEnd : -1;
  }

  /** Move unsent bytes to the front; flush always writes from sendStart, so this is safe mid-write. */
  protected compactSend(): void {
    if (this.sendStart === 0) return;
    this.sendBuffer.copyWithin(0, this.sendStart, this.sendEnd);
    this.sendEnd -= this.sendStart;
    this.sendStart = 0;
  }

  protected appendControl(length: number): boolean {
    if (length <= 0) return false;
    this.sendEnd += length;
    this.stats.packetsOut++;
    return true;
  }

  /** Put due control packets into the send buffer, in order of urgency, as far as they fit. */
  protected fillControl(): void {
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
  protected flush(): void {
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
