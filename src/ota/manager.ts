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
 *
 * In two layers of one class chain (one object): update-process.ts (the state and the steps) and this file (the
 * inputs: commands, link state, health signals, time). manager-api.ts holds what users see, re-exported here.
 */
import { LogLevel } from "../../hal/types";
import type { TickService } from "../app/service";
import { HttpClient } from "../http/client";
import { CODE_BAD_REQUEST, CODE_OK, parseCommand } from "../protocol/envelope";
import { parseUpgrade, UPGRADE_TYPE, VERSION_TYPE } from "./command";
import { otaPublicKey } from "./config";
import { ImageDownloader, type DownloadStats } from "./downloader";
import { EcdsaP256Verifier, type P256PublicKey } from "./p256";
import { compareVersions } from "./version";
import { CODE_BUSY, OTA_PHASE_NAMES, OtaDisposition, OtaMessage, Phase } from "./manager-api";
import { UpdateProcess } from "./update-process";

export * from "./manager-api";

export class OtaManager extends UpdateProcess implements TickService {
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
}
