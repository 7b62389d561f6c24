/**
 * What users of the OTA manager see (src/ota/manager.ts re-exports it): result codes, the messages it publishes,
 * how a command was taken, the uplink, HAL and options it is built with, and its phases.
 */
import { type Clock, type Log, type OtaSlotWriter, type RandomSource, type TcpConnector } from "../../hal/types";
import type { Counters } from "../core/counters";
import type { StreamingHash } from "../crypto/hash";
import { type UpgradeRequest } from "./command";
import { type OtaConfig } from "./config";
import type {  OtaStatePort } from "./state-port";
import { deepFreeze } from "../core/freeze";

/** Another update is under way. */
export const CODE_BUSY = 409;
/** The update failed or was rolled back. */
export const CODE_FAILED = 500;

/** Which OTA topic a message goes to (the wiring maps them to the router's routes). */
export const OtaMessage = deepFreeze({ Result: 0, Progress: 1, Version: 2 } as const);
export type OtaMessage = (typeof OtaMessage)[keyof typeof OtaMessage];

/** What handleCommand tells the MQTT layer; the same values as the session's MessageResult. */
export const OtaDisposition = deepFreeze({ Accepted: 0, Rejected: 1, Pending: 2 } as const);
export type OtaDisposition = (typeof OtaDisposition)[keyof typeof OtaDisposition];

export interface OtaUplink {
  /** Queue `payload` (JSON text) for the topic of `message`. False when it cannot be queued (the manager retries results). */
  publish(message: OtaMessage, payload: string): boolean;
  /** Acknowledge a command for which handleCommand returned Pending (its token). */
  acknowledge(token: number): void;
}

export interface OtaHal {
  clock: Clock;
  random: RandomSource;
  log: Log;
  tcp: TcpConnector;
  ota: OtaSlotWriter;
  system: { restart(reason: string): void };
}

export interface OtaManagerOptions {
  hal: OtaHal;
  config: OtaConfig;
  /** config.device.uid */
  deviceUid: string;
  /** The version of the running image (config.device.firmwareVersion, built into the image). */
  runningVersion: string;
  store: OtaStatePort;
  uplink: OtaUplink;
  counters: Counters;
  /**
   * Makes the SHA-256 of the image as it streams in, once per download; default the pure-TS Sha256. A native
   * digest is much cheaper on XS. A factory rather than an instance so that no hash state is held between updates.
   */
  hash?: () => StreamingHash;
}

export const Phase = deepFreeze({ Idle: 0, CheckingSignature: 1, Downloading: 2, Staged: 3, Trial: 4, RollingBack: 5, Report: 6 } as const);
export type Phase = (typeof Phase)[keyof typeof Phase];
export const OTA_PHASE_NAMES = deepFreeze(["idle", "checking_signature", "downloading", "staged", "health_check", "rolling_back", "reporting"]);

export interface HeldCommand {
  mid: string;
  traceId: string | null;
  request: UpgradeRequest;
  token: number;
}
