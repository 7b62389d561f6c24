import type { SettingValue } from "./registry";

/** What the store holds for settings: only what the platform has set; everything else is a default. */
export interface PersistedSettings {
  /** Values by wire name, as last committed. May hold names this firmware no longer knows (ignored). */
  values: Record<string, unknown>;
  /** Last applied desired version by wire name (spec 004 versions: integers >= 0). */
  versions: Record<string, number>;
}

/**
 * The settings' view of the flash store. `commit` is one store transaction: after a power cut either every value and
 * version of the call is there or none is. It throws (with nothing changed) when the store cannot take it, e.g. full.
 */
export interface SettingsPersistence {
  load(): PersistedSettings;
  commit(values: Record<string, SettingValue>, versions: Record<string, number>): void;
}

/**
 * Thrown by a persistence whose write failed midway (the flash failed, not a refusal): until the store is reopened
 * nobody knows whether the change is there, so the reply must not say "nothing changed".
 */
export class PersistUncertainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PersistUncertainError";
  }
}

/** A RAM-only persistence: for hosts without a store and for tests. Nothing survives a reboot. */
export class MemorySettingsPersistence implements SettingsPersistence {
  values: Record<string, unknown> = {};
  versions: Record<string, number> = {};
  commits = 0;
  /** Make the next commit throw, as a full store would (tests). */
  failNext: string | null = null;

  load(): PersistedSettings {
    return { values: { ...this.values }, versions: { ...this.versions } };
  }

  commit(values: Record<string, SettingValue>, versions: Record<string, number>): void {
    if (this.failNext !== null) {
      const message = this.failNext;
      this.failNext = null;
      throw new Error(message);
    }
    Object.assign(this.values, values);
    Object.assign(this.versions, versions);
    this.commits++;
  }
}
