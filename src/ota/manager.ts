/**
 * The OTA state machine (docs/ota.md). Sans-I/O: commands come in through `handleCommand`, the MQTT link state
 * through `connected`/`disconnected`, health inputs through `noteStoreLoaded`/`noteControlTick`, time through `tick`;
 * messages go out through the OtaUplink, bytes through the HAL (TCP, OTA slot), the record through the store port.
 *
 *   idle -> checking signature (command held, not yet acknowledged) -> downloading (checkpoint every N KiB)
 *        -> verifying (size, SHA-256 against the signed digest) -> staged (boot slot switched) -> restart
 *        -> health check (pending verify: store loaded, MQTT connected, a control tick, minimum uptime, within the
 *           timeout) -> valid -> outcome reported
 *   failures: bad signature (400, nothing touched); hash mismatch, download failure (slot cancelled, 500 reported);
 *   never healthy, N boots without passing -> rollback, outcome reported by the previous image after its restart.
 *
 * Every step that must survive a reboot is written to the store before it takes effect, and the command is
 * acknowledged (its MQTT PUBACK, its 200 result) only after its record is saved.
 *
 * Memory: an idle gateway carries only the manager itself (a few hundred bytes). What only an update uses is
 * made when it is needed and dropped when its step ends, since the device's XS heaps are fixed and an update is
 * rare: the P-256 verifier while a signature is checked, the download machinery (HTTP client and parser buffers,
 * the downloader, the SHA-256 state) while an image is downloaded (docs/ota.md, Memory).
 */
import { LogLevel, type Clock, type Log, type OtaSlotWriter, type RandomSource, type TcpConnector } from "../../hal/types";
import type { TickService } from "../app/service";
import { ConfigError } from "../config/gateway-config";
import type { Counters } from "../core/counters";
import type { StreamingHash } from "../crypto/hash";
import { toHex } from "../crypto/hex";
import { HttpClient } from "../http/client";
import { CODE_BAD_REQUEST, CODE_OK, EnvelopeWriter, parseCommand } from "../protocol/envelope";
import { parseUpgrade, PROGRESS_TYPE, UPGRADE_TYPE, VERSION_TYPE, type UpgradeRequest } from "./command";
import { otaPublicKey, SLOT_SECTOR_BYTES, type OtaConfig } from "./config";
import { DownloadState, ImageDownloader, type DownloadStats } from "./downloader";
import { EcdsaP256Verifier, type P256PublicKey } from "./p256";
import type { OtaOutcome, OtaRecord, OtaStatePort } from "./state-port";
import { compareVersions, isVersion } from "./version";
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

const Phase = deepFreeze({ Idle: 0, CheckingSignature: 1, Downloading: 2, Staged: 3, Trial: 4, RollingBack: 5, Report: 6 } as const);
type Phase = (typeof Phase)[keyof typeof Phase];
export const OTA_PHASE_NAMES = deepFreeze(["idle", "checking_signature", "downloading", "staged", "health_check", "rolling_back", "reporting"]);

interface HeldCommand {
  mid: string;
  traceId: string | null;
  request: UpgradeRequest;
  token: number;
}

export class OtaManager implements TickService {
  readonly name = "ota";
  private readonly hal: OtaHal;
  private readonly config: OtaConfig;
  private readonly store: OtaStatePort;
  private readonly uplink: OtaUplink;
  private readonly counters: Counters;
  private readonly runningVersion: string;
  /** ota.publicKey is set (checked at construction; the key itself is parsed again for each verification). */
  private readonly enabled: boolean;
  private readonly writer: EnvelopeWriter;
  private readonly createHash: (() => StreamingHash) | undefined;
  /** Only while a signature is checked (CheckingSignature). */
  private verifier: EcdsaP256Verifier | null = null;
  /** Only while an image is downloaded (Downloading): the HTTP client, its buffers and the hash live in it. */
  private work: ImageDownloader | null = null;
  /** The figures of the current or last download (a small object, kept for the status and tests). */
  private lastDownloadStats: DownloadStats | null = null;
  private phase: Phase = Phase.Idle;
  private record: OtaRecord | null = null;
  private held: HeldCommand | null = null;
  private readonly bootMs: number;
  private nowMs: number;
  // Health inputs.
  private trial = false;
  private storeLoaded = false;
  private controlTicked = false;
  private online = false;
  // Pacing.
  private lastProgressMs = -Infinity;
  private lastProgressBytes = -1;
  private restartAtMs = 0;
  private restartRequested = false;
  private reportRetryAtMs = 0;
  private readonly c: {
    commands: number;
    rejected: number;
    failures: number;
    rollbacks: number;
    successes: number;
    progressDropped: number;
    resultRetries: number;
    checkpoints: number;
  };

