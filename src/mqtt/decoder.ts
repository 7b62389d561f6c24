import { MAX_REMAINING_LENGTH, MQTT_ERROR_NAMES, MqttError, PACKET_NAMES, PacketType } from "./constants";
import { MqttConnectInfo, MqttPacket } from "./packet";
import { checkTopicFilter, checkTopicName, checkUtf8 } from "./utf8";
import { deepFreeze } from "../core/freeze";

/** `next()` results. */
export const DecodeStatus = deepFreeze({ NeedMore: 0, Packet: 1, Error: -1 } as const);
export type DecodeStatus = (typeof DecodeStatus)[keyof typeof DecodeStatus];

/** Fixed-header flags each type requires (§2.2.2); -1: PUBLISH, whose flags carry DUP/QoS/RETAIN. */
const REQUIRED_FLAGS = deepFreeze([-2, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, -2]);

/**
 * Sans-I/O MQTT 3.1.1 stream decoder over one preallocated receive buffer, which is also the largest packet it
 * buffers. A PUBLISH announcing more is not an error: once the buffer is full, it is returned with `oversizeBytes`
 * set and only the payload prefix that fit, and the rest of it is skipped as it arrives (never buffered), so one
 * oversized command cannot take the link down (the session acknowledges it and the protocol answers with an
 * error). Any other packet announcing more than the buffer is refused as soon as its fixed header is read.
 *
 * I/O side: `prepareWrite()` gives the offset where received bytes go (after moving unconsumed bytes to the front),
 * `writeSpace` how many fit, `commit(n)` records them; so a socket reads straight into the buffer (no copy).
 * `feed()` copies from a caller's buffer instead. Protocol side: `next()` decodes one packet into `packet`
 * (offsets into `buffer`), returns NeedMore when the packet is incomplete, or Error (sticky until `reset()`).
 * Views in `packet` stay valid until the next `prepareWrite()`/`feed()`.
 */
