/**
 * Spec 000 command handler: create / update / delete / update_all / sync of demand and anti-backflow strategies,
 * and the device's own streaming_overdemand/list/post report. Sans-I/O: a command's payload text goes in, the
 * messages to publish come out (topic suffix + payload text); the caller owns the MQTT session and the topic prefix.
 *
 * Contract, in this order for a changing command: envelope checked -> duplicate? (same mid: the remembered reply,
 * nothing re-applied) -> data validated against the field tables -> bounds checked (count, one meter per device
 * type, list fits one packet) -> reply text built -> ONE store transaction with the change AND that reply ->
 * only then the RAM view changes, listeners run, and the 200 reply plus a fresh list report are returned.
 * Any refusal is a 400 naming the field, with nothing changed.
 */
import { LogLevel, type Clock, type Log, type RandomSource } from "../../../hal/types";
import type { Counters } from "../../core/counters";
import { MAX_MID_LENGTH, CODE_BAD_REQUEST, CODE_OK, EnvelopeWriter, parseCommand } from "../envelope";
import { hasOwn, isPlainObject, putField, shortJson, utf8Length } from "../json-values";
import type { LocalCalendar } from "./local-month";
import { MAX_ID, type StrategyBody } from "./model";
import { entryOf, sortById, stage, withIdFirst, type StrategyEntry } from "./strategy-set";
import type { StrategyCommit, StrategyStorePort } from "./store-port";
import { checkPatch, checkStrategy } from "./validate";
import { deepFreeze } from "../../core/freeze";

export type OverdemandAction = "create" | "update" | "delete" | "update_all" | "sync";
export const OVERDEMAND_ACTIONS: readonly OverdemandAction[] = deepFreeze(["create", "update", "delete", "update_all", "sync"]);

export const LIST_TYPE = "streaming_overdemand_list";
export const LIST_TOPIC_SUFFIX = "streaming_overdemand/list/post";

export function commandType(action: OverdemandAction): string {
  return `streaming_overdemand_${action}`;
}
export function commandTopicSuffix(action: OverdemandAction): string {
  return `streaming_overdemand/${action}/command`;
}
export function resultTopicSuffix(action: OverdemandAction): string {
  return `streaming_overdemand/${action}/result`;
}

/** A message to publish under the device's topic prefix (v1/wudun/${PK}/${DEVICE}/ or v1/user/${TENANT}/${DEVICE}/). */
export interface OverdemandOutput {
  topicSuffix: string;
  payload: string;
  /** A result's code (200 / 400); 0 for the list report. */
  code: number;
}

/**
 * Bytes of a list report that are not the list: MQTT header, topic, and the envelope around `data` with the longest
 * trace_id and mid accepted (measured ~450 bytes; the rest is margin for long product keys and device names).
 */
export const LIST_ENVELOPE_RESERVE_BYTES = 640;
/** Bytes a strategy may grow by when the report rewrites current_over_demand_condition. */
const CURRENT_CONDITION_RESERVE_BYTES = 40;

export interface OverdemandHandlerOptions {
  /** config.device.uid: the device_uid of every message. */
  deviceUid: string;
  clock: Clock;
  random: RandomSource;
  store: StrategyStorePort;
  /** The site's local calendar (config.site.timezone). */
  calendar: LocalCalendar;
  counters: Counters;
  log: Log;
  /** config.limits.maxStrategies */
  maxStrategies: number;
  /** The largest message the MQTT session sends: the whole list is reported in one message, so it must fit. */
  maxPacketBytes: number;
  /** 400 replies remembered in RAM for duplicates (they change nothing, so they are not written to flash). */
  rejectedReplyCapacity?: number;
}

interface Plan {
  entries: StrategyEntry[];
  commit: Omit<StrategyCommit, "reply">;
  resultData?: unknown;
}

export class OverdemandHandler {
  private entries: StrategyEntry[] = [];
  private nextId = 1;
  private readonly writer: EnvelopeWriter;
  private readonly listeners: (() => void)[] = [];
  private readonly rejected: { mid: string; text: string }[] = [];
  private readonly rejectedCapacity: number;
  readonly listBudgetBytes: number;
  private readonly cCommands: number;
  private readonly cRejected: number;
  private readonly cDuplicates: number;
  private readonly cStoreErrors: number;
  private readonly cLimitHits: number;
  private readonly cRejectedEvictions: number;