  constructor(options: OtaManagerOptions) {
    this.hal = options.hal;
    this.config = options.config;
    this.store = options.store;
    this.uplink = options.uplink;
    this.runningVersion = options.runningVersion;
    if (!isVersion(this.runningVersion)) {
      throw new ConfigError("device.firmwareVersion", `"${this.runningVersion}" is not 1 to 4 numbers separated by dots: OTA could not order versions`);
    }
    // Parsed here only to refuse a bad key at boot (ConfigError); not kept, so idle costs nothing.
    this.enabled = otaPublicKey(options.config) !== null;
    this.writer = new EnvelopeWriter(options.deviceUid, options.hal.clock, options.hal.random);
    this.createHash = options.hash;
    const counters = options.counters;
    this.counters = counters;
    this.c = {
      commands: counters.register("ota_commands"),
      rejected: counters.register("ota_rejected"),
      failures: counters.register("ota_failures"),
      rollbacks: counters.register("ota_rollbacks"),
      successes: counters.register("ota_successes"),
      progressDropped: counters.register("ota_progress_dropped"),
      resultRetries: counters.register("ota_result_retries"),
      checkpoints: counters.register("ota_checkpoints"),
    };
    this.bootMs = options.hal.clock.monotonicMs();
    this.nowMs = this.bootMs;
    this.boot();
  }

  // --- inputs ---

  /**
   * An upgrade command's payload (UTF-8 JSON text). Returns Pending while the signature is checked: the command is
   * acknowledged (uplink.acknowledge(token)) once it is refused or its record is saved.
   */
  handleCommand(payload: string, token: number): OtaDisposition {
    this.counters.add(this.c.commands);
    const parsed = parseCommand(payload, UPGRADE_TYPE, this.writer.deviceUid);
    if (!parsed.ok) return this.refuse(parsed.mid, parsed.traceId, CODE_BAD_REQUEST, parsed.msg);
    const { mid, traceId } = parsed.command;
    if (!this.enabled) return this.refuse(mid, traceId, CODE_BAD_REQUEST, "ota: updates are disabled on this gateway (no ota.publicKey in its configuration)");
    const upgrade = parseUpgrade(parsed.command.data, this.config.maxImageBytes, this.config.allowHttp);
    if (!upgrade.ok) return this.refuse(mid, traceId, CODE_BAD_REQUEST, upgrade.msg);
    const request = upgrade.request;
    if (this.phase !== Phase.Idle) {
      const target = this.record ?? this.held?.request ?? null;
      if (target !== null && target.version === request.version && target.sha256 === request.sha256) {
        // A repeat of the command being served: where it is, nothing restarted.
        this.publishResult(mid, traceId, CODE_OK, "", this.inProgressData());
        return OtaDisposition.Accepted;
      }
      const busyWith = target === null ? "the running image's health check" : `version ${target.version}`;
      return this.refuse(mid, traceId, CODE_BUSY, `ota: busy with ${busyWith} (${OTA_PHASE_NAMES[this.phase]})`);
    }
    const order = compareVersions(request.version, this.runningVersion);
    if (order === 0) {
      this.publishResult(mid, traceId, CODE_OK, "", { status: "up_to_date", version: this.runningVersion });
      return OtaDisposition.Accepted;
    }
    if (order < 0 && !request.allowDowngrade) {
      return this.refuse(mid, traceId, CODE_BAD_REQUEST, `data.version: ${request.version} is older than the running ${this.runningVersion} (set allow_downgrade to install it)`);
    }
    const verifier = new EcdsaP256Verifier();
    verifier.start(otaPublicKey(this.config) as P256PublicKey, request.digest, request.signature);
    this.verifier = verifier;
    this.held = { mid, traceId, request, token };
    this.phase = Phase.CheckingSignature;
    this.log(LogLevel.Info, `command ${mid}: ${this.runningVersion} -> ${request.version}, checking the signature`);
    return OtaDisposition.Pending;
  }

