/**
 * Spec 004 on the device: direct property sets from the platform, desired values fetched after every (re)connect,
 * applied and deleted, and the current values posted after every change. Sans-I/O: MQTT messages come in through
 * `handle`, connection changes through `connected`/`disconnected`, time through `tick`; everything goes out through
 * the DesiredUplink. It never blocks and never retries faster than its backoff.
 *
 * Version rule (docs/protocol-004.md): a versioned value is applied only if its version is above both the persisted
 * last applied version of that property and the highest version seen on this connection; everything else is stale.
 */
import { LogLevel, type Clock, type Log } from "../../../hal/types";
import type { TickService } from "../../app/service";
import type { Counters } from "../../core/counters";
import { ChangeSet, NO_VERSION } from "../../settings/change-set";
import { PROPERTIES, PROPERTY_COUNT, propertyIndex, type PropertyName, type SettingValue } from "../../settings/registry";
import { isProblem, type Settings, type SettingsProblem } from "../../settings/settings";
import { hasOwn, isPlainObject, shortJson, type Plain } from "../json-values";
import { Code, Method, PROTOCOL_VERSION, SUCCESS_MESSAGE } from "./codes";
import { MessageIds, parseMessageId } from "./message-ids";
import { encodeDesiredDelete, encodeDesiredGet, encodePropertyPost, encodeSetReply, parseObject, parseVersion } from "./messages";
import { deepFreeze } from "../../core/freeze";

/** What the session publishes; the uplink maps each to its topic (OutRoute.Thing* of the topic router). */
export const DesiredOut = deepFreeze({ SetReply: 0, DesiredGet: 1, DesiredDelete: 2, PropertyPost: 3 } as const);
export type DesiredOut = (typeof DesiredOut)[keyof typeof DesiredOut];

/** How this module publishes: the MQTT session (QoS 1, its bounded offline queue) behind a small adapter. */
export interface DesiredUplink {
  /**
   * Queue a PUBLISH of `payload` (UTF-8 JSON) on the topic of `kind`. Returns false when it cannot be queued
   * (counted here). Must not call back into the session synchronously.
   */
  publish(kind: DesiredOut, payload: string): boolean;
}

export interface DesiredOptions {
  /** A request (get, delete or post with ack) without a reply after this long is given up (and the get retried). */
  requestTimeoutMs: number;
  /** The get is retried after a timeout or an error reply, with the delay doubling from requestTimeoutMs to this. */
  retryMaxMs: number;
  /** Ask for replies to our deletes (sys.ack = 1), to count the platform's refusals. */
  deleteAck: boolean;
  /** Ask for replies to our property posts. */
  postAck: boolean;
  /**
   * A direct set (a value without a version) supersedes desired values of the same properties still stored on the
   * platform: the device deletes them (unconditionally), so an older desired value cannot come back at the next
   * reconnect and undo a later direct command.
   */
  supersedeOnDirectSet: boolean;
  /** Requests awaiting a reply (deletes and posts with ack); the oldest is dropped (counted) when full. */
  pendingCapacity: number;
  /** Recent set ids remembered to answer a redelivered set with the same reply instead of applying it again. */
  recentSetCapacity: number;
}

export const DEFAULT_DESIRED_OPTIONS: DesiredOptions = deepFreeze({
  requestTimeoutMs: 10_000,
  retryMaxMs: 300_000,
  deleteAck: true,
  postAck: false,
  supersedeOnDirectSet: true,
  pendingCapacity: 8,
  recentSetCapacity: 8,
});

const Sync = deepFreeze({ Offline: 0, Waiting: 1, Backoff: 2, Synced: 3 } as const);
type Sync = (typeof Sync)[keyof typeof Sync];

const Pending = deepFreeze({ Free: 0, Delete: 1, Post: 2 } as const);

/** In a delete list: not part of the next delete. */
const NOT_DELETED = -2;
/** In a delete list: delete whatever version is there (params `{name: {}}`). */
const DELETE_ANY = -1;