  constructor(private readonly options: OverdemandHandlerOptions) {
    this.writer = new EnvelopeWriter(options.deviceUid, options.clock, options.random);
    this.rejectedCapacity = options.rejectedReplyCapacity ?? 8;
    this.listBudgetBytes = options.maxPacketBytes - LIST_ENVELOPE_RESERVE_BYTES - utf8Length(options.deviceUid);
    const counters = options.counters;
    this.cCommands = counters.register("overdemand_commands");
    this.cRejected = counters.register("overdemand_rejected");
    this.cDuplicates = counters.register("overdemand_duplicates");
    this.cStoreErrors = counters.register("overdemand_store_errors");
    this.cLimitHits = counters.register("overdemand_limit_hits");
    this.cRejectedEvictions = counters.register("overdemand_rejected_cache_evictions");
    this.reload();
  }

  /** Strategies in id order (read-only view; replaced, never mutated, on change). */
  get strategies(): readonly StrategyEntry[] {
    return this.entries;
  }

  /** The next id create will assign (persisted). */
  get nextStrategyId(): number {
    return this.nextId;
  }

  /**
   * The stored body of strategy `id`, read from the store (command rate: bodies are not kept in RAM). Throws when
   * the store cannot give it (an id not in `strategies`, a record that no longer reads).
   */
  body(id: number): StrategyBody {
    const body = this.options.store.loadBody(id);
    if (body === null) throw new Error(`strategy ${id}: not in the store`);
    return body as StrategyBody;
  }

  /** Called after every committed change (boot load included), e.g. to refresh the control loop's input. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Rebuild the RAM view from the store (boot, or after a failed commit). */
  reload(): void {
    const loaded: StrategyEntry[] = [];
    for (const item of this.options.store.loadAll()) {
      // The store only ever holds bodies this code validated; a body that no longer parses is a bug or corruption
      // the store's CRCs missed: skip it loudly rather than refuse to boot.
      try {
        loaded.push(entryOf(JSON.parse(item.json) as StrategyBody, item.json));
      } catch (error) {
        this.options.counters.add(this.cStoreErrors);
        this.options.log.write(LogLevel.Error, "overdemand", `stored strategy ${item.id} unreadable: ${String(error)}`);
      }
    }
    this.entries = sortById(loaded);
    this.nextId = this.options.store.loadNextId();
    this.notify();
  }

  /** Handle one command received on `streaming_overdemand/<action>/command`. */
  handle(action: OverdemandAction, payload: string): OverdemandOutput[] {
    const { counters } = this.options;
    counters.add(this.cCommands);
    const type = commandType(action);
    const parsed = parseCommand(payload, type, this.options.deviceUid);
    if (!parsed.ok) return [this.reject(action, parsed.mid, parsed.traceId, parsed.msg)];
    const { mid, traceId, data } = parsed.command;
    const remembered = this.rememberedReply(mid);
    if (remembered !== null) {
      counters.add(this.cDuplicates);
      // Only committed changes are remembered on flash (200); refusals come from the RAM list (400).
      return [{ topicSuffix: resultTopicSuffix(action), payload: remembered, code: this.rejectedCode(mid) }];
    }
    if (action === "sync") {
      // Read-only: a duplicate is answered again with the current list (see docs/protocol-000.md).
      return [{ topicSuffix: resultTopicSuffix(action), payload: this.writer.result(type, mid, traceId, CODE_OK, "", this.listData()), code: CODE_OK }];
    }
    const plan = this.plan(action, data);
    if (typeof plan === "string") return [this.reject(action, mid, traceId, plan)];
    const text = this.writer.result(type, mid, traceId, CODE_OK, "", plan.resultData);
    try {
      this.options.store.commit({ ...plan.commit, reply: { mid, text } });
    } catch (error) {
      counters.add(this.cStoreErrors);
      this.options.log.write(LogLevel.Error, "overdemand", `${action} ${mid}: store commit failed: ${String(error)}`);
      // The transaction is all-or-nothing: RAM keeps the old set, which is what the store holds. Reload anyway in
      // case the failure came after the commit point; a store that cannot even be read must be reopened by the
      // wiring (StoreError STORE_FAILED / FLASH_FAILURE), and until then the old view stands.
      try {
        this.reload();
      } catch (reloadError) {
        this.options.log.write(LogLevel.Error, "overdemand", `reload after failed commit: ${String(reloadError)}`);
      }
      const reason = String(error);
      return [this.reject(action, mid, traceId, `store: the change could not be saved (${reason.length > 60 ? reason.slice(0, 60) + "..." : reason})`)];
    }
    this.entries = plan.entries;
    this.nextId = plan.commit.nextId;
    this.notify();
    return [{ topicSuffix: resultTopicSuffix(action), payload: text, code: CODE_OK }, this.listReport(traceId)];
  }

