/**
 * The OTA update's steps (src/ota/manager.ts for the whole): its state, picking up at boot where the last run
 * stopped, the signature check, the download with checkpoints, verification, the health check after the restart,
 * rollback, the outcome, and the messages to the platform. The inputs (commands, link state, health signals, time)
 * are the layer above, manager.ts.
 */
import { LogLevel } from "../../hal/types";
import { ConfigError } from "../config/gateway-config";
import type { Counters } from "../core/counters";
import type { StreamingHash } from "../crypto/hash";
import { toHex } from "../crypto/hex";
import { HttpClient } from "../http/client";
import { CODE_BAD_REQUEST, CODE_OK, EnvelopeWriter } from "../protocol/envelope";
import { PROGRESS_TYPE, UPGRADE_TYPE } from "./command";
import { otaPublicKey, SLOT_SECTOR_BYTES, type OtaConfig } from "./config";
import { DownloadState, ImageDownloader, type DownloadStats } from "./downloader";
import { EcdsaP256Verifier } from "./p256";
import type { OtaOutcome, OtaRecord, OtaStatePort } from "./state-port";
import { isVersion } from "./version";
import { CODE_FAILED, type HeldCommand, OTA_PHASE_NAMES, OtaDisposition, type OtaHal, type OtaManagerOptions, OtaMessage, type OtaUplink, Phase } from "./manager-api";

export abstract class UpdateProcess {
  readonly name = "ota";
  protected readonly hal: OtaHal;
  protected readonly config: OtaConfig;
  protected readonly store: OtaStatePort;
  protected readonly uplink: OtaUplink;
  protected readonly counters: Counters;
  protected readonly runningVersion: string;
  /** ota.publicKey is set (checked at construction; the key itself is parsed again for each verification). */
  protected readonly enabled: boolean;
  protected readonly writer: EnvelopeWriter;
  protected readonly createHash: (() => StreamingHash) | undefined;
  /** Only while a signature is checked (CheckingSignature). */
  protected verifier: EcdsaP256Verifier | null = null;
  /** Only while an image is downloaded (Downloading): the HTTP client, its buffers and the hash live in it. */
  protected work: ImageDownloader | null = null;
  /** The figures of the current or last download (a small object, kept for the status and tests). */
  protected lastDownloadStats: DownloadStats | null = null;
  protected phase: Phase = Phase.Idle;
  protected record: OtaRecord | null = null;
  protected held: HeldCommand | null = null;
  protected readonly bootMs: number;
  protected nowMs: number;
  // Health inputs.
  protected trial = false;
  protected storeLoaded = false;
  protected controlTicked = false;
  protected online = false;
  // Pacing.
  protected lastProgressMs = -Infinity;
  protected lastProgressBytes = -1;
  protected restartAtMs = 0;
  protected restartRequested = false;
  protected reportRetryAtMs = 0;
  protected readonly c: {
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

  // --- boot: pick up where the last run stopped ---

  protected boot(): void {
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

  protected signatureChecked(): void {
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

  protected startDownload(offset: number): void {
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

  protected download(nowMs: number): void {
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
  protected verifyImage(record: OtaRecord, computed: string): void {
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

  protected checkHealth(nowMs: number): void {
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

  protected succeed(): void {
    this.counters.add(this.c.successes);
    const record = this.record as OtaRecord;
    this.finish({ status: "success", code: CODE_OK, msg: "" });
    this.log(LogLevel.Info, `update ${record.fromVersion} -> ${record.version} succeeded`);
  }

  protected rollBack(reason: string): void {
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

  protected fail(reason: string): void {
    this.counters.add(this.c.failures);
    this.log(LogLevel.Error, `update failed: ${reason}`);
    this.finish({ status: "failed", code: CODE_FAILED, msg: reason });
  }

  /** Record the outcome (it survives a reboot until reported) and report it as soon as the link is up. */
  protected finish(outcome: OtaOutcome): void {
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
  protected releaseDownload(): void {
    const work = this.work;
    if (work === null) return;
    this.work = null;
    work.stop();
  }

  /** Bytes of the image in the slot while downloading, else 0. */
  protected downloadedBytes(): number {
    return this.phase === Phase.Downloading && this.work !== null ? this.work.offset : 0;
  }

  protected persist(phase: OtaRecord["phase"]): void {
    const record = this.record as OtaRecord;
    record.phase = phase;
    this.store.save(record);
  }

  protected publishOutcome(): void {
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

  protected refuse(mid: string, traceId: string | null, code: number, msg: string): OtaDisposition {
    this.counters.add(this.c.rejected);
    this.publishResult(mid, traceId, code, msg, undefined);
    return OtaDisposition.Rejected;
  }

  protected publishResult(mid: string, traceId: string | null, code: number, msg: string, data: unknown): boolean {
    return this.uplink.publish(OtaMessage.Result, this.writer.result(UPGRADE_TYPE, mid, traceId, code, msg, data));
  }

  protected inProgressData(): unknown {
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
  protected progress(status: string, force: boolean): void {
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

  protected log(level: LogLevel, message: string): void {
    this.hal.log.write(level, "ota", message);
  }
}
