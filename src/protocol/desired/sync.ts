/**
 * Spec 004, the desired-value side and the session's state (src/protocol/desired/session.ts for the whole): the
 * state array and the bounded tables, the desired get after every (re)connect with its backoff, applying what it
 * returns under the version rule, the desired delete and the property post that follow, the pending requests and
 * their timeouts. The direct property set (thing.service.property.set) and the public API are the layer above.
 */
import { LogLevel, type Clock, type Log } from "../../../hal/types";
import type { Counters } from "../../core/counters";
import { ChangeSet, NO_VERSION } from "../../settings/change-set";
import { PROPERTIES, PROPERTY_COUNT, propertyIndex, type PropertyName, type SettingValue } from "../../settings/registry";
import { isProblem, type Settings, type SettingsProblem } from "../../settings/settings";
import { hasOwn, isPlainObject, shortJson, type Plain } from "../json-values";
import { Code } from "./codes";
import { MessageIds, parseMessageId } from "./message-ids";
import { encodeDesiredDelete, encodeDesiredGet, encodePropertyPost, parseObject, parseVersion } from "./messages";
import { COUNTERS, COUNTER_NAMES, Counter, DEFAULT_DESIRED_OPTIONS, DELETE_ANY, type DesiredOptions, DesiredOut, type DesiredUplink, FETCHED, NOT_DELETED, PENDING_KINDS, Pending, SUPERSEDED, Sync } from "./session-layout";

export abstract class DesiredSync {
  readonly name = "desired";
  /**
   * See the layout above. FETCHED: the highest version seen per property on this connection (applied, stale,
   * rejected or superseded). SUPERSEDED: 1 for properties set directly while the get was outstanding (the get's
   * snapshot of them is older than that set).
   */
  protected readonly state: Float64Array;
  protected readonly pendingCount: number;
  /** Pending requests' columns in `state`: Pending kind (PENDING_KINDS), deadline (monotonic ms), message id (0 .. 2^32-1). */
  protected readonly deadlinesAt: number;
  protected readonly idsAt: number;
  protected readonly recentCount: number;
  /**
   * Recent sets' columns: message id (-1: none), the code it was answered with (the message: recentMessages), and
   * the FNV-1a digest of the set's text (src/core/command-identity.ts): a redelivery matches id and digest, a reused
   * id with other params is a new set.
   */
  protected readonly recentIdsAt: number;
  protected readonly recentCodesAt: number;
  protected readonly recentDigestsAt: number;
  /** Answers of the recent sets, made at the first set. */
  protected recentMessages: string[] | null = null;
  protected sync: Sync = Sync.Offline;
  protected getId = -1;
  protected getDeadline = 0;
  protected retryAt = 0;
  protected retryDelay: number;
  protected postedAll = false;
  /** No pending request times out before this (a lower bound: freeing a request leaves it as it was). */
  protected pendingDue = Infinity;
  protected recentNext = 0;

  constructor(
    protected readonly settings: Settings,
    protected readonly uplink: DesiredUplink,
    protected readonly ids: MessageIds,
    protected readonly clock: Clock,
    protected readonly counters: Counters,
    protected readonly log: Log,
    protected readonly options: DesiredOptions = DEFAULT_DESIRED_OPTIONS,
  ) {
    this.retryDelay = options.requestTimeoutMs;
    this.pendingCount = options.pendingCapacity;
    this.recentCount = options.recentSetCapacity;
    this.deadlinesAt = PENDING_KINDS + this.pendingCount;
    this.idsAt = this.deadlinesAt + this.pendingCount;
    this.recentIdsAt = this.idsAt + this.pendingCount;
    this.recentCodesAt = this.recentIdsAt + this.recentCount;
    this.recentDigestsAt = this.recentCodesAt + this.recentCount;
    const state = new Float64Array(this.recentDigestsAt + this.recentCount);
    state.fill(NO_VERSION, FETCHED, FETCHED + PROPERTY_COUNT);
    for (let i = 0; i < COUNTER_NAMES.length; i++) state[COUNTERS + i] = counters.register(COUNTER_NAMES[i]);
    state.fill(-1, this.recentIdsAt, this.recentIdsAt + this.recentCount);
    this.state = state;
  }