/** The session's counters: index into COUNTER_NAMES. */
const Counter = deepFreeze({
  SetsApplied: 0,
  SetsRefused: 1,
  SetsDuplicate: 2,
  StaleIgnored: 3,
  ValuesApplied: 4,
  ValuesRejected: 5,
  ValuesSuperseded: 6,
  GetSent: 7,
  GetTimeouts: 8,
  GetErrors: 9,
  DeleteErrors: 10,
  DeleteTimeouts: 11,
  PostErrors: 12,
  PostTimeouts: 13,
  MalformedReplies: 14,
  UnexpectedReplies: 15,
  UnknownProperties: 16,
  PendingEvicted: 17,
  PublishFailures: 18,
  IdPersistFailures: 19,
} as const);
/** Literal names (in the preloaded module's constants, not built at boot), registered in this order. */
const COUNTER_NAMES = deepFreeze([
  "desired_sets_applied",
  "desired_sets_refused",
  "desired_sets_duplicate",
  "desired_stale_ignored",
  "desired_values_applied",
  "desired_values_rejected",
  "desired_values_superseded",
  "desired_get_sent",
  "desired_get_timeouts",
  "desired_get_errors",
  "desired_delete_errors",
  "desired_delete_timeouts",
  "desired_post_errors",
  "desired_post_timeouts",
  "desired_malformed_replies",
  "desired_unexpected_replies",
  "desired_unknown_properties",
  "desired_pending_evicted",
  "desired_publish_failures",
  "desired_id_persist_failures",
]);

/**
 * Layout of the session's one Float64Array of state (one backing store instead of a dozen small arrays and an
 * object of counter handles): per property the highest version seen and the superseded flag, the counter handles,
 * then columns for the pending requests (kind, deadline, id) and the recent sets (id, code), whose offsets
 * depend on the options.
 */
const FETCHED = 0;
const SUPERSEDED = PROPERTY_COUNT;
const COUNTERS = 2 * PROPERTY_COUNT;
/** The pending requests' kind column; the other columns follow (offsets in the session). */
const PENDING_KINDS = COUNTERS + COUNTER_NAMES.length;

export class DesiredSession implements TickService {
  readonly name = "desired";
  /**
   * See the layout above. FETCHED: the highest version seen per property on this connection (applied, stale,
   * rejected or superseded). SUPERSEDED: 1 for properties set directly while the get was outstanding (the get's
   * snapshot of them is older than that set).
   */
  private readonly state: Float64Array;
  private readonly pendingCount: number;
  /** Pending requests' columns in `state`: Pending kind (PENDING_KINDS), deadline (monotonic ms), message id (0 .. 2^32-1). */
  private readonly deadlinesAt: number;
  private readonly idsAt: number;
  private readonly recentCount: number;
  /** Recent sets' columns: message id (-1: none), the code it was answered with (the message: recentMessages). */
  private readonly recentIdsAt: number;
  private readonly recentCodesAt: number;
  /** Answers of the recent sets, made at the first set. */
  private recentMessages: string[] | null = null;
  private sync: Sync = Sync.Offline;
  private getId = -1;
  private getDeadline = 0;
  private retryAt = 0;
  private retryDelay: number;
  private postedAll = false;
  /** No pending request times out before this (a lower bound: freeing a request leaves it as it was). */
  private pendingDue = Infinity;
  private recentNext = 0;

  constructor(
    private readonly settings: Settings,
    private readonly uplink: DesiredUplink,
    private readonly ids: MessageIds,
    private readonly clock: Clock,
    private readonly counters: Counters,
    private readonly log: Log,
    private readonly options: DesiredOptions = DEFAULT_DESIRED_OPTIONS,
  ) {
    this.retryDelay = options.requestTimeoutMs;
    this.pendingCount = options.pendingCapacity;
    this.recentCount = options.recentSetCapacity;
    this.deadlinesAt = PENDING_KINDS + this.pendingCount;
    this.idsAt = this.deadlinesAt + this.pendingCount;
    this.recentIdsAt = this.idsAt + this.pendingCount;
    this.recentCodesAt = this.recentIdsAt + this.recentCount;
    const state = new Float64Array(this.recentCodesAt + this.recentCount);
    state.fill(NO_VERSION, FETCHED, FETCHED + PROPERTY_COUNT);
    for (let i = 0; i < COUNTER_NAMES.length; i++) state[COUNTERS + i] = counters.register(COUNTER_NAMES[i]);
    state.fill(-1, this.recentIdsAt, this.recentIdsAt + this.recentCount);
    this.state = state;
  }

