import { MAX_REMAINING_LENGTH, MqttError, PacketType } from "./constants";
import { checkTopicFilter, checkTopicName, utf8Length, writeUtf8 } from "./utf8";

/**
 * MQTT 3.1.1 packet encoders writing into a caller's buffer at an offset. Convention: the return value is the
 * packet's length in bytes (> 0); 0 means it does not fit in the room left (nothing written that matters); a
 * negative value is `-MqttError` for an argument that would make an invalid packet (bad topic, packet id 0, ...).
 * The per-packet encoders (PUBLISH, acks, PINGREQ) allocate nothing; CONNECT and SUBSCRIBE take strings and run
 * once per connection.
 */

export function varintSize(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Write the fixed header; returns the offset after it. */
function writeHeader(out: Uint8Array, offset: number, first: number, remaining: number): number {
  out[offset++] = first;
  let value = remaining;
  do {
    let b = value % 128;
    value = (value - b) / 128;
    if (value > 0) b |= 128;
    out[offset++] = b;
  } while (value > 0);
  return offset;
}

function fits(out: Uint8Array, offset: number, total: number): boolean {
  return offset >= 0 && offset + total <= out.length;
}

/** Total bytes of a PUBLISH packet. */
export function publishSize(topicBytes: number, payloadBytes: number, qos: number): number {
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + payloadBytes;
  return 1 + varintSize(remaining) + remaining;
}

function publishFirstByte(qos: number, retain: boolean, dup: boolean): number {
  return (PacketType.Publish << 4) | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
}

function checkPublishArgs(qos: number, dup: boolean, packetId: number, remaining: number): MqttError {
  if (!(qos === 0 || qos === 1 || qos === 2) || (dup && qos === 0)) return MqttError.BadQos;
  if (qos > 0 && !(packetId >= 1 && packetId <= 65535)) return MqttError.ZeroPacketId;
  if (remaining > MAX_REMAINING_LENGTH) return MqttError.PacketTooLarge;
  return MqttError.None;
}

/**
 * PUBLISH from any mix of sources: the topic as a string (`topicText`) or pre-encoded bytes, the payload as bytes
 * or as a string written straight as UTF-8 (`payloadText`, for JSON built at command rate). Unused sources are
 * null. Checks the topic like a received one.
 */
export function encodePublishFrom(
  out: Uint8Array,
  offset: number,
  topicText: string | null,
  topicBytes: Uint8Array | null,
  topicOffset: number,
  topicLength: number,
  payloadText: string | null,
  payloadBytes: Uint8Array | null,
  payloadOffset: number,
  payloadLength: number,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number,
): number {
  const tLength = topicText !== null ? utf8Length(topicText) : topicLength;
  if (tLength < 0) return -MqttError.BadUtf8;
  if (tLength === 0 || tLength > 65535) return -MqttError.BadTopic;
  const pLength = payloadText !== null ? utf8Length(payloadText) : payloadLength;
  if (pLength < 0) return -MqttError.BadUtf8;
  const remaining = 2 + tLength + (qos > 0 ? 2 : 0) + pLength;
  const argError = checkPublishArgs(qos, dup, packetId, remaining);
  if (argError !== MqttError.None) return -argError;
  if (topicBytes !== null) {
    const topicError = checkTopicName(topicBytes, topicOffset, tLength);
    if (topicError !== MqttError.None) return -topicError;
  }
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, publishFirstByte(qos, retain, dup), remaining);
  out[p++] = tLength >> 8;
  out[p++] = tLength & 255;
  if (topicText !== null) {
    writeUtf8(topicText, out, p);
    const topicError = checkTopicName(out, p, tLength);
    if (topicError !== MqttError.None) return -topicError;
  } else copy(topicBytes!, topicOffset, out, p, tLength);
  p += tLength;
  if (qos > 0) {
    out[p++] = packetId >> 8;
    out[p++] = packetId & 255;
  }
  if (payloadText !== null) writeUtf8(payloadText, out, p);
  else copy(payloadBytes!, payloadOffset, out, p, pLength);
  return total;
}

/**
 * Topics known by number whose owner writes their bytes (the topic router: a shared prefix plus a literal tail, so
 * no topic is held as a string or a byte copy of its own). Its topics are checked once, when it is built.
 */
export interface TopicSource {
  /** UTF-8 bytes of topic `id`; 0 when there is no such topic. */
  outgoingLength(id: number): number;
  /** Write topic `id`'s `outgoingLength(id)` bytes at `at`. */
  writeOutgoing(id: number, out: Uint8Array, at: number): void;
}