export class MqttDecoder {
  readonly buffer: Uint8Array;
  readonly packet: MqttPacket;
  error: MqttError = MqttError.None;
  /** A number that explains the error: the announced size, the bad type or code, ... */
  errorDetail = 0;
  /** Packet type the error was found in (0 when unknown). */
  errorType = 0;
  packetsDecoded = 0;
  private start = 0;
  private end = 0;
  /** Bytes of an oversized PUBLISH still to be skipped. */
  private skipRemaining = 0;
  /** Oversized PUBLISH packets returned (their tails skipped). */
  oversizedPublishes = 0;

  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 16)) throw new RangeError(`MqttDecoder: capacity ${capacity} must be an integer >= 16`);
    this.buffer = new Uint8Array(capacity);
    this.packet = new MqttPacket(this.buffer);
  }

  get capacity(): number {
    return this.buffer.length;
  }

  /** Bytes received but not yet decoded. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Drop everything (a new connection). */
  reset(): void {
    this.start = 0;
    this.end = 0;
    this.skipRemaining = 0;
    this.error = MqttError.None;
    this.errorDetail = 0;
    this.errorType = 0;
  }

  /** Move unconsumed bytes to the front and return where new bytes go. Invalidates views of decoded packets. */
  prepareWrite(): number {
    if (this.start > 0) {
      if (this.start < this.end) this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return this.end;
  }

  get writeSpace(): number {
    return this.buffer.length - this.end;
  }

  /** Record `count` bytes written at `prepareWrite()`'s offset. */
  commit(count: number): void {
    if (!(count >= 0 && this.end + count <= this.buffer.length)) {
      throw new RangeError(`MqttDecoder.commit: ${count} bytes do not fit (${this.writeSpace} free)`);
    }
    this.end += count;
  }

  /** Copy up to `length` bytes in; returns how many fit (decode with `next()` to make room for the rest). */
  feed(data: Uint8Array, offset: number, length: number): number {
    const at = this.prepareWrite();
    const count = length < this.buffer.length - at ? length : this.buffer.length - at;
    for (let i = 0; i < count; i++) this.buffer[at + i] = data[offset + i];
    this.end += count;
    return count;
  }

  /** At the end of a stream: Truncated if it stopped inside a packet, else the error so far (None if clean). */
  finish(): MqttError {
    if (this.error === MqttError.None && this.skipRemaining > 0) this.fail(MqttError.Truncated, this.skipRemaining, PacketType.Publish);
    if (this.error === MqttError.None && this.end > this.start) this.fail(MqttError.Truncated, this.end - this.start, 0);
    return this.error;
  }

  /** Human-readable reason for the current error, naming the packet and the value (allocates: errors only). */
  describeError(): string {
    if (this.error === MqttError.None) return "no error";
    const where = this.errorType > 0 ? `${PACKET_NAMES[this.errorType]}: ` : "";
    let text = `${where}${MQTT_ERROR_NAMES[this.error]}`;
    if (this.error === MqttError.PacketTooLarge) text += ` (${this.errorDetail} bytes announced, maximum ${this.buffer.length})`;
    else if (this.errorDetail !== 0) text += ` (${this.errorDetail})`;
    return text;
  }

  next(): DecodeStatus {
    if (this.error !== MqttError.None) return DecodeStatus.Error;
    if (this.skipRemaining > 0) {
      const skip = this.skipRemaining < this.end - this.start ? this.skipRemaining : this.end - this.start;
      this.start += skip;
      this.skipRemaining -= skip;
      if (this.skipRemaining > 0) return DecodeStatus.NeedMore;
    }
    const buffer = this.buffer;
    const start = this.start;
    const available = this.end - start;
    if (available < 1) return DecodeStatus.NeedMore;
    const first = buffer[start];
    const type = first >> 4;
    const flags = first & 15;
    // Garbage is refused at its first byte, not after waiting for a body that may never come.
    const required = REQUIRED_FLAGS[type];
    if (required === -2) return this.fail(MqttError.ReservedType, type, 0);
    if (required >= 0 && flags !== required) return this.fail(MqttError.BadFlags, flags, type);
    if (type === PacketType.Publish && ((flags >> 1) & 3) === 3) return this.fail(MqttError.BadQos, 3, type);
    let remaining = 0;
    let multiplier = 1;
    let index = 1;
    for (;;) {
      if (index === 5) return this.fail(MqttError.MalformedLength, 0, type);
      if (index >= available) return DecodeStatus.NeedMore;
      const b = buffer[start + index++];
      remaining += (b & 127) * multiplier;
      multiplier *= 128;
      if ((b & 128) === 0) break;
    }
    const total = index + remaining;
    if (total > buffer.length) return type === PacketType.Publish ? this.oversized(start, available, index, total) : this.fail(MqttError.PacketTooLarge, total, type);
    if (available < total) return DecodeStatus.NeedMore;
    const packet = this.packet;
    packet.clear();
    packet.type = type;
    packet.flags = flags;
    packet.offset = start;
    packet.length = total;
    packet.headerLength = index;
    const result = this.parseBody(packet, start + index, start + total);
    if (result !== MqttError.None) return this.fail(result, this.errorDetail, type);
    this.start = start + total;
    this.packetsDecoded++;
    return DecodeStatus.Packet;
  }

  /**
   * A PUBLISH larger than the buffer: wait until the buffer is full (the caller compacts it with prepareWrite), then
   * return it with the prefix that fit and skip the rest. Its topic and packet id must fit, else it is refused.
   */
  private oversized(start: number, available: number, headerLength: number, total: number): DecodeStatus {
    if (start + available < this.buffer.length || start > 0) return DecodeStatus.NeedMore;
    const packet = this.packet;
    packet.clear();
    packet.type = PacketType.Publish;
    packet.flags = this.buffer[start] & 15;
    packet.offset = start;
    packet.length = available;
    packet.headerLength = headerLength;
    const result = this.parseBody(packet, start + headerLength, start + available);
    // Topic or packet id beyond the buffer: nothing to answer to, so the packet is refused as too large.
    if (result === MqttError.FieldOverrun) return this.fail(MqttError.PacketTooLarge, total, PacketType.Publish);
    if (result !== MqttError.None) return this.fail(result, this.errorDetail, PacketType.Publish);
    packet.oversizeBytes = total;
    this.start = start + available;
    this.skipRemaining = total - available;
    this.packetsDecoded++;
    this.oversizedPublishes++;
    return DecodeStatus.Packet;
  }

  private fail(error: MqttError, detail: number, type: number): DecodeStatus {
    this.error = error;
    this.errorDetail = detail;
    this.errorType = type;
    return DecodeStatus.Error;
  }

  private parseBody(packet: MqttPacket, body: number, end: number): MqttError {
    const buffer = this.buffer;
    const length = end - body;
    this.errorDetail = 0;
    switch (packet.type) {
      case PacketType.Publish: {
        const flags = packet.flags;
        packet.qos = (flags >> 1) & 3;
        packet.dup = (flags & 8) !== 0;
        packet.retain = (flags & 1) !== 0;
        if (packet.dup && packet.qos === 0) return MqttError.BadQos;
        if (length < 2) return MqttError.FieldOverrun;
        const topicLength = (buffer[body] << 8) | buffer[body + 1];
        let p = body + 2;
        if (p + topicLength > end) return MqttError.FieldOverrun;
        const topicError = checkTopicName(buffer, p, topicLength);
        if (topicError !== MqttError.None) return topicError;
        packet.topicOffset = p;
        packet.topicLength = topicLength;
        p += topicLength;
        if (packet.qos > 0) {
          if (p + 2 > end) return MqttError.FieldOverrun;
          packet.packetId = (buffer[p] << 8) | buffer[p + 1];
          if (packet.packetId === 0) return MqttError.ZeroPacketId;
          p += 2;
        }
        packet.payloadOffset = p;
        packet.payloadLength = end - p;
        return MqttError.None;
      }
      case PacketType.Puback:
      case PacketType.Pubrec:
      case PacketType.Pubrel:
      case PacketType.Pubcomp:
      case PacketType.Unsuback:
        if (length !== 2) return this.badLength(length);
        packet.packetId = (buffer[body] << 8) | buffer[body + 1];
        return packet.packetId === 0 ? MqttError.ZeroPacketId : MqttError.None;
      case PacketType.Pingreq:
      case PacketType.Pingresp:
      case PacketType.Disconnect:
        return length === 0 ? MqttError.None : this.badLength(length);
      case PacketType.Connack: {
        if (length !== 2) return this.badLength(length);
        const ackFlags = buffer[body];
        if ((ackFlags & 0xfe) !== 0) {
          this.errorDetail = ackFlags;
          return MqttError.BadFlags;
        }
        packet.sessionPresent = ackFlags === 1;
        packet.returnCode = buffer[body + 1];
        if (packet.returnCode > 5 || (packet.returnCode !== 0 && packet.sessionPresent)) {
          this.errorDetail = packet.returnCode;
          return MqttError.BadReturnCode;
        }
        return MqttError.None;
      }
      case PacketType.Suback: {
        if (length < 2) return MqttError.FieldOverrun;
        packet.packetId = (buffer[body] << 8) | buffer[body + 1];
        if (packet.packetId === 0) return MqttError.ZeroPacketId;
        if (length === 2) return MqttError.EmptyList;
        for (let p = body + 2; p < end; p++) {
          const code = buffer[p];
          if (code > 2 && code !== 0x80) {
            this.errorDetail = code;
            return MqttError.BadReturnCode;
          }
        }
        packet.listOffset = body + 2;
        packet.listEnd = end;
        packet.listCount = length - 2;
        return MqttError.None;
      }
      case PacketType.Subscribe:
      case PacketType.Unsubscribe: {
        const withQos = packet.type === PacketType.Subscribe;
        if (length < 2) return MqttError.FieldOverrun;
        packet.packetId = (buffer[body] << 8) | buffer[body + 1];
        if (packet.packetId === 0) return MqttError.ZeroPacketId;
        let p = body + 2;
        if (p === end) return MqttError.EmptyList;
        let count = 0;
        while (p < end) {
          if (p + 2 > end) return MqttError.FieldOverrun;
          const filterLength = (buffer[p] << 8) | buffer[p + 1];
          p += 2;
          if (p + filterLength + (withQos ? 1 : 0) > end) return MqttError.FieldOverrun;
          const filterError = checkTopicFilter(buffer, p, filterLength);
          if (filterError !== MqttError.None) return filterError;
          p += filterLength;
          if (withQos) {
            const qos = buffer[p++];
            if (qos > 2) {
              this.errorDetail = qos;
              return MqttError.BadQos;
            }
          }
          count++;
        }
        packet.listOffset = body + 2;
        packet.listEnd = end;
        packet.listCount = count;
        return MqttError.None;
      }
      case PacketType.Connect:
        return this.parseConnect(packet, body, end);
    }
    return MqttError.ReservedType;
  }

  private badLength(length: number): MqttError {
    this.errorDetail = length;
    return MqttError.BadLength;
  }

  private parseConnect(packet: MqttPacket, body: number, end: number): MqttError {
    const b = this.buffer;
    const connect = packet.connect ?? (packet.connect = new MqttConnectInfo());
    connect.clear();
    // Protocol name "MQTT" (4 bytes) and level 4: this codec speaks MQTT 3.1.1 only.
    if (body + 10 > end) return MqttError.FieldOverrun;
    if (b[body] !== 0 || b[body + 1] !== 4 || b[body + 2] !== 0x4d || b[body + 3] !== 0x51 || b[body + 4] !== 0x54 || b[body + 5] !== 0x54) {
      return MqttError.BadProtocol;
    }
    connect.protocolLevel = b[body + 6];
    if (connect.protocolLevel !== 4) {
      this.errorDetail = connect.protocolLevel;
      return MqttError.BadProtocol;
    }
    const flags = b[body + 7];
    const willFlag = (flags & 4) !== 0;
    const willQos = (flags >> 3) & 3;
    const willRetain = (flags & 32) !== 0;
    const hasPassword = (flags & 64) !== 0;
    const hasUsername = (flags & 128) !== 0;
    if ((flags & 1) !== 0 || willQos === 3 || (!willFlag && (willQos !== 0 || willRetain)) || (hasPassword && !hasUsername)) {
      this.errorDetail = flags;
      return MqttError.BadConnectFlags;
    }
    connect.cleanSession = (flags & 2) !== 0;
    connect.willFlag = willFlag;
    connect.willQos = willQos;
    connect.willRetain = willRetain;
    connect.keepAliveSec = (b[body + 8] << 8) | b[body + 9];
    let p = body + 10;
    // Each field: 2-byte length then bytes; strings are UTF-8 checked, the will payload and password are binary.
    if (p + 2 > end) return MqttError.FieldOverrun;
    let n = (b[p] << 8) | b[p + 1];
    p += 2;
    if (p + n > end) return MqttError.FieldOverrun;
    let error = checkUtf8(b, p, n);
    if (error !== MqttError.None) return error;
    connect.clientIdOffset = p;
    connect.clientIdLength = n;
    p += n;
    if (willFlag) {
      if (p + 2 > end) return MqttError.FieldOverrun;
      n = (b[p] << 8) | b[p + 1];
      p += 2;
      if (p + n > end) return MqttError.FieldOverrun;
      error = checkTopicName(b, p, n);
      if (error !== MqttError.None) return error;
      connect.willTopicOffset = p;
      connect.willTopicLength = n;
      p += n;
      if (p + 2 > end) return MqttError.FieldOverrun;
      n = (b[p] << 8) | b[p + 1];
      p += 2;
      if (p + n > end) return MqttError.FieldOverrun;
      connect.willPayloadOffset = p;
      connect.willPayloadLength = n;
      p += n;
    }
    if (hasUsername) {
      if (p + 2 > end) return MqttError.FieldOverrun;
      n = (b[p] << 8) | b[p + 1];
      p += 2;
      if (p + n > end) return MqttError.FieldOverrun;
      error = checkUtf8(b, p, n);
      if (error !== MqttError.None) return error;
      connect.usernameOffset = p;
      connect.usernameLength = n;
      p += n;
    }
    if (hasPassword) {
      if (p + 2 > end) return MqttError.FieldOverrun;
      n = (b[p] << 8) | b[p + 1];
      p += 2;
      if (p + n > end) return MqttError.FieldOverrun;
      connect.passwordOffset = p;
      connect.passwordLength = n;
      p += n;
    }
    if (p !== end) {
      this.errorDetail = end - p;
      return MqttError.TrailingBytes;
    }
    return MqttError.None;
  }
}

/** For callers that need the bound: the largest packet a remaining length can describe. */
export const MAX_PACKET_BYTES = MAX_REMAINING_LENGTH + 5;