  /**
   * A command whose payload cannot be parsed (too large, not UTF-8, nested too deep: `problem`): answered 400 with
   * the problem as msg and `mid` as read from what arrived ("" when none). Nothing changes.
   */
  refuse(action: OverdemandAction, mid: string, problem: string): OverdemandOutput {
    this.options.counters.add(this.cCommands);
    return this.reject(action, mid.length <= MAX_MID_LENGTH ? mid : "", null, problem);
  }

  /** The device's streaming_overdemand_list report: after connecting, and after every change. */
  listReport(traceId: string | null = null): OverdemandOutput {
    return { topicSuffix: LIST_TOPIC_SUFFIX, payload: this.writer.report(LIST_TYPE, this.listData(), traceId), code: 0 };
  }

  /** Every strategy as the platform sees it: stored body, current_over_demand_condition set for this local month. */
  listData(): StrategyBody[] {
    const clock = this.options.clock;
    const month = clock.wallSynced() ? this.options.calendar.month(clock.wallMs()) : 0;
    const out: StrategyBody[] = [];
    for (const entry of this.entries) {
      const body = this.body(entry.id);
      if (month > 0) body.current_over_demand_condition = (body.over_demand_condition as number[])[month - 1];
      out.push(body);
    }
    return out;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private rememberedReply(mid: string): string | null {
    for (const entry of this.rejected) if (entry.mid === mid) return entry.text;
    try {
      return this.options.store.recentReply(mid);
    } catch (error) {
      // An unreadable remembered reply (CRC failure) must not stop the command: it is handled as new, and counted.
      this.options.counters.add(this.cStoreErrors);
      this.options.log.write(LogLevel.Error, "overdemand", `remembered reply for ${mid} unreadable: ${String(error)}`);
      return null;
    }
  }

  private rejectedCode(mid: string): number {
    for (const entry of this.rejected) if (entry.mid === mid) return CODE_BAD_REQUEST;
    return CODE_OK;
  }

  private reject(action: OverdemandAction, mid: string, traceId: string | null, msg: string): OverdemandOutput {
    this.options.counters.add(this.cRejected);
    this.options.log.write(LogLevel.Warn, "overdemand", `${action} ${mid || "(no mid)"}: 400 ${msg}`);
    const text = this.writer.result(commandType(action), mid, traceId, CODE_BAD_REQUEST, msg);
    if (mid !== "") {
      if (this.rejected.length === this.rejectedCapacity) {
        this.rejected.shift();
        this.options.counters.add(this.cRejectedEvictions);
      }
      this.rejected.push({ mid, text });
    }
    return { topicSuffix: resultTopicSuffix(action), payload: text, code: CODE_BAD_REQUEST };
  }

  private plan(action: Exclude<OverdemandAction, "sync">, data: unknown): Plan | string {
    if (data === undefined) return "data: required";
    switch (action) {
      case "create":
        return this.planCreate(data);
      case "update":
        return this.planUpdate(data);
      case "delete":
        return this.planDelete(data);
      case "update_all":
        return this.planUpdateAll(data);
    }
  }

  private planCreate(data: unknown): Plan | string {
    const checked = checkStrategy(data, "data");
    if (!checked.ok) return checked.msg;
    const id = this.nextId;
    if (id > MAX_ID) return this.limit(`data: no strategy id left (ids are never reused, the last was ${MAX_ID})`);
    // The device assigns ids: an id the platform put in a create is replaced (docs/protocol-000.md).
    const { entry, json } = stage(withIdFirst(id, checked.value));
    const clash = this.meterClash(this.entries, entry, -1);
    if (clash !== null) return this.clashMessage("data", entry, clash);
    const entries = sortById(this.entries.concat([entry]));
    const bound = this.checkBounds(entries);
    if (bound !== null) return bound;
    return {
      entries,
      commit: { replaceAll: false, put: [{ id, json }], remove: [], nextId: id + 1 },
      resultData: { id },
    };
  }

  private planUpdate(data: unknown): Plan | string {
    const found = this.findById(data);
    if (typeof found === "string") return found;
    const current = this.entries[found];
    const patch = checkPatch(data, "data", current.limits.deviceType);
    if (!patch.ok) return patch.msg;
    // Shallow merge by field: a field in the update replaces the stored one whole (objects and lists included).
    const merged = this.body(current.id);
    for (const key of Object.keys(patch.value)) putField(merged, key, patch.value[key]);
    const checked = checkStrategy(merged, "data");
    if (!checked.ok) return checked.msg;
    const { entry, json } = stage(withIdFirst(current.id, checked.value));
    const clash = this.meterClash(this.entries, entry, current.id);
    if (clash !== null) return this.clashMessage("data", entry, clash);
    const entries = this.entries.slice();
    entries[found] = entry;
    const bound = this.checkBounds(entries);
    if (bound !== null) return bound;
    return { entries, commit: { replaceAll: false, put: [{ id: entry.id, json }], remove: [], nextId: this.nextId } };
  }

  private planDelete(data: unknown): Plan | string {
    const found = this.findById(data);
    if (typeof found === "string") return found;
    const id = this.entries[found].id;
    const entries = this.entries.slice();
    entries.splice(found, 1);
    return { entries, commit: { replaceAll: false, put: [], remove: [id], nextId: this.nextId } };
  }

  private planUpdateAll(data: unknown): Plan | string {
    if (!Array.isArray(data)) return `data: must be an array of strategies, got ${shortJson(data)}`;
    const max = this.options.maxStrategies;
    if (data.length > max) return this.limit(`data: at most ${max} strategies (limits.maxStrategies), got ${data.length}`);
    const bodies: StrategyBody[] = [];
    const explicitAt = new Map<number, number>();
    let maxExplicit = 0;
    for (let i = 0; i < data.length; i++) {
      const checked = checkStrategy(data[i], `data[${i}]`);
      if (!checked.ok) return checked.msg;
      const id = checked.value.id;
      if (typeof id === "number") {
        const other = explicitAt.get(id);
        if (other !== undefined) return `data[${i}].id: same id as data[${other}].id (${id})`;
        explicitAt.set(id, i);
        if (id > maxExplicit) maxExplicit = id;
      }
      bodies.push(checked.value);
    }
    // Items without an id get fresh ones; explicit ids (a re-sent sync list) are kept, and the counter moves past
    // them so a later create cannot collide.
    let next = Math.max(this.nextId, maxExplicit + 1);
    const entries: StrategyEntry[] = [];
    const put: { id: number; json: string }[] = [];
    for (let i = 0; i < bodies.length; i++) {
      let id = bodies[i].id;
      if (typeof id !== "number") {
        if (next > MAX_ID) return this.limit(`data[${i}]: no strategy id left (ids are never reused)`);
        id = next++;
      }
      const { entry, json } = stage(withIdFirst(id as number, bodies[i]));
      const clash = this.meterClash(entries, entry, -1);
      if (clash !== null) return `data[${i}].ele_meter_id: same meter (${entry.limits.meterId}) and device_type (${entry.limits.deviceType}) as data[${entries.indexOf(clash)}]`;
      entries.push(entry);
      put.push({ id: entry.id, json });
    }
    sortById(entries);
    const bound = this.checkBounds(entries);
    if (bound !== null) return bound;
    return { entries, commit: { replaceAll: true, put, remove: [], nextId: next } };
  }

  /** Index of the stored strategy named by data.id, or the problem. */
  private findById(data: unknown): number | string {
    if (!isPlainObject(data)) return `data: must be an object, got ${shortJson(data)}`;
    if (!hasOwn(data, "id")) return "data.id: required";
    const id = data.id;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > MAX_ID) {
      return `data.id: must be an integer between 1 and ${MAX_ID}, got ${shortJson(id)}`;
    }
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].id === id) return i;
    return `data.id: no strategy with id ${id}`;
  }

  /** The strategy that already covers the same meter for the same device type, if any. */
  private meterClash(entries: readonly StrategyEntry[], entry: StrategyEntry, ignoreId: number): StrategyEntry | null {
    for (const other of entries) {
      if (other.id === ignoreId || other.id === entry.id) continue;
      if (other.limits.meterId === entry.limits.meterId && other.limits.deviceType === entry.limits.deviceType) return other;
    }
    return null;
  }

  private clashMessage(path: string, entry: StrategyEntry, clash: StrategyEntry): string {
    return `${path}.ele_meter_id: strategy ${clash.id} already covers meter ${entry.limits.meterId} for device_type ${entry.limits.deviceType}`;
  }

  /** Count and size bounds of a candidate set, or the problem. */
  private checkBounds(entries: readonly StrategyEntry[]): string | null {
    const max = this.options.maxStrategies;
    if (entries.length > max) return this.limit(`data: at most ${max} strategies (limits.maxStrategies)`);
    let bytes = 2;
    for (let i = 0; i < entries.length; i++) bytes += entries[i].bytes + CURRENT_CONDITION_RESERVE_BYTES + (i > 0 ? 1 : 0);
    if (bytes > this.listBudgetBytes) {
      return this.limit(
        `data: the strategy list would need ${bytes} bytes, a report carries at most ${this.listBudgetBytes} (mqtt.maxPacketBytes)`,
      );
    }
    return null;
  }

  private limit(message: string): string {
    this.options.counters.add(this.cLimitHits);
    return message;
  }
}
