/**
 * Spec 004 on the device: direct property sets from the platform, desired values fetched after every (re)connect,
 * applied and deleted, and the current values posted after every change. Sans-I/O: MQTT messages come in through
 * `handle`, connection changes through `connected`/`disconnected`, time through `tick`; everything goes out through
 * the DesiredUplink. It never blocks and never retries faster than its backoff.
 *
 * Version rule (docs/protocol-004.md): a versioned value is applied only if its version is above both the persisted
 * last applied version of that property and the highest version seen on this connection; everything else is stale.
 *
 * In two layers of one class chain (one object): sync.ts (the state, the desired get / delete / post and their
 * pending requests) and this file (the public API and the direct property set). session-layout.ts holds the
 * outputs, options and the state array's layout, re-exported here.
 */
import { LogLevel } from "../../../hal/types";
import type { TickService } from "../../app/service";
import { ChangeSet, NO_VERSION } from "../../settings/change-set";
import { PROPERTY_COUNT } from "../../settings/registry";
import { isProblem } from "../../settings/settings";
import { hasOwn, isPlainObject, shortJson } from "../json-values";
import { Code, Method, PROTOCOL_VERSION, SUCCESS_MESSAGE } from "./codes";
import { parseMessageId } from "./message-ids";
import { encodeSetReply, parseObject } from "./messages";
import { Counter, DELETE_ANY, DesiredOut, FETCHED, NOT_DELETED, PENDING_KINDS, Pending, SUPERSEDED, Sync } from "./session-layout";
import { DesiredSync } from "./sync";
import { fnv1a32 } from "../../core/command-identity";

export * from "./session-layout";

export class DesiredSession extends DesiredSync implements TickService {
  /** Digest of the set being handled, remembered with its answer (answerSet). */
  protected setDigest = 0;
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
  protected expirePending(nowMs: number): void {
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

  protected onSet(text: string): boolean {
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
    const digest = fnv1a32(text);
    const recent = this.recentIndex(id, digest);
    if (recent === -2) {
      // The platform reused an id for another set: applied as new (docs/protocol-004.md), and counted.
      this.count(Counter.ReusedIds);
      this.log.write(LogLevel.Info, "desired", `set id ${idText} reused with other params: handled as new`);
    }
    if (recent >= 0) {
      // A redelivery (QoS 1 after a lost PUBACK): answering again is right, applying again could undo a later set.
      this.count(Counter.SetsDuplicate);
      const code = this.state[this.recentCodesAt + recent];
      if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, (this.recentMessages as string[])[recent], version));
      return true;
    }
    const params = request.params;
    this.setDigest = digest;
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

  protected refuseSet(idText: string, version: string, ack: boolean, code: number, message: string): false {
    this.count(Counter.SetsRefused);
    this.log.write(LogLevel.Warn, "desired", `set ${idText || "(no id)"} refused: ${message}`);
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return false;
  }

  /**
   * Reply to a set with a valid id and remember the answer for redeliveries; not a store failure, which may be
   * transient: a redelivery of that set is tried again.
   */
  protected answerSet(id: number, idText: string, version: string, ack: boolean, code: number, message: string): boolean {
    if (code !== Code.RequestError && this.recentCount > 0) {
      const slot = this.recentNext;
      this.state[this.recentIdsAt + slot] = id;
      this.state[this.recentCodesAt + slot] = code;
      this.state[this.recentDigestsAt + slot] = this.setDigest;
      if (this.recentMessages === null) this.recentMessages = new Array<string>(this.recentCount).fill("");
      this.recentMessages[slot] = message;
      this.recentNext = (slot + 1) % this.recentCount;
    }
    if (code !== Code.Success) return this.refuseSet(idText, version, ack, code, message);
    this.count(Counter.SetsApplied);
    if (ack) this.publish(DesiredOut.SetReply, encodeSetReply(idText, code, message, version));
    return true;
  }
}
