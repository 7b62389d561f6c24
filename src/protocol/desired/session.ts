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

/** In deleteVersions: not part of the next delete. */
const NOT_DELETED = -2;
/** In deleteVersions: delete whatever version is there (params `{name: {}}`). */
const DELETE_ANY = -1;

export class DesiredSession implements TickService {
  readonly name = "desired";
  private readonly change = new ChangeSet();
  /** Highest version seen per property on this connection (applied, stale, rejected or superseded). */
  private readonly fetched = new Float64Array(PROPERTY_COUNT).fill(NO_VERSION);
  /** Properties set directly while the get was outstanding: the get's snapshot of them is older than that set. */
  private readonly superseded = new Uint8Array(PROPERTY_COUNT);
  private readonly deleteVersions = new Float64Array(PROPERTY_COUNT).fill(NOT_DELETED);
  private readonly names: string[];
  private sync: Sync = Sync.Offline;
  private getId = -1;
  private getDeadline = 0;
  private retryAt = 0;
  private retryDelay: number;
  private postedAll = false;
  private readonly pendingIds: Float64Array;
  private readonly pendingKinds: Uint8Array;
  private readonly pendingDeadlines: Float64Array;
  private readonly recentIds: Float64Array;
  private readonly recentCodes: Float64Array;
  private readonly recentMessages: string[];
  private recentNext = 0;
  private readonly c: Record<string, number> = {};

  constructor(
    private readonly settings: Settings,
    private readonly uplink: DesiredUplink,
    private readonly ids: MessageIds,
    private readonly clock: Clock,
    private readonly counters: Counters,
    private readonly log: Log,
    private readonly options: DesiredOptions = DEFAULT_DESIRED_OPTIONS,
  ) {
    this.names = PROPERTIES.map((p) => p.name);
    this.retryDelay = options.requestTimeoutMs;
    this.pendingIds = new Float64Array(options.pendingCapacity);
    this.pendingKinds = new Uint8Array(options.pendingCapacity);
    this.pendingDeadlines = new Float64Array(options.pendingCapacity);
    this.recentIds = new Float64Array(options.recentSetCapacity).fill(-1);
    this.recentCodes = new Float64Array(options.recentSetCapacity);
    this.recentMessages = new Array<string>(options.recentSetCapacity).fill("");
    for (const name of [
      "sets_applied",
      "sets_refused",
      "sets_duplicate",
      "stale_ignored",
      "values_applied",
      "values_rejected",
      "values_superseded",
      "get_sent",
      "get_timeouts",
      "get_errors",
      "delete_errors",
      "delete_timeouts",
      "post_errors",
      "post_timeouts",
      "malformed_replies",
      "unexpected_replies",
      "unknown_properties",
      "pending_evicted",
      "publish_failures",
      "id_persist_failures",
    ]) {
      this.c[name] = counters.register(`desired_${name}`);
    }
  }

  /** True once this connection's desired state has been fetched and handled. */
  get synced(): boolean {
    return this.sync === Sync.Synced;
  }

  /** The MQTT session is up and subscribed: fetch the full desired state. */
  connected(): void {
    this.fetched.fill(NO_VERSION);
    this.pendingKinds.fill(Pending.Free);
    this.retryDelay = this.options.requestTimeoutMs;
    this.postedAll = false;
    this.sendGet(this.clock.monotonicMs());
  }

  /** The connection is gone: outstanding requests are void (their replies would come on a session we no longer have). */
  disconnected(): void {
    this.sync = Sync.Offline;
    this.getId = -1;
    this.pendingKinds.fill(Pending.Free);
  }

