/**
 * One decoded packet: a reusable record of numbers whose offsets point into the decoder's receive buffer. The
 * decoder overwrites it for every packet, so reading a packet allocates nothing; a field that must outlive the
 * next `next()` call has to be copied by whoever needs it.
 */
export class MqttPacket {
  /** The receive buffer every offset below refers to. */
  buffer: Uint8Array;
  type = 0;
  /** Low nibble of the first byte. */
  flags = 0;
  /** Where the whole packet (fixed header included) starts, and its total length. */
  offset = 0;
  length = 0;
  /** Fixed header length (1 + remaining-length bytes). */
  headerLength = 0;

  /** PUBLISH, and the packet identifier of every packet that has one (0 otherwise). */
  packetId = 0;
  qos = 0;
  dup = false;
  retain = false;
  topicOffset = 0;
  topicLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  /**
   * PUBLISH larger than the receive buffer: the size it announced (fixed header included), else 0. The payload
   * fields then hold only the prefix that fit; the decoder skips the rest as it arrives.
   */
  oversizeBytes = 0;

  /** CONNACK. */
  sessionPresent = false;
  returnCode = 0;

  /**
   * SUBSCRIBE and UNSUBSCRIBE: the filters list ([2-byte length, filter bytes, (SUBSCRIBE) QoS byte] repeated);
   * SUBACK: the return codes, one byte each. Already validated; walk it with the helpers in `inspect.ts`.
   */
  listOffset = 0;
  listEnd = 0;
  listCount = 0;

  /**
   * CONNECT (decoded for completeness and for test brokers; a client never receives one): made at the first CONNECT
   * decoded and reused, so a client's packet record carries none of its fields (the device's heaps are fixed).
   */
  connect: MqttConnectInfo | null = null;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }

  clear(): void {
    this.packetId = 0;
    this.qos = 0;
    this.dup = false;
    this.retain = false;
    this.topicOffset = 0;
    this.topicLength = 0;
    this.payloadOffset = 0;
    this.payloadLength = 0;
    this.oversizeBytes = 0;
    this.sessionPresent = false;
    this.returnCode = 0;
    this.listOffset = 0;
    this.listEnd = 0;
    this.listCount = 0;
  }
}

/** The fields of a decoded CONNECT (offsets into the receive buffer); valid while the packet's type is CONNECT. */
export class MqttConnectInfo {
  protocolLevel = 0;
  cleanSession = false;
  keepAliveSec = 0;
  clientIdOffset = 0;
  clientIdLength = 0;
  willFlag = false;
  willQos = 0;
  willRetain = false;
  willTopicOffset = 0;
  willTopicLength = 0;
  willPayloadOffset = 0;
  willPayloadLength = 0;
  /** -1 when absent. */
  usernameOffset = -1;
  usernameLength = 0;
  passwordOffset = -1;
  passwordLength = 0;

  clear(): void {
    this.protocolLevel = 0;
    this.cleanSession = false;
    this.keepAliveSec = 0;
    this.clientIdOffset = 0;
    this.clientIdLength = 0;
    this.willFlag = false;
    this.willQos = 0;
    this.willRetain = false;
    this.willTopicOffset = 0;
    this.willTopicLength = 0;
    this.willPayloadOffset = 0;
    this.willPayloadLength = 0;
    this.usernameOffset = -1;
    this.usernameLength = 0;
    this.passwordOffset = -1;
    this.passwordLength = 0;
  }
}