/**
 * PUBLISH on a topic of a TopicSource, the payload as bytes or as a string (null for the unused one). The topic is
 * not checked again (its source checked it); it must be non-empty.
 */
export function encodePublishRouted(
  out: Uint8Array,
  offset: number,
  topics: TopicSource,
  topicId: number,
  payloadText: string | null,
  payloadBytes: Uint8Array | null,
  payloadOffset: number,
  payloadLength: number,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number,
): number {
  const tLength = topics.outgoingLength(topicId);
  if (tLength === 0 || tLength > 65535) return -MqttError.BadTopic;
  const pLength = payloadText !== null ? utf8Length(payloadText) : payloadLength;
  if (pLength < 0) return -MqttError.BadUtf8;
  const remaining = 2 + tLength + (qos > 0 ? 2 : 0) + pLength;
  const argError = checkPublishArgs(qos, dup, packetId, remaining);
  if (argError !== MqttError.None) return -argError;
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, publishFirstByte(qos, retain, dup), remaining);
  out[p++] = tLength >> 8;
  out[p++] = tLength & 255;
  topics.writeOutgoing(topicId, out, p);
  p += tLength;
  if (qos > 0) {
    out[p++] = packetId >> 8;
    out[p++] = packetId & 255;
  }
  if (payloadText !== null) writeUtf8(payloadText, out, p);
  else copy(payloadBytes!, payloadOffset, out, p, pLength);
  return total;
}

/** PUBLISH with the topic already UTF-8 encoded. */
export function encodePublish(
  out: Uint8Array,
  offset: number,
  topic: Uint8Array,
  topicOffset: number,
  topicLength: number,
  payload: Uint8Array,
  payloadOffset: number,
  payloadLength: number,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number,
): number {
  return encodePublishFrom(out, offset, null, topic, topicOffset, topicLength, null, payload, payloadOffset, payloadLength, qos, retain, dup, packetId);
}

/** PUBLISH to a topic given as a string: encoded in place (no allocation). */
export function encodePublishText(
  out: Uint8Array,
  offset: number,
  topic: string,
  payload: Uint8Array,
  payloadOffset: number,
  payloadLength: number,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number,
): number {
  return encodePublishFrom(out, offset, topic, null, 0, 0, null, payload, payloadOffset, payloadLength, qos, retain, dup, packetId);
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: four bytes carrying a packet identifier. */
export function encodeAck(out: Uint8Array, offset: number, type: PacketType, packetId: number): number {
  if (!(packetId >= 1 && packetId <= 65535)) return -MqttError.ZeroPacketId;
  if (!fits(out, offset, 4)) return 0;
  out[offset] = (type << 4) | (type === PacketType.Pubrel ? 2 : 0);
  out[offset + 1] = 2;
  out[offset + 2] = packetId >> 8;
  out[offset + 3] = packetId & 255;
  return 4;
}

/** PINGREQ, PINGRESP, DISCONNECT: two bytes. */
export function encodeEmpty(out: Uint8Array, offset: number, type: PacketType): number {
  if (!fits(out, offset, 2)) return 0;
  out[offset] = type << 4;
  out[offset + 1] = 0;
  return 2;
}

export function encodeConnack(out: Uint8Array, offset: number, sessionPresent: boolean, returnCode: number): number {
  if (!fits(out, offset, 4)) return 0;
  out[offset] = PacketType.Connack << 4;
  out[offset + 1] = 2;
  out[offset + 2] = sessionPresent ? 1 : 0;
  out[offset + 3] = returnCode;
  return 4;
}

export interface ConnectFields {
  clientId: string;
  cleanSession: boolean;
  keepAliveSec: number;
  username?: string;
  /** Binary in MQTT; a string is sent as its UTF-8 bytes. */
  password?: string | Uint8Array;
  /** The will's payload is binary in MQTT too; a string is sent as its UTF-8 bytes. */
  will?: { topic: string; payload: string | Uint8Array; qos: number; retain: boolean };
}

/** Thrown for CONNECT/SUBSCRIBE arguments that cannot form a valid packet (a configuration mistake). */
export class MqttArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MqttArgumentError";
  }
}

function stringLength(what: string, text: string): number {
  const n = utf8Length(text);
  if (n < 0) throw new MqttArgumentError(`${what}: not encodable as an MQTT string (lone surrogate or U+0000)`);
  if (n > 65535) throw new MqttArgumentError(`${what}: ${n} bytes, more than 65535`);
  return n;
}

function writeString(out: Uint8Array, p: number, text: string, length: number): number {
  out[p++] = length >> 8;
  out[p++] = length & 255;
  return writeUtf8(text, out, p);
}

