/**
 * What OTA keeps in the flash store, and the port it goes through. One record, rewritten whole at each step (a few
 * hundred bytes, at most once per checkpoint: every `checkpointBytes` of image, or a few times per update), so that
 * a reboot or a power cut at any point finds the update where it was:
 *
 *   downloading   job + `offset`: bytes of the image known to be in the slot (resume from here; the hash is rebuilt
 *                 by re-reading the slot up to it)
 *   staged        the slot is complete, verified and set as the boot image; the restart is under way
 *   trial         running the new image, pending verification; `bootAttempts` boots so far
 *   rolling_back  the new image failed (`outcome` says why); the rollback is under way
 *   report        the outcome awaits its result message to the platform (after the reboot, or after a failure)
 *
 * No record = idle. `save` is one store transaction: after a power cut either the new record or the old one is
 * there, never a mix. It throws (nothing changed) when the store cannot take it.
 *
 * The store's adapter (src/store, OTA collection) implements the port; MemoryOtaState keeps it in RAM for tests and
 * hosts without flash.
 */
export type OtaPhase = "downloading" | "staged" | "trial" | "rolling_back" | "report";

/** The final answer to a command: status and code of the result message, msg the reason. */
export interface OtaOutcome {
  status: "success" | "failed" | "rolled_back";
  code: number;
  msg: string;
}

export interface OtaRecord {
  phase: OtaPhase;
  /** The command being served: its mid (the result's `reply`) and trace_id. */
  mid: string;
  traceId: string | null;
  version: string;
  url: string;
  size: number;
  /** Hex SHA-256 of the image (signature verified before the record was first written). */
  sha256: string;
  /** The version that was running when the command arrived (a rollback returns to it). */
  fromVersion: string;
  /** downloading: resume offset. */
  offset: number;
  /** trial: boots of the new image so far. */
  bootAttempts: number;
  /** rolling_back / report. */
  outcome: OtaOutcome | null;
}

export interface OtaStatePort {
  /** The record at boot, or null (idle). A record that does not read back as an OtaRecord is reported as null. */
  load(): OtaRecord | null;
  save(record: OtaRecord): void;
  /** Back to idle. */
  clear(): void;
}

/** Check a loaded value field by field: a record written by another firmware version must not crash the boot. */
export function isOtaRecord(value: unknown): value is OtaRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  const phases = ["downloading", "staged", "trial", "rolling_back", "report"];
  const outcome = r.outcome as Record<string, unknown> | null;
  return (
    typeof r.phase === "string" &&
    phases.includes(r.phase) &&
    typeof r.mid === "string" &&
    (r.traceId === null || typeof r.traceId === "string") &&
    typeof r.version === "string" &&
    typeof r.url === "string" &&
    typeof r.size === "number" &&
    typeof r.sha256 === "string" &&
    typeof r.fromVersion === "string" &&
    typeof r.offset === "number" &&
    typeof r.bootAttempts === "number" &&
    (outcome === null ||
      (typeof outcome === "object" && typeof outcome.status === "string" && typeof outcome.code === "number" && typeof outcome.msg === "string"))
  );
}

/**
 * A RAM-only port. Saves are copies (as flash would be), `failNext` makes the next save throw as a full store would,
 * and `cutAtSave` simulates a power cut during the n-th save from now: the save does not happen and `onCut` runs
 * (it should throw, like SimNorFlash's PowerCut), so the store keeps the previous record, as a transactional store does.
 */
export class MemoryOtaState implements OtaStatePort {
  record: OtaRecord | null = null;
  saves = 0;
  failNext: string | null = null;
  cutAtSave = -1;
  onCut: (() => void) | null = null;

  load(): OtaRecord | null {
    return this.record === null ? null : copy(this.record);
  }

  save(record: OtaRecord): void {
    this.check();
    this.record = copy(record);
    this.saves++;
  }

  clear(): void {
    this.check();
    this.record = null;
    this.saves++;
  }

  private check(): void {
    if (this.cutAtSave >= 0 && --this.cutAtSave === 0) {
      this.cutAtSave = -1;
      this.onCut?.();
    }
    if (this.failNext !== null) {
      const message = this.failNext;
      this.failNext = null;
      throw new Error(message);
    }
  }
}

function copy(record: OtaRecord): OtaRecord {
  return JSON.parse(JSON.stringify(record)) as OtaRecord;
}