  /** True once this connection's desired state has been fetched and handled. */
  get synced(): boolean {
    return this.sync === Sync.Synced;
  }

  /** The MQTT session is up and subscribed: fetch the full desired state. */
  connected(): void {
    this.state.fill(NO_VERSION, FETCHED, FETCHED + PROPERTY_COUNT);
    this.freeAllPending();
    this.retryDelay = this.options.requestTimeoutMs;
    this.postedAll = false;
    this.sendGet(this.clock.monotonicMs());
  }

  /** The connection is gone: outstanding requests are void (their replies would come on a session we no longer have). */
  disconnected(): void {
    this.sync = Sync.Offline;
    this.getId = -1;
    this.freeAllPending();
  }

  /**
   * A `thing.service.property.set` arrived. Returns true when it was applied (committed) or was a redelivery of an
   * answered set, false when it was refused; either way it is finished (the MQTT message can be acknowledged).
   */
  onPropertySet(payload: string): boolean {
    return this.onSet(payload);
  }

  /**
   * A property set whose payload cannot be parsed (too large, not UTF-8, nested too deep: `problem`): refused with
   * ParameterError, `id` as read from what arrived ("" when none). Nothing changes. Returns false (refused).
   */
  refusePropertySet(id: string, problem: string): boolean {
    return this.refuseSet(id, PROTOCOL_VERSION, true, Code.ParameterError, problem);
  }

  onDesiredGetReply(payload: string): void {
    this.onGetReply(payload);
  }

  onDesiredDeleteReply(payload: string): void {
    this.onAckReply(payload, Pending.Delete);
  }

  onPropertyPostReply(payload: string): void {
    this.onAckReply(payload, Pending.Post);
  }

  /** Timeouts and the get's backoff. Allocates nothing unless something times out. */
  tick(nowMs: number): void {
    if (this.sync === Sync.Waiting && nowMs >= this.getDeadline) {
      this.count(Counter.GetTimeouts);
      // A platform that has not answered yet is normal right after connecting; one silent through the whole
      // backoff (the retry delay at its cap) is worth a warning.
      const level = this.retryDelay >= this.options.retryMaxMs ? LogLevel.Warn : LogLevel.Info;
      this.log.write(level, "desired", `desired get ${this.getId} got no reply; retrying in ${this.retryDelay} ms`);
      this.scheduleRetry(nowMs);
    } else if (this.sync === Sync.Backoff && nowMs >= this.retryAt) {
      this.sendGet(nowMs);
    }
    if (nowMs >= this.pendingDue) this.expirePending(nowMs);
  }

  /** Free the requests whose deadline passed (counted); `pendingDue` becomes the earliest deadline left. */
  private expirePending(nowMs: number): void {
    const state = this.state;
    const kinds = PENDING_KINDS;
    const deadlines = this.deadlinesAt;
    let due = Infinity;
    for (let i = 0; i < this.pendingCount; i++) {
      if (state[kinds + i] === Pending.Free) continue;
      if (nowMs >= state[deadlines + i]) {
        this.count(state[kinds + i] === Pending.Delete ? Counter.DeleteTimeouts : Counter.PostTimeouts);
        state[kinds + i] = Pending.Free;
      } else if (state[deadlines + i] < due) due = state[deadlines + i];
    }
    this.pendingDue = due;
  }

  // ---- thing.service.property.set -------------------------------------------------------------------------------