function writeBinary(out: Uint8Array, p: number, data: Uint8Array): number {
  out[p++] = data.length >> 8;
  out[p++] = data.length & 255;
  copy(data, 0, out, p, data.length);
  return p + data.length;
}

export function encodeConnect(out: Uint8Array, offset: number, fields: ConnectFields): number {
  const clientIdLength = stringLength("client id", fields.clientId);
  if (!(Number.isInteger(fields.keepAliveSec) && fields.keepAliveSec >= 0 && fields.keepAliveSec <= 65535)) {
    throw new MqttArgumentError(`keepalive ${fields.keepAliveSec} s outside 0..65535`);
  }
  let remaining = 10 + 2 + clientIdLength;
  let flags = fields.cleanSession ? 2 : 0;
  let willTopicLength = 0;
  const will = fields.will;
  let willPayloadLength = 0;
  if (will) {
    willTopicLength = stringLength("will topic", will.topic);
    if (!(will.qos === 0 || will.qos === 1 || will.qos === 2)) throw new MqttArgumentError(`will QoS ${will.qos} is not 0, 1 or 2`);
    willPayloadLength = typeof will.payload === "string" ? stringLength("will payload", will.payload) : will.payload.length;
    if (willPayloadLength > 65535) throw new MqttArgumentError(`will payload ${willPayloadLength} bytes, more than 65535`);
    remaining += 2 + willTopicLength + 2 + willPayloadLength;
    flags |= 4 | (will.qos << 3) | (will.retain ? 32 : 0);
  }
  let usernameLength = 0;
  if (fields.username !== undefined) {
    usernameLength = stringLength("user name", fields.username);
    remaining += 2 + usernameLength;
    flags |= 128;
  }
  let passwordLength = 0;
  if (fields.password !== undefined) {
    if (fields.username === undefined) throw new MqttArgumentError("a password needs a user name in MQTT 3.1.1");
    passwordLength = typeof fields.password === "string" ? stringLength("password", fields.password) : fields.password.length;
    if (passwordLength > 65535) throw new MqttArgumentError(`password ${passwordLength} bytes, more than 65535`);
    remaining += 2 + passwordLength;
    flags |= 64;
  }
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, PacketType.Connect << 4, remaining);
  p = writeString(out, p, "MQTT", 4);
  out[p++] = 4;
  out[p++] = flags;
  out[p++] = fields.keepAliveSec >> 8;
  out[p++] = fields.keepAliveSec & 255;
  p = writeString(out, p, fields.clientId, clientIdLength);
  if (will) {
    const topicAt = p + 2;
    p = writeString(out, p, will.topic, willTopicLength);
    if (checkTopicName(out, topicAt, willTopicLength) !== MqttError.None) throw new MqttArgumentError(`will topic "${will.topic}" is not a valid topic name`);
    p = typeof will.payload === "string" ? writeString(out, p, will.payload, willPayloadLength) : writeBinary(out, p, will.payload);
  }
  if (fields.username !== undefined) p = writeString(out, p, fields.username, usernameLength);
  if (fields.password !== undefined) {
    p = typeof fields.password === "string" ? writeString(out, p, fields.password, passwordLength) : writeBinary(out, p, fields.password);
  }
  return total;
}

/**
 * SUBSCRIBE for `count` filters starting at `first` of `filters`, each at QoS `qos[i]`. Returns 0 when they do not
 * fit, so a caller can retry with fewer filters per packet.
 */
export function encodeSubscribe(
  out: Uint8Array,
  offset: number,
  packetId: number,
  filters: readonly string[],
  qos: ArrayLike<number>,
  first: number,
  count: number,
): number {
  return encodeFilterList(out, offset, PacketType.Subscribe, packetId, filters, qos, first, count);
}

/** Topic filters known by index whose owner writes their bytes (the topic router's subscriptions). */
export interface FilterSource {
  readonly filterCount: number;
  /** UTF-8 bytes of filter `index`. */
  filterLength(index: number): number;
  writeFilter(index: number, out: Uint8Array, at: number): void;
}

/**
 * SUBSCRIBE for filters `first`..`first + count - 1` of `filters`, all at QoS `qos`. Returns 0 when they do not fit,
 * so a caller can retry with fewer filters per packet. Each filter is checked as it is written.
 */
