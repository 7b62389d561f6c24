import { resolveMqttConfig } from "../mqtt/config";
import { DEFAULT_MQTT_CONFIG, type MqttConfig } from "../mqtt/config-defaults";
import { DEFAULT_OTA_CONFIG, resolveOtaConfig, type OtaConfig } from "../ota/config";
import { ConfigError } from "./config-error";
import { checkPointsConfig, type PointsConfig } from "./point-devices";
import { deepFreeze } from "../core/freeze";

export { ConfigError } from "./config-error";

/**
 * The gateway's static configuration: device identity, board resources and capacities. On the device it comes
 * from the manifest's `config` (read through `mc/config`), on the host from `boards/host/config.json` merged with
 * `--config FILE`. Values that the platform may change at run time live in the store (settings, issue 8), not here.
 */
export interface GatewayConfig {
  board: string;
  device: {
    /** `device_uid` of spec 000 messages. */
    uid: string;
    /** `${PRODUCT_KEY}` of the `v1/wudun/...` scheme. */
    productKey: string;
    /** `${DEVICE}` segment of the topic schemes. */
    deviceName: string;
    /** `${TENANT}` of the `v1/user/...` scheme. */
    tenant: string;
    /** Which spec-000 topic scheme the platform uses. */
    topicScheme: "wudun" | "user";
    firmwareVersion: string;
  };
  control: {
    /** Control loop period. */
    periodMs: number;
    /** CPU budget of one tick; a tick that takes longer, or starts a whole period late, counts as an overrun. */
    tickBudgetMs: number;
    /** Hardware watchdog timeout; fed by every tick. */
    watchdogMs: number;
  };
  store: {
    /** Flash partition name holding the record store. */
    partition: string;
  };
  rs485: {
    port: string | number;
    baud: number;
  };
  site: {
    latitude: number;
    longitude: number;
    /** POSIX TZ string, e.g. "CST-8" (China has no DST). */
    timezone: string;
  };
  limits: {
    maxStrategies: number;
    maxTasks: number;
    /**
     * Meters (control groups) and devices under control at once. Strategies beyond them are stored and reported but
     * not controlled (the status report's problems say which). The device board lowers them to what its XS heap
     * carries with a command in flight (docs/boards.md, memory).
     */
    maxMeters: number;
    maxDevices: number;
    /**
     * The largest reply or report the gateway builds as one message (bytes, at most the MQTT packet and outbox size):
     * a spec 000 list or a spec 003 READ_ALL beyond it goes out in parts. Each is built as text first, so it is what
     * a reply costs the heap (three copies in flight while it is written).
     */
    replyPartBytes: number;
  };
  /** The platform link (broker URL, auth, keepalive, buffer sizes): see src/mqtt/config-defaults.ts. */
  mqtt: MqttConfig;
  /** Firmware updates: the image signing key, size limits, health check (src/ota/config.ts, docs/ota.md). */
  ota: OtaConfig;
  /** The devices spec 003 actions and triggers address, and how often trigger values are read (docs/points.md). */
  points: PointsConfig;
}

export const DEFAULT_CONFIG: GatewayConfig = deepFreeze({
  board: "host",
  device: {
    uid: "GW-0001",
    productKey: "pk-demo",
    deviceName: "GW-0001",
    tenant: "tenant-demo",
    topicScheme: "wudun",
    firmwareVersion: "0.1.0",
  },
  control: { periodMs: 250, tickBudgetMs: 20, watchdogMs: 5000 },
  store: { partition: "store" },
  rs485: { port: 1, baud: 9600 },
  site: { latitude: 31.23, longitude: 121.47, timezone: "CST-8" },
  limits: { maxStrategies: 64, maxTasks: 256, maxMeters: 4, maxDevices: 32, replyPartBytes: 65536 },
  mqtt: { ...DEFAULT_MQTT_CONFIG },
  ota: { ...DEFAULT_OTA_CONFIG },
  points: { devices: [], pollMs: 1000, staleMs: 5000, busWaitMs: 5000 },
});


type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merge `overrides` onto `base` section by section, checking that every overriding value has the type of the
 * default it replaces. Unknown keys are refused, so a typo in a config file is an error, not a silent default.
 */
function mergeChecked(base: Plain, overrides: Plain, path: string): Plain {
  const out: Plain = { ...base };
  for (const key of Object.keys(overrides)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in base)) throw new ConfigError(where, "unknown key");
    const baseValue = base[key];
    const value = overrides[key];
    if (isPlain(baseValue)) {
      if (!isPlain(value)) throw new ConfigError(where, "must be an object");
      out[key] = mergeChecked(baseValue, value, where);
    } else if (where === "rs485.port") {
      if (typeof value !== "string" && typeof value !== "number") throw new ConfigError(where, "must be a string or number");
      out[key] = value;
    } else {
      if (typeof value !== typeof baseValue) throw new ConfigError(where, `must be a ${typeof baseValue}`);
      out[key] = value;
    }
  }
  return out;
}

function requireRange(value: number, path: string, min: number, max: number): void {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new ConfigError(path, `must be between ${min} and ${max}, got ${value}`);
  }
}

/** Build a checked configuration from layers of overrides (board config, then a site file, ...). */
export function resolveConfig(...layers: unknown[]): GatewayConfig {
  let merged: Plain = DEFAULT_CONFIG as unknown as Plain;
  for (const layer of layers) {
    if (layer === undefined || layer === null) continue;
    if (!isPlain(layer)) throw new ConfigError("(root)", "must be an object");
    merged = mergeChecked(merged, layer, "");
  }
  const config = merged as unknown as GatewayConfig;
  requireRange(config.control.periodMs, "control.periodMs", 10, 60_000);
  requireRange(config.control.tickBudgetMs, "control.tickBudgetMs", 1, config.control.periodMs);
  requireRange(config.control.watchdogMs, "control.watchdogMs", config.control.periodMs * 2, 600_000);
  requireRange(config.rs485.baud, "rs485.baud", 1200, 921_600);
  requireRange(config.site.latitude, "site.latitude", -90, 90);
  requireRange(config.site.longitude, "site.longitude", -180, 180);
  requireRange(config.limits.maxStrategies, "limits.maxStrategies", 1, 1024);
  requireRange(config.limits.maxTasks, "limits.maxTasks", 1, 4096);
  requireRange(config.limits.maxMeters, "limits.maxMeters", 1, 16);
  requireRange(config.limits.maxDevices, "limits.maxDevices", 1, 128);
  requireRange(config.limits.replyPartBytes, "limits.replyPartBytes", 2048, 1 << 20);
  resolveMqttConfig(config.mqtt);
  resolveOtaConfig(config.ota);
  checkPointsConfig(config.points, config.rs485.port);
  if (config.device.topicScheme !== "wudun" && config.device.topicScheme !== "user") {
    throw new ConfigError("device.topicScheme", `must be "wudun" or "user", got "${config.device.topicScheme}"`);
  }
  if (config.device.uid.length === 0) throw new ConfigError("device.uid", "must not be empty");
  return config;
}
