/**
 * The OTA section of the board/site configuration. Not yet part of GatewayConfig (the lead adds it as `ota`); until
 * then `resolveOtaConfig` merges overrides onto the defaults with the same rules as the other sections: unknown keys
 * and wrong types are errors naming the key, ranges are checked, and the public key must be a point of P-256.
 */
import { ConfigError } from "../config/config-error";
import { fromHex } from "../crypto/hex";
import { parsePublicKey, type P256PublicKey } from "./p256";
import { deepFreeze } from "../core/freeze";

export interface OtaConfig {
  /**
   * ECDSA P-256 public key that signs firmware images: hex of the uncompressed point 04 || X || Y (130 hex digits).
   * "" disables OTA (every command is refused): an unsigned image is never installed.
   */
  publicKey: string;
  /** Largest image accepted: the size of one OTA slot (1,966,080 B for the two slots of a 4 MB ESP32). */
  maxImageBytes: number;
  /** Bytes asked for per HTTP request (Range window). */
  rangeBytes: number;
  /** Bytes taken from the socket and written to the slot per tick: paces the download so flash erases and
   * hashing stay within the control tick's budget. */
  bytesPerTick: number;
  /** Resume offset persisted every this many bytes written (a multiple of the 4 KiB flash sector). */
  checkpointBytes: number;
  /** Least time between two progress reports. */
  progressIntervalMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Redirects followed per request (0 refuses them). */
  maxRedirects: number;
  /** Failed requests in a row (no byte gained) before the update fails. */
  maxRetries: number;
  /** Delay before the first retry; doubles per failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Signature verification slices per tick (about 770 in all, see p256.ts). */
  verifyUnitsPerTick: number;
  /** Bytes of the slot re-read (to rebuild the hash after a reboot) per tick. */
  rehashBytesPerTick: number;
  /** Time between the image staged and the restart (lets the last progress and the logs go out). */
  rebootDelayMs: number;
  /** A new image must pass its health check within this time after booting, or it is rolled back. */
  healthTimeoutMs: number;
  /** ... and must have been up at least this long (a crash shortly after boot is the common failure). */
  healthMinUptimeMs: number;
  /** Boots a new image gets to pass its health check before it is rolled back. */
  maxBootAttempts: number;
  /** Accept plain http:// URLs (the signature protects the image either way; https also hides it). */
  allowHttp: boolean;
}

/** Erase unit of the OTA slot (ESP32 SPI flash sector): checkpoints are multiples of it. */
export const SLOT_SECTOR_BYTES = 4096;

export const DEFAULT_OTA_CONFIG: OtaConfig = deepFreeze({
  publicKey: "",
  maxImageBytes: 1_966_080,
  rangeBytes: 65_536,
  bytesPerTick: 4_096,
  checkpointBytes: 32_768,
  progressIntervalMs: 5_000,
  connectTimeoutMs: 15_000,
  idleTimeoutMs: 30_000,
  maxRedirects: 3,
  maxRetries: 8,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
  verifyUnitsPerTick: 32,
  rehashBytesPerTick: 16_384,
  rebootDelayMs: 3_000,
  healthTimeoutMs: 300_000,
  healthMinUptimeMs: 60_000,
  maxBootAttempts: 3,
  allowHttp: true,
});

function range(config: OtaConfig, key: keyof OtaConfig, min: number, max: number): void {
  const value = config[key] as number;
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ConfigError(`ota.${key}`, `must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/** The key as a curve point, or null when OTA is disabled. Throws ConfigError naming ota.publicKey. */
export function otaPublicKey(config: OtaConfig): P256PublicKey | null {
  if (config.publicKey === "") return null;
  const bytes = new Uint8Array(65);
  try {
    if (config.publicKey.length !== 130) throw new Error(`must be 130 hex digits (04 || X || Y), got ${config.publicKey.length} characters`);
    fromHex(config.publicKey, bytes, 0);
    return parsePublicKey(bytes);
  } catch (error) {
    throw new ConfigError("ota.publicKey", error instanceof Error ? error.message : String(error));
  }
}

/** Merge `overrides` onto the defaults and check every field; throws ConfigError naming the first bad one. */
export function resolveOtaConfig(overrides: unknown = {}): OtaConfig {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) throw new ConfigError("ota", "must be an object");
  const config: OtaConfig = { ...DEFAULT_OTA_CONFIG };
  const target = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_OTA_CONFIG)) throw new ConfigError(`ota.${key}`, "unknown key");
    const value = (overrides as Record<string, unknown>)[key];
    if (typeof value !== typeof target[key]) throw new ConfigError(`ota.${key}`, `must be a ${typeof target[key]}`);
    target[key] = value;
  }
  otaPublicKey(config);
  range(config, "maxImageBytes", 4096, 16 * 1024 * 1024);
  range(config, "rangeBytes", 1024, 16 * 1024 * 1024);
  range(config, "bytesPerTick", 256, 1024 * 1024);
  range(config, "checkpointBytes", SLOT_SECTOR_BYTES, 16 * 1024 * 1024);
  if (config.checkpointBytes % SLOT_SECTOR_BYTES !== 0) throw new ConfigError("ota.checkpointBytes", `must be a multiple of ${SLOT_SECTOR_BYTES} (the flash sector), got ${config.checkpointBytes}`);
  range(config, "progressIntervalMs", 100, 3_600_000);
  range(config, "connectTimeoutMs", 100, 300_000);
  range(config, "idleTimeoutMs", 100, 300_000);
  range(config, "maxRedirects", 0, 10);
  range(config, "maxRetries", 0, 1000);
  range(config, "retryBaseMs", 10, 3_600_000);
  range(config, "retryMaxMs", config.retryBaseMs, 86_400_000);
  range(config, "verifyUnitsPerTick", 1, 1024);
  range(config, "rehashBytesPerTick", 256, 16 * 1024 * 1024);
  range(config, "rebootDelayMs", 0, 600_000);
  range(config, "healthTimeoutMs", 100, 86_400_000);
  range(config, "healthMinUptimeMs", 0, config.healthTimeoutMs);
  range(config, "maxBootAttempts", 1, 100);
  return config;
}