  private onSet(text: string): boolean {
    const request = parseObject(text);
    if (typeof request === "string") return this.refuseSet("", PROTOCOL_VERSION, true, Code.ParameterError, request);
    const idText = typeof request.id === "string" ? request.id : "";
    const version = typeof request.version === "string" ? request.version : PROTOCOL_VERSION;
    let ack = true;
    if (hasOwn(request, "sys")) {
      const sys = request.sys;
      if (!isPlainObject(sys)) return this.refuseSet(idText, version, true, Code.ParameterError, `sys: must be an object, got ${shortJson(sys)}`);
      if (hasOwn(sys, "ack")) {
        if (sys.ack !== 0 && sys.ack !== 1) return this.refuseSet(idText, version, true, Code.ParameterError, `sys.ack: must be 0 or 1, got ${shortJson(sys.ack)}`);
        ack = sys.ack === 1;
      }
    }
    const id = parseMessageId(request.id);
    if (id < 0) return this.refuseSet(idText, version, ack, Code.ParameterError, `id: must be a decimal string in 0..4294967295, got ${shortJson(request.id)}`);
    if (hasOwn(request, "version") && request.version !== PROTOCOL_VERSION) {
      return this.refuseSet(idText, version, ack, Code.ParameterError, `version: must be "${PROTOCOL_VERSION}", got ${shortJson(request.version)}`);
    }
    if (hasOwn(request, "method") && request.method !== Method.PropertySet) {
      return this.refuseSet(idText, version, ack, Code.ParameterError, `method: must be "${Method.PropertySet}" on this topic, got ${shortJson(request.method)}`);
    }
    const recent = this.recentIndex(id);
    if (recent >= 0) {
      // A redelivery (QoS 1 after a lost PUBACK): answering again is right, applying again could undo a later set.
      this.count(Counter.SetsDuplicate);
      const code = this.state[this.recentCodesAt + recent];
      if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, (this.recentMessages as string[])[recent], version));
      return true;
    }
    const params = request.params;
    if (!isPlainObject(params)) return this.answerSet(id, idText, version, ack, Code.ParameterError, `params: must be an object of property values, got ${shortJson(params)}`);
    const keys = Object.keys(params);
    if (keys.length === 0) return this.answerSet(id, idText, version, ack, Code.ParameterError, "params: no property to set");

    // Scratch for this message only (command rate): the staged values and the versions to delete afterwards.
    const change = new ChangeSet();
    const deletes = new Float64Array(PROPERTY_COUNT).fill(NOT_DELETED);
    const problem = this.stageSet(change, params, keys);
    if (problem !== null) {
      return this.answerSet(id, idText, version, ack, problem.refusal === "unknown" ? Code.UnknownProperty : Code.ParameterError, problem.message);
    }
    this.dropStale(change, deletes);
    const outcome = change.count > 0 ? this.settings.commit(change) : null;
    if (outcome !== null && isProblem(outcome)) {
      return this.answerSet(id, idText, version, ack, outcome.refusal === "persist" ? Code.RequestError : Code.ParameterError, outcome.message);
    }
    // Committed: only now is the platform told, then the consequences follow.
    this.answerSet(id, idText, version, ack, Code.Success, SUCCESS_MESSAGE);
    this.log.write(LogLevel.Info, "desired", `set ${idText} applied: ${keys.join(",")}`);
    const inSync = this.sync === Sync.Waiting || this.sync === Sync.Backoff;
    const state = this.state;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      if (!change.has(i)) continue;
      const v = change.versions[i];
      if (v !== NO_VERSION) {
        if (v > state[FETCHED + i]) state[FETCHED + i] = v;
        deletes[i] = v;
      } else {
        if (inSync) state[SUPERSEDED + i] = 1;
        if (this.options.supersedeOnDirectSet) deletes[i] = DELETE_ANY;
      }
    }
    if (outcome !== null) this.post(outcome.changed);
    this.sendDelete(deletes);
    return true;
  }

  /** Stage every entry of `params`; on problems return the first (with up to two more appended), nothing staged. */
  private stageSet(change: ChangeSet, params: Plain, keys: string[]): SettingsProblem | null {
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
  private dropStale(change: ChangeSet, deletes: Float64Array): void {
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

  private refuseSet(idText: string, version: string, ack: boolean, code: number, message: string): false {
    this.count(Counter.SetsRefused);
    this.log.write(LogLevel.Warn, "desired", `set ${idText || "(no id)"} refused: ${message}`);
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return false;
  }

  /**
   * Reply to a set with a valid id and remember the answer for redeliveries; not a store failure, which may be
   * transient: a redelivery of that set is tried again.
   */
  private answerSet(id: number, idText: string, version: string, ack: boolean, code: number, message: string): boolean {
    if (code !== Code.RequestError && this.recentCount > 0) {
      const slot = this.recentNext;
      this.state[this.recentIdsAt + slot] = id;
      this.state[this.recentCodesAt + slot] = code;
      if (this.recentMessages === null) this.recentMessages = new Array<string>(this.recentCount).fill("");
      this.recentMessages[slot] = message;
      this.recentNext = (slot + 1) % this.recentCount;
    }
    if (code !== Code.Success) return this.refuseSet(idText, version, ack, code, message);
    this.count(Counter.SetsApplied);
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return true;
  }

  // ---- thing.property.desired.get -------------------------------------------------------------------------------

  private sendGet(nowMs: number): void {
    const id = this.nextId();
    this.state.fill(0, SUPERSEDED, SUPERSEDED + PROPERTY_COUNT);
    this.count(Counter.GetSent);
    // State first: an uplink that delivers synchronously may bring the reply before publish returns.
    this.sync = Sync.Waiting;
    this.getId = id;
    this.getDeadline = nowMs + this.options.requestTimeoutMs;
    if (!this.publish(DesiredOut.DesiredGet, encodeDesiredGet(String(id), propertyNames()))) this.scheduleRetry(nowMs);
  }

  private scheduleRetry(nowMs: number): void {
    this.sync = Sync.Backoff;
    this.getId = -1;
    this.retryAt = nowMs + this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.retryMaxMs);
  }

  private onGetReply(text: string): void {
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

  private applyDesired(data: Plain): void {
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
  private sendDelete(deletes: Float64Array): void {
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

  private post(names: readonly PropertyName[]): void {
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

  private onAckReply(text: string, kind: number): void {
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
  private addPending(id: number, kind: number): number {
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

  private freePending(slot: number): void {
    this.state[PENDING_KINDS + slot] = Pending.Free;
  }

  private freeAllPending(): void {
    this.state.fill(Pending.Free, PENDING_KINDS, PENDING_KINDS + this.pendingCount);
  }

  /** The recent-set record holding message id `id`, or -1. */
  private recentIndex(id: number): number {
    for (let i = 0; i < this.recentCount; i++) if (this.state[this.recentIdsAt + i] === id) return i;
    return -1;
  }

  // ---- small helpers --------------------------------------------------------------------------------------------

  private nextId(): number {
    const failures = this.ids.persistFailures;
    const id = this.ids.nextNumber();
    if (this.ids.persistFailures !== failures) {
      this.count(Counter.IdPersistFailures);
      this.log.write(LogLevel.Error, "desired", "message id block not persisted: ids may repeat after a reboot");
    }
    return id;
  }

  private publish(kind: DesiredOut, payload: string): boolean {
    if (this.uplink.publish(kind, payload)) return true;
    this.count(Counter.PublishFailures);
    return false;
  }

  private malformed(what: string, problem: string): void {
    this.count(Counter.MalformedReplies);
    this.log.write(LogLevel.Warn, "desired", `${what} ignored: ${problem}`);
  }

  private count(counter: number, amount = 1): void {
    this.counters.add(this.state[COUNTERS + counter], amount);
  }
}

/** Every property's wire name, made when needed (a get, the first post of a connection) rather than kept. */
function propertyNames(): PropertyName[] {
  return PROPERTIES.map((p) => p.name);
}
