/**
 * The live settings: current values and the last applied desired version of each property, kept in step with the
 * store. Every change goes through one path: stage into a ChangeSet, validate the whole candidate, commit to flash,
 * only then update memory and tell the listener. A set that fails anywhere changes nothing.
 */
import { LogLevel, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import { ChangeSet, NO_VERSION } from "./change-set";
import { PersistUncertainError, type SettingsPersistence } from "./persistence";
import {
  PROPERTIES,
  PROPERTY_COUNT,
  checkWhole,
  parseValue,
  propertyIndex,
  type PropertyName,
  type SettingValue,
  type SettingsContext,
  type SettingsValues,
} from "./registry";

/** The app's side: applies committed changes to the running firmware (control loop, scheduler, log, ...). */
export interface SettingsListener {
  /**
   * Called once per committed set, after the commit, with the properties whose value changed. Must not throw for a
   * value the registry accepted: the registry's ranges are the contract. (A throw is caught, counted and logged; the
   * committed values stay.)
   */
  settingsChanged(values: Readonly<SettingsValues>, changed: readonly PropertyName[]): void;
}

/** Why a set was refused. `unknown`: a name not in the registry; `invalid`: a bad value or a broken rule; `persist`: the store refused. */
export type Refusal = "unknown" | "invalid" | "persist";

export interface SettingsProblem {
  refusal: Refusal;
  /** Names the property (or properties) and what is wrong, for the platform's operator. */
  message: string;
}

export interface CommitOutcome {
  /** Properties whose value changed (the listener was told about exactly these). */
  changed: PropertyName[];
  /** Properties whose applied desired version rose. */
  versioned: PropertyName[];
}

export class Settings {
  private readonly current: SettingsValues;
  private readonly candidate: SettingsValues;
  private readonly applied = new Float64Array(PROPERTY_COUNT).fill(NO_VERSION);
  private readonly scratch: SettingValue[] = [0];
  private listener: SettingsListener | null = null;
  private readonly commitCounter: number;
  private readonly refusedCounter: number;
  private readonly persistFailCounter: number;
  private readonly listenerErrorCounter: number;
  private readonly badPersistedCounter: number;

  constructor(
    private readonly context: SettingsContext,
    private readonly defaults: Readonly<SettingsValues>,
    private readonly persistence: SettingsPersistence,
    private readonly counters: Counters,
    private readonly log: Log,
  ) {
    this.current = { ...defaults };
    this.candidate = { ...defaults };
    this.commitCounter = counters.register("settings_commits");
    this.refusedCounter = counters.register("settings_refused");
    this.persistFailCounter = counters.register("settings_persist_failures");
    this.listenerErrorCounter = counters.register("settings_listener_errors");
    this.badPersistedCounter = counters.register("settings_persisted_invalid");
  }

  get values(): Readonly<SettingsValues> {
    return this.current;
  }

  setListener(listener: SettingsListener | null): void {
    this.listener = listener;
  }

  /** Last applied desired version of property `index`, or NO_VERSION (-1). */
  appliedVersion(index: number): number {
    return this.applied[index];
  }

  /**
   * Read the store at boot. A persisted value this firmware no longer accepts (a range narrowed by an update) falls
   * back to its default; if the persisted set as a whole breaks a rule (say, the board's watchdog shrank), all values
   * fall back to defaults. Both are counted and logged; versions are kept, so old desired values are not re-applied.
   */
  load(): void {
    const stored = this.persistence.load();
    const values = this.current as unknown as Record<string, SettingValue>;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      const name = PROPERTIES[i].name;
      values[name] = this.defaults[name];
      this.applied[i] = NO_VERSION;
      if (Object.prototype.hasOwnProperty.call(stored.values, name)) {
        const problem = parseValue(i, stored.values[name], this.context, this.scratch);
        if (problem === null) values[name] = this.scratch[0];
        else {
          this.counters.add(this.badPersistedCounter);
          this.log.write(LogLevel.Warn, "settings", `stored ${name} ${problem}; using the default`);
        }
      }
      const version = stored.versions[name];
      if (typeof version === "number" && Number.isInteger(version) && version >= 0) this.applied[i] = version;
    }
    const broken = checkWhole(this.current, this.context);
    if (broken !== null) {
      this.counters.add(this.badPersistedCounter);
      this.log.write(LogLevel.Error, "settings", `stored settings break a rule (${broken}); using defaults`);
      for (let i = 0; i < PROPERTY_COUNT; i++) values[PROPERTIES[i].name] = this.defaults[PROPERTIES[i].name];
    }
  }

  /**
   * Stage one wire value into `change`. Returns null, or the problem naming the property. `path` prefixes the name
   * in messages (e.g. "params.").
   */
  stage(change: ChangeSet, name: string, raw: unknown, version: number, path: string): SettingsProblem | null {
    const index = propertyIndex(name);
    if (index < 0) return { refusal: "unknown", message: `${path}${name}: unknown property` };
    const problem = parseValue(index, raw, this.context, this.scratch);
    if (problem !== null) return { refusal: "invalid", message: `${path}${name}: ${problem}` };
    change.put(index, this.scratch[0], version);
    return null;
  }

  /** Judge the candidate (current values with `change` applied) against the whole-set rules. */
  checkCandidate(change: ChangeSet): SettingsProblem | null {
    const candidate = this.candidate as unknown as Record<string, SettingValue>;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      const name = PROPERTIES[i].name;
      candidate[name] = change.has(i) ? change.values[i] : this.current[name];
    }
    const broken = checkWhole(this.candidate, this.context);
    return broken === null ? null : { refusal: "invalid", message: broken };
  }

  /**
   * Validate `change` as a whole, persist it, then make it current and tell the listener. Values equal to the
   * current ones are not rewritten unless they carry a newer version. On a problem nothing has changed.
   */
  commit(change: ChangeSet): CommitOutcome | SettingsProblem {
    const broken = this.checkCandidate(change);
    if (broken !== null) {
      this.counters.add(this.refusedCounter);
      return broken;
    }
    const values: Record<string, SettingValue> = {};
    const versions: Record<string, number> = {};
    const changed: PropertyName[] = [];
    const versioned: PropertyName[] = [];
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      if (!change.has(i)) continue;
      const name = PROPERTIES[i].name;
      if (change.values[i] !== this.current[name]) {
        values[name] = change.values[i];
        changed.push(name);
      }
      if (change.versions[i] > this.applied[i]) {
        versions[name] = change.versions[i];
        versioned.push(name);
      }
    }
    if (changed.length > 0 || versioned.length > 0) {
      try {
        this.persistence.commit(values, versions);
      } catch (error) {
        this.counters.add(this.persistFailCounter);
        this.log.write(LogLevel.Error, "settings", `commit failed: ${String(error)}`);
        if (error instanceof PersistUncertainError) {
          return { refusal: "persist", message: `the store failed while writing the settings (${error.message}); the outcome shows after it is reopened` };
        }
        return { refusal: "persist", message: `settings could not be stored (${String(error)}); nothing changed` };
      }
      this.counters.add(this.commitCounter);
    }
    const current = this.current as unknown as Record<string, SettingValue>;
    for (let i = 0; i < changed.length; i++) current[changed[i]] = values[changed[i]];
    for (let i = 0; i < versioned.length; i++) this.applied[propertyIndex(versioned[i])] = versions[versioned[i]];
    if (changed.length > 0 && this.listener !== null) {
      try {
        this.listener.settingsChanged(this.current, changed);
      } catch (error) {
        this.counters.add(this.listenerErrorCounter);
        this.log.write(LogLevel.Error, "settings", `listener failed on ${changed.join(",")}: ${String(error)}`);
      }
    }
    return { changed, versioned };
  }
}

export function isProblem(outcome: CommitOutcome | SettingsProblem): outcome is SettingsProblem {
  return (outcome as SettingsProblem).refusal !== undefined;
}