  /**
   * A `thing.service.property.set` arrived. Returns true when it was applied (committed) or was a redelivery of an
   * answered set, false when it was refused; either way it is finished (the MQTT message can be acknowledged).
   */
  onPropertySet(payload: string): boolean {
    return this.onSet(payload);
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
      this.count("get_timeouts");
      this.log.write(LogLevel.Warn, "desired", `desired get ${this.getId} got no reply; retrying in ${this.retryDelay} ms`);
      this.scheduleRetry(nowMs);
    } else if (this.sync === Sync.Backoff && nowMs >= this.retryAt) {
      this.sendGet(nowMs);
    }
    const kinds = this.pendingKinds;
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] !== Pending.Free && nowMs >= this.pendingDeadlines[i]) {
        this.count(kinds[i] === Pending.Delete ? "delete_timeouts" : "post_timeouts");
        kinds[i] = Pending.Free;
      }
    }
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
    const recent = this.recentIds.indexOf(id);
    if (recent >= 0) {
      // A redelivery (QoS 1 after a lost PUBACK): answering again is right, applying again could undo a later set.
      this.count("sets_duplicate");
      if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, this.recentCodes[recent], this.recentMessages[recent], version));
      return true;
    }
    const params = request.params;
    if (!isPlainObject(params)) return this.answerSet(id, idText, version, ack, Code.ParameterError, `params: must be an object of property values, got ${shortJson(params)}`);
    const keys = Object.keys(params);
    if (keys.length === 0) return this.answerSet(id, idText, version, ack, Code.ParameterError, "params: no property to set");

    const problem = this.stageSet(params, keys);
    if (problem !== null) {
      return this.answerSet(id, idText, version, ack, problem.refusal === "unknown" ? Code.UnknownProperty : Code.ParameterError, problem.message);
    }
    this.dropStale(this.change);
    const outcome = this.change.count > 0 ? this.settings.commit(this.change) : null;
    if (outcome !== null && isProblem(outcome)) {
      return this.answerSet(id, idText, version, ack, outcome.refusal === "persist" ? Code.RequestError : Code.ParameterError, outcome.message);
    }
    // Committed: only now is the platform told, then the consequences follow.
    this.answerSet(id, idText, version, ack, Code.Success, SUCCESS_MESSAGE);
    this.log.write(LogLevel.Info, "desired", `set ${idText} applied: ${keys.join(",")}`);
    const inSync = this.sync === Sync.Waiting || this.sync === Sync.Backoff;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      if (!this.change.has(i)) continue;
      const v = this.change.versions[i];
      if (v !== NO_VERSION) {
        if (v > this.fetched[i]) this.fetched[i] = v;
        this.deleteVersions[i] = v;
      } else {
        if (inSync) this.superseded[i] = 1;
        if (this.options.supersedeOnDirectSet) this.deleteVersions[i] = DELETE_ANY;
      }
    }
    if (outcome !== null) this.post(outcome.changed);
    this.sendDelete();
    return true;
  }

  /** Stage every entry of `params`; on problems return the first (with up to two more appended), nothing staged. */
  private stageSet(params: Plain, keys: string[]): SettingsProblem | null {
    const change = this.change;
    change.clear();
    this.deleteVersions.fill(NOT_DELETED);
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
  private dropStale(change: ChangeSet): void {
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      if (!change.has(i) || change.versions[i] === NO_VERSION) continue;
      const v = change.versions[i];
      const applied = this.settings.appliedVersion(i);
      if (v > applied && v > this.fetched[i]) continue;
      change.remove(i);
      this.count("stale_ignored");
      this.log.write(LogLevel.Info, "desired", `${PROPERTIES[i].name} version ${v} ignored: not newer than ${Math.max(applied, this.fetched[i])}`);
      if (v <= applied) this.deleteVersions[i] = v;
    }
  }

  private refuseSet(idText: string, version: string, ack: boolean, code: number, message: string): false {
    this.count("sets_refused");
    this.log.write(LogLevel.Warn, "desired", `set ${idText || "(no id)"} refused: ${message}`);
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return false;
  }

  /**
   * Reply to a set with a valid id and remember the answer for redeliveries; not a store failure, which may be
   * transient: a redelivery of that set is tried again.
   */
  private answerSet(id: number, idText: string, version: string, ack: boolean, code: number, message: string): boolean {
    if (code !== Code.RequestError) {
      const slot = this.recentNext;
      this.recentIds[slot] = id;
      this.recentCodes[slot] = code;
      this.recentMessages[slot] = message;
      this.recentNext = (slot + 1) % this.recentIds.length;
    }
    if (code !== Code.Success) return this.refuseSet(idText, version, ack, code, message);
    this.count("sets_applied");
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return true;
  }

  // ---- thing.property.desired.get -------------------------------------------------------------------------------

  private sendGet(nowMs: number): void {
    const id = this.nextId();
    this.superseded.fill(0);
    this.count("get_sent");
    // State first: an uplink that delivers synchronously may bring the reply before publish returns.
    this.sync = Sync.Waiting;
    this.getId = id;
    this.getDeadline = nowMs + this.options.requestTimeoutMs;
    if (!this.publish(DesiredOut.DesiredGet, encodeDesiredGet(String(id), this.names))) this.scheduleRetry(nowMs);
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
      this.count("unexpected_replies");
      return;
    }
    const nowMs = this.clock.monotonicMs();
    if (reply.code !== Code.Success) {
      this.count("get_errors");
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
    const change = this.change;
    change.clear();
    this.deleteVersions.fill(NOT_DELETED);
    const keys = Object.keys(data);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const i = propertyIndex(key);
      if (i < 0) {
        this.count("unknown_properties");
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
        this.deleteVersions[i] = version;
        continue;
      }
      if (version <= this.fetched[i]) continue;
      this.fetched[i] = version;
      if (this.superseded[i] === 1) {
        this.count("values_superseded");
        this.log.write(LogLevel.Info, "desired", `desired ${key} version ${version} superseded by a direct set`);
        this.deleteVersions[i] = version;
        continue;
      }
      if (!hasOwn(entry, "value") || entry.value === null) continue;
      const problem = this.settings.stage(change, key, entry.value, version, "desired.");
      if (problem !== null) {
        // Left on the platform (not deleted) so an operator sees it pending; retried at the next connection only.
        this.count("values_rejected");
        this.log.write(LogLevel.Warn, "desired", `desired value refused: ${problem.message} (version ${version})`);
      }
    }
    let changed: PropertyName[] = [];
    if (change.count > 0) {
      const outcome = this.settings.commit(change);
      if (isProblem(outcome)) {
        this.count("values_rejected");
        this.log.write(LogLevel.Warn, "desired", `desired values refused as a whole: ${outcome.message}`);
      } else {
        changed = outcome.changed;
        this.count("values_applied", change.count);
        for (let i = 0; i < PROPERTY_COUNT; i++) if (change.has(i)) this.deleteVersions[i] = change.versions[i];
        this.log.write(LogLevel.Info, "desired", `desired values applied: ${outcome.versioned.join(",")}`);
      }
    }
    if (!this.postedAll) {
      this.postedAll = true;
      this.post(this.names as PropertyName[]);
    } else {
      this.post(changed);
    }
    this.sendDelete();
  }

  // ---- thing.property.desired.delete and thing.event.property.post ----------------------------------------------

  private sendDelete(): void {
    let params: Record<string, { version?: number }> | null = null;
    for (let i = 0; i < PROPERTY_COUNT; i++) {
      const v = this.deleteVersions[i];
      if (v === NOT_DELETED) continue;
      if (params === null) params = {};
      params[PROPERTIES[i].name] = v === DELETE_ANY ? {} : { version: v };
    }
    this.deleteVersions.fill(NOT_DELETED);
    if (params === null || this.sync === Sync.Offline) return;
    const id = this.nextId();
    const slot = this.options.deleteAck ? this.addPending(id, Pending.Delete) : -1;
    if (!this.publish(DesiredOut.DesiredDelete, encodeDesiredDelete(String(id), params, this.options.deleteAck)) && slot >= 0) {
      this.pendingKinds[slot] = Pending.Free;
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
      this.pendingKinds[slot] = Pending.Free;
    }
  }

  private onAckReply(text: string, kind: number): void {
    const what = kind === Pending.Delete ? "desired delete" : "property post";
    const reply = parseObject(text);
    if (typeof reply === "string") return this.malformed(`${what} reply`, reply);
    const id = parseMessageId(reply.id);
    let slot = -1;
    for (let i = 0; i < this.pendingKinds.length; i++) {
      if (this.pendingKinds[i] === kind && this.pendingIds[i] === id) slot = i;
    }
    if (slot < 0) {
      this.count("unexpected_replies");
      return;
    }
    this.pendingKinds[slot] = Pending.Free;
    if (reply.code !== Code.Success) {
      // A refused delete is not retried now: the value is still there at the next connection's get, and its version
      // is at most the applied one, so that get deletes it again.
      this.count(kind === Pending.Delete ? "delete_errors" : "post_errors");
      this.log.write(LogLevel.Warn, "desired", `${what} ${id} refused: code ${shortJson(reply.code)} ${shortJson(reply.message)}`);
    }
  }

  /** Register a request awaiting its reply (before it is published: see sendGet); returns its slot. */
  private addPending(id: number, kind: number): number {
    const kinds = this.pendingKinds;
    let slot = -1;
    for (let i = 0; i < kinds.length && slot < 0; i++) if (kinds[i] === Pending.Free) slot = i;
    if (slot < 0) {
      slot = 0;
      for (let i = 1; i < kinds.length; i++) if (this.pendingDeadlines[i] < this.pendingDeadlines[slot]) slot = i;
      this.count("pending_evicted");
    }
    this.pendingIds[slot] = id;
    this.pendingKinds[slot] = kind;
    this.pendingDeadlines[slot] = this.clock.monotonicMs() + this.options.requestTimeoutMs;
    return slot;
  }

  // ---- small helpers --------------------------------------------------------------------------------------------

  private nextId(): number {
    const failures = this.ids.persistFailures;
    const id = this.ids.nextNumber();
    if (this.ids.persistFailures !== failures) {
      this.count("id_persist_failures");
      this.log.write(LogLevel.Error, "desired", "message id block not persisted: ids may repeat after a reboot");
    }
    return id;
  }

  private publish(kind: DesiredOut, payload: string): boolean {
    if (this.uplink.publish(kind, payload)) return true;
    this.count("publish_failures");
    return false;
  }

  private malformed(what: string, problem: string): void {
    this.count("malformed_replies");
    this.log.write(LogLevel.Warn, "desired", `${what} ignored: ${problem}`);
  }

  private count(name: string, amount = 1): void {
    this.counters.add(this.c[name], amount);
  }
}
