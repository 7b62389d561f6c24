import { ConfigError } from "../config/config-error";
import { DEFAULT_MQTT_CONFIG, type MqttConfig } from "./config-defaults";

export { DEFAULT_MQTT_CONFIG, type MqttConfig } from "./config-defaults";

export interface BrokerAddress {
  host: string;
  port: number;
  tls: boolean;
}

/** Parse `mqtt://host[:port]` / `mqtts://host[:port]` (default ports 1883 / 8883). */
export function parseBrokerUrl(url: string, path = "mqtt.broker"): BrokerAddress {
  const match = /^(mqtts?|tcp|ssl|tls):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::(\d+))?\/?$/.exec(url);
  if (!match) throw new ConfigError(path, `"${url}" is not mqtt://host[:port] or mqtts://host[:port]`);
  const tls = match[1] === "mqtts" || match[1] === "ssl" || match[1] === "tls";
  const host = match[2].startsWith("[") ? match[2].slice(1, -1) : match[2];
  const port = match[3] === undefined ? (tls ? 8883 : 1883) : Number(match[3]);
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(path, `port ${match[3]} outside 1..65535`);
  return { host, port, tls };
}

function range(config: MqttConfig, key: keyof MqttConfig, min: number, max: number): void {
  const value = config[key] as number;
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ConfigError(`mqtt.${key}`, `must be an integer between ${min} and ${max}, got ${value}`);
  }
}

function oneOf(config: MqttConfig, key: keyof MqttConfig, allowed: string[]): void {
  if (!allowed.includes(config[key] as string)) throw new ConfigError(`mqtt.${key}`, `must be one of ${allowed.join(", ")}, got "${config[key]}"`);
}

/** Merge `overrides` onto the defaults and check every field; throws ConfigError naming the first bad one. */
export function resolveMqttConfig(overrides: unknown = {}): MqttConfig {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) throw new ConfigError("mqtt", "must be an object");
  const config: MqttConfig = { ...DEFAULT_MQTT_CONFIG };
  const target = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_MQTT_CONFIG)) throw new ConfigError(`mqtt.${key}`, "unknown key");
    const value = (overrides as Record<string, unknown>)[key];
    if (typeof value !== typeof target[key]) throw new ConfigError(`mqtt.${key}`, `must be a ${typeof target[key]}`);
    target[key] = value;
  }
  parseBrokerUrl(config.broker);
  oneOf(config, "auth", ["none", "password", "alibaba"]);
  oneOf(config, "signMethod", ["hmacsha256", "hmacsha1"]);
  if (config.auth === "alibaba") {
    if (config.deviceSecret.length === 0) throw new ConfigError("mqtt.deviceSecret", 'must be set when auth is "alibaba"');
    range(config, "keepAliveSec", 30, 1200);
  }
  if (config.auth === "password" && config.username.length === 0) throw new ConfigError("mqtt.username", 'must be set when auth is "password"');
  range(config, "keepAliveSec", 0, 65535);
  range(config, "connectTimeoutMs", 1000, 300_000);
  range(config, "reconnectMinMs", 100, 600_000);
  range(config, "reconnectMaxMs", config.reconnectMinMs, 3_600_000);
  // Below reconnectMaxMs it has no effect: refused credentials never retry faster than a lost link (Backoff).
  range(config, "reconnectRefusedMaxMs", 100, 3_600_000);
  range(config, "stableAfterMs", 0, 3_600_000);
  range(config, "maxPacketBytes", 256, 262_144);
  range(config, "sendBufferBytes", 256, 262_144);
  range(config, "outboxBytes", 256, 4_194_304);
  range(config, "outboxEntries", 1, 4096);
  range(config, "inflightWindow", 1, Math.min(config.outboxEntries, 1024));
  range(config, "inboundSlots", 1, 1024);
  range(config, "ackQueue", 1, 1024);
  range(config, "subscribeQos", 0, 2);
  return config;
}
