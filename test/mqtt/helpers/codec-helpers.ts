/** Test glue between our codec and mqtt-packet's object shape. */
import { PacketType } from "../../../src/mqtt/constants";
import { DecodeStatus, MqttDecoder } from "../../../src/mqtt/decoder";
import {
  encodeAck,
  encodeConnack,
  encodeConnect,
  encodePublishText,
  encodeEmpty,
  encodeSubscribe,
  encodeSuback,
  encodeUnsubscribe,
} from "../../../src/mqtt/encoder";
import { viewPacket, type PacketView } from "../../../src/mqtt/inspect";

const TYPES: Record<string, PacketType> = {
  connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, subscribe: 8, suback: 9,
  unsubscribe: 10, unsuback: 11, pingreq: 12, pingresp: 13, disconnect: 14,
};

const bytes = (value: unknown): Uint8Array =>
  value === undefined || value === null ? new Uint8Array(0) : typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value as ArrayLike<number>);

/** Encode an mqtt-packet-style object with our encoders. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function encodeObject(object: any, capacity = 1 << 16): Uint8Array {
  const out = new Uint8Array(capacity);
  const type = TYPES[object.cmd];
  let n: number;
  switch (type) {
    case PacketType.Connect:
      n = encodeConnect(out, 0, {
        clientId: object.clientId ?? "",
        cleanSession: object.clean ?? true,
        keepAliveSec: object.keepalive ?? 0,
        username: object.username === undefined ? undefined : typeof object.username === "string" ? object.username : Buffer.from(object.username).toString(),
        password: object.password === undefined ? undefined : bytes(object.password),
        will: object.will ? { topic: object.will.topic, payload: bytes(object.will.payload), qos: object.will.qos ?? 0, retain: !!object.will.retain } : undefined,
      });
      break;
    case PacketType.Connack:
      n = encodeConnack(out, 0, !!object.sessionPresent, object.returnCode ?? 0);
      break;
    case PacketType.Publish: {
      const payload = bytes(object.payload);
      const topic = typeof object.topic === "string" ? object.topic : Buffer.from(object.topic).toString();
      n = encodePublishText(out, 0, topic, payload, 0, payload.length, object.qos ?? 0, !!object.retain, !!object.dup, object.messageId ?? 0);
      break;
    }
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
    case PacketType.Unsuback:
      n = encodeAck(out, 0, type, object.messageId);
      break;
    case PacketType.Subscribe: {
      const subs = object.subscriptions as { topic: string; qos: number }[];
      n = encodeSubscribe(out, 0, object.messageId, subs.map((s) => s.topic), subs.map((s) => s.qos), 0, subs.length);
      break;
    }
    case PacketType.Suback:
      n = encodeSuback(out, 0, object.messageId, object.granted, object.granted.length);
      break;
    case PacketType.Unsubscribe:
      n = encodeUnsubscribe(out, 0, object.messageId, object.unsubscriptions, 0, object.unsubscriptions.length);
      break;
    case PacketType.Pingreq:
    case PacketType.Pingresp:
    case PacketType.Disconnect:
      n = encodeEmpty(out, 0, type);
      break;
    default:
      throw new Error(`encodeObject: unknown cmd ${object.cmd}`);
  }
  if (n <= 0) throw new Error(`encodeObject: encoder returned ${n} for ${object.cmd}`);
  return out.slice(0, n);
}

export interface DecodeAll {
  packets: PacketView[];
  error: number;
  description: string;
}

/** Decode a whole stream, fed in chunks of `chunk` bytes; the stream's end is signalled with finish(). */
export function decodeAll(stream: Uint8Array, capacity = 1 << 16, chunk = stream.length || 1): DecodeAll {
  const decoder = new MqttDecoder(capacity);
  const packets: PacketView[] = [];
  let position = 0;
  outer: while (position < stream.length) {
    const n = decoder.feed(stream, position, Math.min(chunk, stream.length - position));
    position += n;
    for (;;) {
      const status = decoder.next();
      if (status === DecodeStatus.Packet) packets.push(viewPacket(decoder.packet));
      else if (status === DecodeStatus.Error) break outer;
      else break;
    }
    if (n === 0) break;
  }
  const error = decoder.finish();
  return { packets, error, description: decoder.describeError() };
}

/**
 * mqtt-packet's parsed object reduced to the fields our view has, with Buffers as plain byte arrays, so
 * deepEqual compares meaning rather than representation.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function comparable(object: any, keys?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const wanted = keys ?? Object.keys(object);
  for (const key of wanted) {
    let value = object[key];
    if (value === undefined || value === null) continue;
    if (key === "topic" && typeof value !== "string") value = Buffer.from(value).toString();
    if (key === "username" && typeof value !== "string") value = Buffer.from(value).toString();
    if (value instanceof Uint8Array) value = Array.from(value);
    if (key === "will" && value) {
      value = { topic: String(value.topic), payload: Array.from(bytes(value.payload)), qos: value.qos ?? 0, retain: !!value.retain };
    }
    if (key === "payload" && typeof value === "string") value = Array.from(bytes(value));
    if (key === "password" && typeof value === "string") value = Array.from(bytes(value));
    out[key] = value;
  }
  return out;
}

/** The keys our view has, to project the other side's object onto. */
export function viewKeys(view: PacketView): string[] {
  return Object.keys(view);
}
