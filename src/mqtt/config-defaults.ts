/**
 * The MQTT link's static configuration and its defaults, in a module that imports only core/freeze so the gateway
 * config can embed `DEFAULT_MQTT_CONFIG` without an import cycle. Checks live in `config.ts` (`resolveMqttConfig`).
 * Until GatewayConfig has an `mqtt` section, `resolveMqttConfig` merges overrides onto these defaults with the same
 * rules as the gateway config: unknown keys and wrong types are errors naming the key, ranges are checked.
 */
import { deepFreeze } from "../core/freeze";

export interface MqttConfig {
  /** `mqtt://host:port` or `mqtts://host:port` (TLS through the HAL socket); IPv6 hosts in brackets. */
  broker: string;
  /** TLS server name (SNI and certificate check) when it differs from the host; "" = the host. */
  serverName: string;
  /** MQTT client id; "" = the device uid. With `auth: "alibaba"` it is the id inside the signed client id. */
  clientId: string;
  /** "none", "password" (username/password below) or "alibaba" (signed credentials from deviceSecret). */
  auth: string;
  username: string;
  password: string;
  /** Secret for the Alibaba-style HMAC password. */
  deviceSecret: string;
  /** "hmacsha256" or "hmacsha1". */
  signMethod: string;
  /** Keepalive in seconds (0 disables pings and the dead-link check; Alibaba requires 30..1200). */
  keepAliveSec: number;
  /** false keeps the broker-side session (subscriptions, queued QoS 1 downlinks) across reconnects. */
  cleanSession: boolean;
  /** TCP connect (+ TLS) + CONNACK must complete within this. */
  connectTimeoutMs: number;
  /** Reconnect delays after a lost link or refused TCP connect: full jitter in [min, min(max, min x 2^n)]. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** After the broker refused our credentials (CONNACK 4/5): uniform in [this / 2, this] until accepted. */
  reconnectRefusedMaxMs: number;
  /** A connection that stays up this long resets the reconnect backoff. */
  stableAfterMs: number;
  /** Largest packet received (the receive buffer) and sent. */
  maxPacketBytes: number;
  /** Send buffer for control packets and QoS 0 publishes. */
  sendBufferBytes: number;
  /** Byte pool holding QoS 1 uplinks until PUBACK (in flight and offline queue together). */
  outboxBytes: number;
  /** Most QoS 1 uplinks held at once. */
  outboxEntries: number;
  /** Most QoS 1 uplinks sent and not yet acknowledged. */
  inflightWindow: number;
  /** Downlinks remembered for duplicate detection and pending acknowledgements. */
  inboundSlots: number;
  /** Acknowledgements waiting to be sent in order (a pending one holds back the ones after it). */
  ackQueue: number;
  /** QoS requested for the command topics. */
  subscribeQos: number;
  /** Publish a retained online/offline status (the offline one as the will). */
  statusTopic: boolean;
}

export const DEFAULT_MQTT_CONFIG: MqttConfig = deepFreeze({
  broker: "mqtt://127.0.0.1:1883",
  serverName: "",
  clientId: "",
  auth: "none",
  username: "",
  password: "",
  deviceSecret: "",
  signMethod: "hmacsha256",
  keepAliveSec: 60,
  cleanSession: false,
  connectTimeoutMs: 15_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 12_000,
  reconnectRefusedMaxMs: 300_000,
  stableAfterMs: 60_000,
  maxPacketBytes: 8_192,
  sendBufferBytes: 4_096,
  outboxBytes: 16_384,
  outboxEntries: 64,
  inflightWindow: 8,
  inboundSlots: 32,
  ackQueue: 16,
  subscribeQos: 1,
  statusTopic: true,
});

