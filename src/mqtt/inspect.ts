import { PacketType } from "./constants";
import type { MqttPacket } from "./packet";
import { readUtf8 } from "./utf8";
import { deepFreeze } from "../core/freeze";

/**
 * A decoded packet as a plain object (field names as in the npm package mqtt-packet, so tests can compare the two
 * directly, and logs read the same). Allocates freely: for tests, logs and diagnostics, never on the packet path.
 */
export interface PacketView {
  cmd: string;
  retain: boolean;
  qos: number;
  dup: boolean;
  /** Remaining length. */
  length: number;
  messageId?: number;
  topic?: string;
  payload?: Uint8Array;
  returnCode?: number;
  sessionPresent?: boolean;
  granted?: number[];
  subscriptions?: { topic: string; qos: number }[];
  unsubscriptions?: string[];
  protocolId?: string;
  protocolVersion?: number;
  clean?: boolean;
  keepalive?: number;
  clientId?: string;
  will?: { topic: string; payload: Uint8Array; qos: number; retain: boolean };
  username?: string;
  password?: Uint8Array;
}

const COMMANDS = deepFreeze(["", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"]);

export function viewPacket(packet: MqttPacket): PacketView {
  const b = packet.buffer;
  const view: PacketView = {
    cmd: COMMANDS[packet.type],
    retain: packet.type === PacketType.Publish ? packet.retain : false,
    qos: packet.type === PacketType.Publish ? packet.qos : packet.flags === 2 ? 1 : 0,
    dup: packet.type === PacketType.Publish ? packet.dup : false,
    length: packet.length - packet.headerLength,
  };
  switch (packet.type) {
    case PacketType.Publish:
      view.topic = readUtf8(b, packet.topicOffset, packet.topicLength);
      view.payload = b.slice(packet.payloadOffset, packet.payloadOffset + packet.payloadLength);
      if (packet.qos > 0) view.messageId = packet.packetId;
      break;
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
    case PacketType.Unsuback:
      view.messageId = packet.packetId;
      break;
    case PacketType.Connack:
      view.sessionPresent = packet.sessionPresent;
      view.returnCode = packet.returnCode;
      break;
    case PacketType.Suback:
      view.messageId = packet.packetId;
      view.granted = Array.from(b.subarray(packet.listOffset, packet.listEnd));
      break;
    case PacketType.Subscribe:
    case PacketType.Unsubscribe: {
      view.messageId = packet.packetId;
      const withQos = packet.type === PacketType.Subscribe;
      const subscriptions: { topic: string; qos: number }[] = [];
      const unsubscriptions: string[] = [];
      let p = packet.listOffset;
      while (p < packet.listEnd) {
        const n = (b[p] << 8) | b[p + 1];
        const topic = readUtf8(b, p + 2, n);
        p += 2 + n;
        if (withQos) subscriptions.push({ topic, qos: b[p++] });
        else unsubscriptions.push(topic);
      }
      if (withQos) view.subscriptions = subscriptions;
      else view.unsubscriptions = unsubscriptions;
      break;
    }
    case PacketType.Connect: {
      const c = packet.connect!;
      view.protocolId = "MQTT";
      view.protocolVersion = c.protocolLevel;
      view.clean = c.cleanSession;
      view.keepalive = c.keepAliveSec;
      view.clientId = readUtf8(b, c.clientIdOffset, c.clientIdLength);
      if (c.willFlag) {
        view.will = {
          topic: readUtf8(b, c.willTopicOffset, c.willTopicLength),
          payload: b.slice(c.willPayloadOffset, c.willPayloadOffset + c.willPayloadLength),
          qos: c.willQos,
          retain: c.willRetain,
        };
      }
      if (c.usernameOffset >= 0) view.username = readUtf8(b, c.usernameOffset, c.usernameLength);
      if (c.passwordOffset >= 0) view.password = b.slice(c.passwordOffset, c.passwordOffset + c.passwordLength);
      break;
    }
  }
  return view;
}