  /** The MQTT session is online (after every connect): report the running version, flush a pending outcome. */
  connected(): void {
    this.online = true;
    this.uplink.publish(
      OtaMessage.Version,
      this.writer.report(VERSION_TYPE, { version: this.runningVersion, pending_verify: this.trial, state: OTA_PHASE_NAMES[this.phase] }, null),
    );
    if (this.phase === Phase.Report) this.publishOutcome();
  }

  disconnected(): void {
    this.online = false;
  }

  /** The flash store mounted and every handler loaded its state from it (health input). */
  noteStoreLoaded(): void {
    this.storeLoaded = true;
  }

  /** A control tick ran to its end (health input). Cheap: call it every tick. */
  noteControlTick(): void {
    this.controlTicked = true;
  }

  tick(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.trial) this.checkHealth(nowMs);
    switch (this.phase) {
      case Phase.CheckingSignature:
        if ((this.verifier as EcdsaP256Verifier).step(this.config.verifyUnitsPerTick)) this.signatureChecked();
        return;
      case Phase.Downloading:
        this.download(nowMs);
        return;
      case Phase.Staged:
        if (!this.restartRequested && nowMs >= this.restartAtMs) {
          this.restartRequested = true;
          this.log(LogLevel.Warn, `restarting into ${this.record?.version}`);
          this.hal.system.restart(`ota: install ${this.record?.version}`);
        }
        return;
      case Phase.Report:
        if (this.online && nowMs >= this.reportRetryAtMs) this.publishOutcome();
        return;
      default:
        return;
    }
  }

  status(): { phase: string; runningVersion: string; targetVersion: string | null; bytes: number; size: number; bootAttempts: number; pendingVerify: boolean } {
    return {
      phase: OTA_PHASE_NAMES[this.phase],
      runningVersion: this.runningVersion,
      targetVersion: this.record?.version ?? this.held?.request.version ?? null,
      bytes: this.downloadedBytes(),
      size: this.record?.size ?? 0,
      bootAttempts: this.record?.bootAttempts ?? 0,
      pendingVerify: this.trial,
    };
  }

  /** The download under way (null when none: the machinery exists only during one). */
  get downloader(): ImageDownloader | null {
    return this.work;
  }

  /** The HTTP client of the download under way, or null. */
  get http(): HttpClient | null {
    return this.work === null ? null : this.work.http;
  }

  /** Figures of the download under way or of the last one of this boot (null before any). */
  get downloadStats(): DownloadStats | null {
    return this.lastDownloadStats;
  }

  // --- boot: pick up where the last run stopped ---

  private boot(): void {
    this.trial = this.hal.ota.runningImagePendingVerify();
    const record = this.store.load();
    this.record = record;
    if (record === null) {
      if (this.trial) {
        this.log(LogLevel.Warn, "running an unconfirmed image without an OTA record: health check only");
        this.phase = Phase.Trial;
      }
      return;
    }
    const running = this.runningVersion;
    switch (record.phase) {
      case "downloading":
        if (running !== record.fromVersion) {
          this.finish({ status: "failed", code: CODE_FAILED, msg: `download interrupted: the running version changed from ${record.fromVersion} to ${running}` });
          return;
        }
        this.phase = Phase.Downloading;
        this.startDownload(record.offset);
        return;
      case "staged":
      case "trial":
        if (running === record.version) {
          if (!this.trial) {
            // Confirmed already (valid before a reset) or a bootloader without rollback: it runs, so it is the outcome.
            this.succeed();
            return;
          }
          const attempts = record.bootAttempts + 1;
          if (attempts > this.config.maxBootAttempts) {
            this.rollBack(`the new image did not pass its health check in ${record.bootAttempts} boots`);
            return;
          }
          record.phase = "trial";
          record.bootAttempts = attempts;
          try {
            this.store.save(record);
          } catch (error) {
            // Not fatal: this boot is not counted, the bootloader's own rule still bounds the trial.
            this.log(LogLevel.Error, `could not count boot ${attempts} of ${record.version}: ${String(error)}`);
          }
          // Without this the bootloader rolls back at the next reset; with it the image gets maxBootAttempts boots.
          if (attempts < this.config.maxBootAttempts) this.hal.ota.retryPendingImage();
          this.phase = Phase.Trial;
          this.log(LogLevel.Info, `running ${running} pending verification, boot ${attempts} of ${this.config.maxBootAttempts}`);
          return;
        }
        if (running === record.fromVersion) {
          const msg =
            record.phase === "staged"
              ? `the new image ${record.version} did not start: the bootloader kept ${running}`
              : `the new image ${record.version} reset before passing its health check (${record.bootAttempts} boot${record.bootAttempts === 1 ? "" : "s"}); the bootloader went back to ${running}`;
          this.counters.add(this.c.rollbacks);
          this.finish({ status: "rolled_back", code: CODE_FAILED, msg });
          return;
        }
        this.finish({ status: "failed", code: CODE_FAILED, msg: `expected ${record.version} or ${record.fromVersion} after the restart, running ${running}` });
        return;
      case "rolling_back":
        if (running === record.version && this.trial) {
          // The rollback was decided but the restart did not happen: do it now.
          this.phase = Phase.RollingBack;
          this.hal.ota.rollback();
          return;
        }
        this.phase = Phase.Report;
        this.persist("report");
        return;
      case "report":
        this.phase = Phase.Report;
        return;
    }
  }

  // --- the steps ---

  private signatureChecked(): void {
    const held = this.held as HeldCommand;
    this.held = null;
    const valid = (this.verifier as EcdsaP256Verifier).valid;
    this.verifier = null;
    if (!valid) {
      this.phase = Phase.Idle;
      this.refuse(held.mid, held.traceId, CODE_BAD_REQUEST, "data.signature: does not verify against the gateway's OTA public key");
      this.uplink.acknowledge(held.token);
      return;
    }
    const request = held.request;
    const record: OtaRecord = {
      phase: "downloading",
      mid: held.mid,
      traceId: held.traceId,
      version: request.version,
      url: request.url,
      size: request.size,
      sha256: request.sha256,
      fromVersion: this.runningVersion,
      offset: 0,
      bootAttempts: 0,
      outcome: null,
    };
    try {
      this.store.save(record);
    } catch (error) {
      this.phase = Phase.Idle;
      this.refuse(held.mid, held.traceId, CODE_FAILED, `store: the update could not be saved (${String(error)})`);
      this.uplink.acknowledge(held.token);
      return;
    }
    this.record = record;
    this.phase = Phase.Downloading;
    this.publishResult(held.mid, held.traceId, CODE_OK, "", { status: "accepted", version: request.version, size: request.size });
    this.uplink.acknowledge(held.token);
    this.log(LogLevel.Info, `downloading ${request.version} (${request.size} bytes)`);
    this.startDownload(0);
  }

  private startDownload(offset: number): void {
    const record = this.record as OtaRecord;
    const config = this.config;
    const http = new HttpClient(this.hal.tcp, {
      connectTimeoutMs: config.connectTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      maxRedirects: config.maxRedirects,
      userAgent: `ess-gateway/${this.runningVersion}`,
    });
    const work = new ImageDownloader(http, this.hal.ota, config, this.hal.log, this.createHash?.());
    this.work = work;
    this.lastDownloadStats = work.stats;
    try {
      work.start(record.url, record.size, offset);
    } catch (error) {
      this.fail(`slot: ${String(error)}`);
      return;
    }
    this.lastProgressMs = -Infinity;
    this.progress("downloading", true);
  }

  private download(nowMs: number): void {
    const downloader = this.work as ImageDownloader;
    const record = this.record as OtaRecord;
    downloader.tick(nowMs);
    if (downloader.state === DownloadState.Failed) {
      this.hal.ota.cancel();
      this.fail(downloader.failure);
      return;
    }
    if (downloader.state === DownloadState.Complete) {
      const computed = toHex(downloader.digest, 0, 32);
      this.releaseDownload();
      this.verifyImage(record, computed);
      return;
    }
    // Checkpoints sit on flash-sector boundaries: a resume erases the sector at the checkpoint again, so bytes
    // written after it (possibly torn by the reset) are never trusted. Everything below it is in the slot.
    const aligned = downloader.offset - (downloader.offset % SLOT_SECTOR_BYTES);
    if (downloader.state !== DownloadState.Rehashing && aligned - record.offset >= this.config.checkpointBytes) {
      record.offset = aligned;
      this.store.save(record);
      this.counters.add(this.c.checkpoints);
    }
    this.progress(downloader.state === DownloadState.Rehashing ? "resuming" : "downloading", false);
  }

  /** `computed`: the downloaded image's SHA-256 in hex. */
  private verifyImage(record: OtaRecord, computed: string): void {
    if (computed !== record.sha256) {
      this.hal.ota.cancel();
      this.fail(`sha256: the downloaded image hashes to ${computed}, the command said ${record.sha256}`);
      return;
    }
    try {
      this.hal.ota.complete();
    } catch (error) {
      this.hal.ota.cancel();
      this.fail(`slot: the image was refused when made bootable (${String(error)})`);
      return;
    }
    record.phase = "staged";
    record.offset = record.size;
    this.store.save(record);
    this.phase = Phase.Staged;
    this.restartAtMs = this.nowMs + this.config.rebootDelayMs;
    this.log(LogLevel.Info, `${record.version} verified and staged`);
    this.progress("staged", true);
  }

  private checkHealth(nowMs: number): void {
    const uptime = nowMs - this.bootMs;
    if (this.storeLoaded && this.online && this.controlTicked && uptime >= this.config.healthMinUptimeMs) {
      this.trial = false;
      this.hal.ota.markRunningValid();
      this.log(LogLevel.Info, `${this.runningVersion} passed its health check after ${Math.round(uptime)} ms: marked valid`);
      if (this.record !== null && (this.record.phase === "trial" || this.record.phase === "staged")) this.succeed();
      else if (this.phase === Phase.Trial) this.phase = Phase.Idle;
      return;
    }
    if (uptime > this.config.healthTimeoutMs) {
      const missing: string[] = [];
      if (!this.storeLoaded) missing.push("store not loaded");
      if (!this.online) missing.push("MQTT not connected");
      if (!this.controlTicked) missing.push("no control tick");
      this.trial = false;
      this.rollBack(`health check not passed within ${this.config.healthTimeoutMs} ms (${missing.join(", ")})`);
    }
  }

  private succeed(): void {
    this.counters.add(this.c.successes);
    const record = this.record as OtaRecord;
    this.finish({ status: "success", code: CODE_OK, msg: "" });
    this.log(LogLevel.Info, `update ${record.fromVersion} -> ${record.version} succeeded`);
  }

  private rollBack(reason: string): void {
    this.counters.add(this.c.rollbacks);
    this.log(LogLevel.Error, `rolling back: ${reason}`);
    if (this.record !== null) {
      this.record.outcome = { status: "rolled_back", code: CODE_FAILED, msg: reason };
      this.persist("rolling_back");
    }
    this.phase = Phase.RollingBack;
    try {
      this.hal.ota.rollback();
    } catch (error) {
      // Nothing valid to go back to: keep running this image (unconfirmed) and say so.
      this.log(LogLevel.Error, `rollback impossible: ${String(error)}`);
      if (this.record !== null) this.finish({ status: "failed", code: CODE_FAILED, msg: `${reason}; rollback impossible (${String(error)})` });
      else this.phase = Phase.Idle;
    }
  }

  private fail(reason: string): void {
    this.counters.add(this.c.failures);
    this.log(LogLevel.Error, `update failed: ${reason}`);
    this.finish({ status: "failed", code: CODE_FAILED, msg: reason });
  }

  /** Record the outcome (it survives a reboot until reported) and report it as soon as the link is up. */
  private finish(outcome: OtaOutcome): void {
    this.releaseDownload();
    if (this.record === null) {
      this.phase = Phase.Idle;
      return;
    }
    this.record.outcome = outcome;
    this.persist("report");
    this.phase = Phase.Report;
    this.reportRetryAtMs = 0;
    if (this.online) this.publishOutcome();
  }

  /** Stop the download machinery (closing its connection) and let it go. */
  private releaseDownload(): void {
    const work = this.work;
    if (work === null) return;
    this.work = null;
    work.stop();
  }

  /** Bytes of the image in the slot while downloading, else 0. */
  private downloadedBytes(): number {
    return this.phase === Phase.Downloading && this.work !== null ? this.work.offset : 0;
  }

  private persist(phase: OtaRecord["phase"]): void {
    const record = this.record as OtaRecord;
    record.phase = phase;
    this.store.save(record);
  }

  private publishOutcome(): void {
    const record = this.record as OtaRecord;
    const outcome = record.outcome as OtaOutcome;
    const data = { status: outcome.status, version: record.version, from_version: record.fromVersion, running_version: this.runningVersion };
    if (!this.publishResult(record.mid, record.traceId, outcome.code, outcome.msg, data)) {
      this.counters.add(this.c.resultRetries);
      this.reportRetryAtMs = this.nowMs + this.config.progressIntervalMs;
      return;
    }
    this.store.clear();
    this.record = null;
    this.phase = this.trial ? Phase.Trial : Phase.Idle;
  }

  // --- messages ---

  private refuse(mid: string, traceId: string | null, code: number, msg: string): OtaDisposition {
    this.counters.add(this.c.rejected);
    this.publishResult(mid, traceId, code, msg, undefined);
    return OtaDisposition.Rejected;
  }

  private publishResult(mid: string, traceId: string | null, code: number, msg: string, data: unknown): boolean {
    return this.uplink.publish(OtaMessage.Result, this.writer.result(UPGRADE_TYPE, mid, traceId, code, msg, data));
  }

  private inProgressData(): unknown {
    const record = this.record;
    const held = this.held;
    return {
      status: "in_progress",
      state: OTA_PHASE_NAMES[this.phase],
      version: record?.version ?? held?.request.version,
      bytes: this.downloadedBytes(),
      size: record?.size ?? held?.request.size,
    };
  }

  /** A progress report: always on a change of step, otherwise at most one per progressIntervalMs and only if bytes moved. */
  private progress(status: string, force: boolean): void {
    if (!this.online) return;
    const record = this.record;
    if (record === null) return;
    const bytes = this.phase === Phase.Downloading ? this.downloadedBytes() : record.size;
    if (!force && (this.nowMs - this.lastProgressMs < this.config.progressIntervalMs || bytes === this.lastProgressBytes)) return;
    this.lastProgressMs = this.nowMs;
    this.lastProgressBytes = bytes;
    const data = { status, version: record.version, bytes, size: record.size, percent: Math.floor((bytes * 100) / record.size) };
    if (!this.uplink.publish(OtaMessage.Progress, this.writer.report(PROGRESS_TYPE, data, record.traceId))) this.counters.add(this.c.progressDropped);
  }

  private log(level: LogLevel, message: string): void {
    this.hal.log.write(level, "ota", message);
  }
}