  protected stageSet(change: ChangeSet, params: Plain, keys: string[]): SettingsProblem | null {
    let first: SettingsProblem | null = null;
    let more = 0;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      let raw = params[key];
      let version = NO_VERSION;
      let problem: SettingsProblem | null = null;
      if (isPlainObject(raw)) {
        // A pushed desired value: {value, version}, the shape of the get reply's entries.
        version = parseVersion(raw.version);
        if (!hasOwn(raw, "value")) problem = { refusal: "invalid", message: `params.${key}: an object must be {"value": ..., "version": n}` };
        else if (version < 0) problem = { refusal: "invalid", message: `params.${key}.version: must be an integer >= 0, got ${shortJson(raw.version)}` };
        else raw = raw.value;
      }
      if (problem === null) problem = this.settings.stage(change, key, raw, version, "params.");
      if (problem === null) continue;
      if (first === null) first = problem;
      else if (more < 2) {
        first = { refusal: first.refusal, message: `${first.message}; ${problem.message}` };
        more++;
      }
    }
    if (first !== null) change.clear();
    return first;
  }

  /** Remove versioned entries that are not newer than what was applied or seen; delete the ones already applied. */
  protected dropStale(change: ChangeSet, deletes: Float64Array): void {
    const fetched = this.state;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      if (!change.has(i) || change.versions[i] === NO_VERSION) continue;
      const v = change.versions[i];
      const applied = this.settings.appliedVersion(i);
      if (v > applied && v > fetched[FETCHED + i]) continue;
      change.remove(i);
      this.count(Counter.StaleIgnored);
      this.log.write(LogLevel.Info, "desired", `${PROPERTIES[i].name} version ${v} ignored: not newer than ${Math.max(applied, fetched[FETCHED + i])}`);
      if (v <= applied) deletes[i] = v;
    }
  }

  // ---- thing.property.desired.get -------------------------------------------------------------------------------

  protected sendGet(nowMs: number): void {
    const id = this.nextId();
    this.state.fill(0, SUPERSEDED, SUPERSEDED + PROPERTY_COUNT);
    this.count(Counter.GetSent);
    // State first: an uplink that delivers synchronously may bring the reply before publish returns.
    this.sync = Sync.Waiting;
    this.getId = id;
    this.getDeadline = nowMs + this.options.requestTimeoutMs;
    if (!this.publish(DesiredOut.DesiredGet, encodeDesiredGet(String(id), propertyNames()))) this.scheduleRetry(nowMs);
  }

  protected scheduleRetry(nowMs: number): void {
    this.sync = Sync.Backoff;
    this.getId = -1;
    this.retryAt = nowMs + this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.retryMaxMs);
  }

  protected onGetReply(text: string): void {
    const reply = parseObject(text);
    if (typeof reply === "string") return this.malformed("desired get reply", reply);
    const id = parseMessageId(reply.id);
    if (this.sync !== Sync.Waiting || id !== this.getId) {
      this.count(Counter.UnexpectedReplies);
      return;
    }
    const nowMs = this.clock.monotonicMs();
    if (reply.code !== Code.Success) {
      this.count(Counter.GetErrors);
      this.log.write(LogLevel.Warn, "desired", `desired get ${id} refused: code ${shortJson(reply.code)} ${shortJson(reply.message)}; retrying in ${this.retryDelay} ms`);
      return this.scheduleRetry(nowMs);
    }
    const data = reply.data === undefined || reply.data === null ? {} : reply.data;
    if (!isPlainObject(data)) {
      this.malformed("desired get reply", `data: must be an object, got ${shortJson(data)}`);
      return this.scheduleRetry(nowMs);
    }
    this.sync = Sync.Synced;
    this.getId = -1;
    this.retryDelay = this.options.requestTimeoutMs;
    this.applyDesired(data);
  }

  protected applyDesired(data: Plain): void {
    // Scratch for this reply only (once per connection).
    const change = new ChangeSet();
    const deletes = new Float64Array(PROPERTY_COUNT).fill(NOT_DELETED);
    const state = this.state;
    const keys = Object.keys(data);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const i = propertyIndex(key);
      if (i < 0) {
        this.count(Counter.UnknownProperties);
        this.log.write(LogLevel.Warn, "desired", `desired value for unknown property ${shortJson(key)} ignored`);
        continue;
      }
      const entry = data[key];
      const version = isPlainObject(entry) ? parseVersion(entry.version) : -1;
      if (!isPlainObject(entry) || version < 0) {
        this.malformed("desired get reply", `data.${key}: must be {"value": ..., "version": n >= 0}, got ${shortJson(entry)}`);
        continue;
      }
      if (version <= this.settings.appliedVersion(i)) {
        // Applied before (e.g. a reboot came between the apply and the delete): only the delete is missing.
        deletes[i] = version;
        continue;
      }
      if (version <= state[FETCHED + i]) continue;
      state[FETCHED + i] = version;
      if (state[SUPERSEDED + i] === 1) {
        this.count(Counter.ValuesSuperseded);
        this.log.write(LogLevel.Info, "desired", `desired ${key} version ${version} superseded by a direct set`);
        deletes[i] = version;
        continue;
      }
      if (!hasOwn(entry, "value") || entry.value === null) continue;
      const problem = this.settings.stage(change, key, entry.value, version, "desired.");
      if (problem !== null) {
        // Left on the platform (not deleted) so an operator sees it pending; retried at the next connection only.
        this.count(Counter.ValuesRejected);
        this.log.write(LogLevel.Warn, "desired", `desired value refused: ${problem.message} (version ${version})`);
      }
    }
    let changed: PropertyName[] = [];
    if (change.count > 0) {
      const outcome = this.settings.commit(change);
      if (isProblem(outcome)) {
        this.count(Counter.ValuesRejected);
        this.log.write(LogLevel.Warn, "desired", `desired values refused as a whole: ${outcome.message}`);
      } else {
        changed = outcome.changed;
        this.count(Counter.ValuesApplied, change.count);
        for (let i = 0; i < PROPERTY_COUNT; i++) if (change.has(i)) deletes[i] = change.versions[i];
        this.log.write(LogLevel.Info, "desired", `desired values applied: ${outcome.versioned.join(",")}`);
      }
    }
    if (!this.postedAll) {
      this.postedAll = true;
      this.post(propertyNames());
    } else {
      this.post(changed);
    }
    this.sendDelete(deletes);
  }

  // ---- thing.property.desired.delete and thing.event.property.post ----------------------------------------------

  /** Delete the versions listed in `deletes` (per property: a version, DELETE_ANY or NOT_DELETED). */
  protected sendDelete(deletes: Float64Array): void {
    let params: Record<string, { version?: number }> | null = null;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      const v = deletes[i];
      if (v === NOT_DELETED) continue;
      if (params === null) params = {};
      params[PROPERTIES[i].name] = v === DELETE_ANY ? {} : { version: v };
    }
    if (params === null || this.sync === Sync.Offline) return;
    const id = this.nextId();
    const slot = this.options.deleteAck ? this.addPending(id, Pending.Delete) : -1;
    if (!this.publish(DesiredOut.DesiredDelete, encodeDesiredDelete(String(id), params, this.options.deleteAck)) && slot >= 0) {
      this.freePending(slot);
    }
  }

  protected post(names: readonly PropertyName[]): void {
    if (names.length === 0 || this.sync === Sync.Offline) return;
    const values = this.settings.values;
    const params: Record<string, SettingValue> = {};
    for (let i = 0; i < names.length; i++) params[names[i]] = values[names[i]];
    const id = this.nextId();
    const slot = this.options.postAck ? this.addPending(id, Pending.Post) : -1;
    if (!this.publish(DesiredOut.PropertyPost, encodePropertyPost(String(id), params, this.options.postAck)) && slot >= 0) {
      this.freePending(slot);
    }
  }

  protected onAckReply(text: string, kind: number): void {
    const what = kind === Pending.Delete ? "desired delete" : "property post";
    const reply = parseObject(text);
    if (typeof reply === "string") return this.malformed(`${what} reply`, reply);
    const id = parseMessageId(reply.id);
    const state = this.state;
    let slot = -1;
    for (let i = 0; i < this.pendingCount; i++) {
      if (state[PENDING_KINDS + i] === kind && state[this.idsAt + i] === id) slot = i;
    }
    if (slot < 0) {
      this.count(Counter.UnexpectedReplies);
      return;
    }
    this.freePending(slot);
    if (reply.code !== Code.Success) {
      // A refused delete is not retried now: the value is still there at the next connection's get, and its version
      // is at most the applied one, so that get deletes it again.
      this.count(kind === Pending.Delete ? Counter.DeleteErrors : Counter.PostErrors);
      this.log.write(LogLevel.Warn, "desired", `${what} ${id} refused: code ${shortJson(reply.code)} ${shortJson(reply.message)}`);
    }
  }

  /** Register a request awaiting its reply (before it is published: see sendGet); returns its slot. */
  protected addPending(id: number, kind: number): number {
    const state = this.state;
    const kinds = PENDING_KINDS;
    const deadlines = this.deadlinesAt;
    let slot = -1;
    for (let i = 0; i < this.pendingCount && slot < 0; i++) if (state[kinds + i] === Pending.Free) slot = i;
    if (slot < 0) {
      slot = 0;
      for (let i = 1; i < this.pendingCount; i++) if (state[deadlines + i] < state[deadlines + slot]) slot = i;
      this.count(Counter.PendingEvicted);
    }
    const deadline = this.clock.monotonicMs() + this.options.requestTimeoutMs;
    state[this.idsAt + slot] = id;
    state[kinds + slot] = kind;
    state[deadlines + slot] = deadline;
    if (deadline < this.pendingDue) this.pendingDue = deadline;
    return slot;
  }

  protected freePending(slot: number): void {
    this.state[PENDING_KINDS + slot] = Pending.Free;
  }

  protected freeAllPending(): void {
    this.state.fill(Pending.Free, PENDING_KINDS, PENDING_KINDS + this.pendingCount);
  }

  /**
   * The recent-set record of this very set (message id `id`, text digest `digest`), or -1; -2 when the id was
   * answered for another text (a reused id: handled as a new set).
   */
  protected recentIndex(id: number, digest: number): number {
    let reused = -1;
    for (let i = 0; i < this.recentCount; i++) {
      if (this.state[this.recentIdsAt + i] !== id) continue;
      if (this.state[this.recentDigestsAt + i] === digest) return i;
      reused = -2;
    }
    return reused;
  }

  // ---- small helpers --------------------------------------------------------------------------------------------

  protected nextId(): number {
    const failures = this.ids.persistFailures;
    const id = this.ids.nextNumber();
    if (this.ids.persistFailures !== failures) {
      this.count(Counter.IdPersistFailures);
      this.log.write(LogLevel.Error, "desired", "message id block not persisted: ids may repeat after a reboot");
    }
    return id;
  }

  protected publish(kind: DesiredOut, payload: string): boolean {
    if (this.uplink.publish(kind, payload)) return true;
    this.count(Counter.PublishFailures);
    return false;
  }

  protected malformed(what: string, problem: string): void {
    this.count(Counter.MalformedReplies);
    this.log.write(LogLevel.Warn, "desired", `${what} ignored: ${problem}`);
  }

  protected count(counter: number, amount = 1): void {
    this.counters.add(this.state[COUNTERS + counter], amount);
  }
}

/** Every property's wire name, made when needed (a get, the first post of a connection) rather than kept. */
function propertyNames(): PropertyName[] {
  return PROPERTIES.map((p) => p.name);
}
