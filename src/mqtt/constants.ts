import { deepFreeze } from "../core/freeze";

/** MQTT 3.1.1 control packet types (the high nibble of the first byte). */
export const PacketType = deepFreeze({
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
} as const);
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export const PACKET_NAMES = deepFreeze([
  "reserved0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
  "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved15",
]);

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3); 6..255 are reserved and refused as a protocol error. */
export const ConnackCode = deepFreeze({
  Accepted: 0,
  BadProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUsernameOrPassword: 4,
  NotAuthorized: 5,
} as const);

export const CONNACK_NAMES = deepFreeze([
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
]);

/** SUBACK return code for a refused filter. */
export const SUBACK_FAILURE = 0x80;

/**
 * Why the decoder (or the session, for packets a client must never receive) refused a stream. After any of these
 * the connection is reset: MQTT has no way to resynchronise a byte stream.
 */
export const MqttError = deepFreeze({
  None: 0,
  /** The remaining length announces a packet bigger than the receive buffer (the configured maximum). */
  PacketTooLarge: 1,
  /** The remaining-length varint has a fifth byte. */
  MalformedLength: 2,
  /** Packet type 0 or 15. */
  ReservedType: 3,
  /** Fixed-header flags other than the ones the type requires (PUBREL/SUBSCRIBE/UNSUBSCRIBE: 0010, others 0000). */
  BadFlags: 4,
  /** Remaining length impossible for the type (PUBACK not 2, PINGRESP not 0, ...). */
  BadLength: 5,
  /** A length-prefixed field runs past the end of the packet. */
  FieldOverrun: 6,
  /** A string is not well-formed UTF-8, or contains U+0000 or a surrogate (§1.5.3). */
  BadUtf8: 7,
  /** An empty topic, a wildcard in a topic name, or a misplaced wildcard in a filter (§4.7). */
  BadTopic: 8,
  /** QoS 3, or DUP set on a QoS 0 PUBLISH, or a requested QoS byte with reserved bits. */
  BadQos: 9,
  /** Packet identifier 0 where one is required (§2.3.1). */
  ZeroPacketId: 10,
  /** CONNECT with a protocol name other than "MQTT" or a level other than 4. */
  BadProtocol: 11,
  /** CONNECT flags: reserved bit, will flags without a will, password without user name (§3.1.2). */
  BadConnectFlags: 12,
  /** CONNACK or SUBACK return code outside the defined set, or session-present set on a refusal. */
  BadReturnCode: 13,
  /** Bytes left inside the packet after the last field. */
  TrailingBytes: 14,
  /** SUBSCRIBE or UNSUBSCRIBE without a single filter, SUBACK without a code. */
  EmptyList: 15,
  /** A well-formed packet that a client never receives (CONNECT, SUBSCRIBE, PINGREQ, ...), or CONNACK twice. */
  UnexpectedPacket: 16,
  /** The stream ended inside a packet. */
  Truncated: 17,
} as const);
export type MqttError = (typeof MqttError)[keyof typeof MqttError];

export const MQTT_ERROR_NAMES = deepFreeze([
  "none",
  "packet too large",
  "malformed remaining length",
  "reserved packet type",
  "bad fixed-header flags",
  "bad remaining length for the packet type",
  "field runs past the end of the packet",
  "malformed UTF-8 string",
  "bad topic",
  "bad QoS",
  "packet identifier 0",
  "bad protocol name or level",
  "bad CONNECT flags",
  "bad return code",
  "trailing bytes in packet",
  "empty list",
  "unexpected packet",
  "stream ended inside a packet",
]);

/** The longest remaining length MQTT can express (4 varint bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;