export function encodeSubscribeFrom(out: Uint8Array, offset: number, packetId: number, filters: FilterSource, qos: number, first: number, count: number): number {
  if (!(packetId >= 1 && packetId <= 65535)) return -MqttError.ZeroPacketId;
  if (count < 1 || first < 0 || first + count > filters.filterCount) throw new MqttArgumentError(`filter range ${first}+${count} of ${filters.filterCount}`);
  if (!(qos === 0 || qos === 1 || qos === 2)) throw new MqttArgumentError(`QoS ${qos} is not 0, 1 or 2`);
  let remaining = 2;
  for (let i = first; i < first + count; i++) remaining += 2 + filters.filterLength(i) + 1;
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, (PacketType.Subscribe << 4) | 2, remaining);
  out[p++] = packetId >> 8;
  out[p++] = packetId & 255;
  for (let i = first; i < first + count; i++) {
    const length = filters.filterLength(i);
    out[p++] = length >> 8;
    out[p++] = length & 255;
    filters.writeFilter(i, out, p);
    if (length === 0 || checkTopicFilter(out, p, length) !== MqttError.None) throw new MqttArgumentError(`filter ${i} is not a valid topic filter`);
    p += length;
    out[p++] = qos;
  }
  return total;
}

export function encodeUnsubscribe(out: Uint8Array, offset: number, packetId: number, filters: readonly string[], first: number, count: number): number {
  return encodeFilterList(out, offset, PacketType.Unsubscribe, packetId, filters, null, first, count);
}

function encodeFilterList(
  out: Uint8Array,
  offset: number,
  type: PacketType,
  packetId: number,
  filters: readonly string[],
  qos: ArrayLike<number> | null,
  first: number,
  count: number,
): number {
  if (!(packetId >= 1 && packetId <= 65535)) return -MqttError.ZeroPacketId;
  if (count < 1 || first < 0 || first + count > filters.length) throw new MqttArgumentError(`filter range ${first}+${count} of ${filters.length}`);
  let remaining = 2;
  for (let i = first; i < first + count; i++) {
    remaining += 2 + stringLength(`topic filter "${filters[i]}"`, filters[i]) + (qos ? 1 : 0);
    if (qos && !(qos[i] === 0 || qos[i] === 1 || qos[i] === 2)) throw new MqttArgumentError(`QoS ${qos[i]} for "${filters[i]}" is not 0, 1 or 2`);
  }
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, (type << 4) | 2, remaining);
  out[p++] = packetId >> 8;
  out[p++] = packetId & 255;
  for (let i = first; i < first + count; i++) {
    const length = utf8Length(filters[i]);
    const at = p + 2;
    p = writeString(out, p, filters[i], length);
    if (checkTopicFilter(out, at, length) !== MqttError.None) throw new MqttArgumentError(`"${filters[i]}" is not a valid topic filter`);
    if (qos) out[p++] = qos[i];
  }
  return total;
}

/** SUBACK with `count` return codes (0, 1, 2 or 0x80): for test brokers. */
export function encodeSuback(out: Uint8Array, offset: number, packetId: number, codes: ArrayLike<number>, count: number): number {
  const remaining = 2 + count;
  const total = 1 + varintSize(remaining) + remaining;
  if (!fits(out, offset, total)) return 0;
  let p = writeHeader(out, offset, PacketType.Suback << 4, remaining);
  out[p++] = packetId >> 8;
  out[p++] = packetId & 255;
  for (let i = 0; i < count; i++) out[p++] = codes[i];
  return total;
}

/** Byte copy that is safe for overlapping ranges of the same buffer and allocates nothing. */
function copy(from: Uint8Array, fromOffset: number, to: Uint8Array, toOffset: number, length: number): void {
  if (from === to) {
    to.copyWithin(toOffset, fromOffset, fromOffset + length);
    return;
  }
  if (fromOffset === 0 && length === from.length) {
    // A whole source array: set() copies natively without making a view (about 10x fewer XS steps).
    to.set(from, toOffset);
    return;
  }
  // Unrolled by 8: XS charges per statement, and a subarray()/set() pair would allocate a view.
  let i = 0;
  const end8 = length - 7;
  while (i < end8) {
    to[toOffset + i] = from[fromOffset + i];
    to[toOffset + i + 1] = from[fromOffset + i + 1];
    to[toOffset + i + 2] = from[fromOffset + i + 2];
    to[toOffset + i + 3] = from[fromOffset + i + 3];
    to[toOffset + i + 4] = from[fromOffset + i + 4];
    to[toOffset + i + 5] = from[fromOffset + i + 5];
    to[toOffset + i + 6] = from[fromOffset + i + 6];
    to[toOffset + i + 7] = from[fromOffset + i + 7];
    i += 8;
  }
  while (i < length) {
    to[toOffset + i] = from[fromOffset + i];
    i++;
  }
}
