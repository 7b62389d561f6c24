/**
 * Spec 000 command handler: create / update / delete / update_all / sync of demand and anti-backflow strategies,
 * and the device's own streaming_overdemand/list/post report. Sans-I/O: a command's payload text goes in, the
 * messages to publish come out (topic suffix + payload text); the caller owns the MQTT session and the topic prefix.
 *
 * The strategy list (the list report, the sync result) is one message when it fits one packet, else several, each
 * a complete message with `part`, `parts` and `total` (ListPages below): the set is never refused for its size.
 *
 * Contract, in this order for a changing command: envelope checked -> duplicate? (same mid, same action and the same
 * payload digest: the remembered reply, nothing re-applied; a reused mid with another action or body is a new
 * command, src/core/command-identity.ts) -> data validated against the field tables -> bounds checked (count, one meter per device
 * type, each strategy fits one packet) -> reply text built -> ONE store transaction with the change AND that reply ->
 * only then the RAM view changes, listeners run, and the 200 reply plus a fresh list report are returned.
 * Any refusal is a 400 naming the field, with nothing changed.
 */
import { LogLevel, type Clock, type Log, type RandomSource } from "../../../hal/types";
import type { Counters } from "../../core/counters";
import { MAX_MID_LENGTH, CODE_BAD_REQUEST, CODE_OK, EnvelopeWriter, parseCommand, RawJson, type MessagePart } from "../envelope";
import { partStarts, type ReplyPages } from "../../core/reply-pages";
import { hasOwn, isPlainObject, putField, shortJson, utf8Length } from "../json-values";
import type { LocalCalendar } from "./local-month";
import { MAX_ID, type StrategyBody } from "./model";
import { entryOf, sortById, stage, withIdFirst, type StrategyEntry } from "./strategy-set";
import type { StoredStrategy, StrategyCommit, StrategyPuts, StrategyStorePort } from "./store-port";
import { Listed, Mapped } from "../../core/lazy-list";
import { checkPatch, checkStrategy, type Checked } from "./validate";
import { ArrayElements, elementSpans, memberSpan, splitArrayMember, TextElements, type JsonElements } from "../json-spans";
import { deepFreeze } from "../../core/freeze";
import { fnv1a32, rememberedReplyFor, rememberedText } from "../../core/command-identity";

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
  /**
   * When the message is the first of several (a strategy list larger than one packet): the rest, each part built
   * when asked for. Null for a message on its own.
   */
  rest: ReplyPages | null;
  /**
   * Set on the list report that follows a change: all its parts, the first included, to be built and sent later
   * (src/app/reply-pager.ts sendLater), once the command's text and the result are out of the heap. `payload` and
   * `rest` still give the message now, for a caller without a pager.
   */
  readonly later?: ReplyPages;
}

/** The list report after a change: the first part is built only when `payload` is read (or by whoever sends `later`). */
class LaterList implements OverdemandOutput {
  readonly code = 0;
  private first: string | null = null;

  constructor(
    readonly topicSuffix: string,
    readonly later: ReplyPages,
  ) {}

  get payload(): string {
    if (this.first === null) this.first = this.later.next() as string;
    return this.first;
  }

  /** The parts after the first; the first is built first, so that `later` stands at part 2. */
  get rest(): ReplyPages | null {
    if (this.first === null) this.first = this.later.next() as string;
    return this.later.parts > 1 ? this.later : null;
  }
}

/**
 * Bytes of a list report that are not the list: MQTT header, topic, and the envelope around `data` with the longest
 * trace_id and mid accepted (measured ~450 bytes; the rest is margin for long product keys and device names).
 */
export const LIST_ENVELOPE_RESERVE_BYTES = 640;
/** Bytes a strategy may grow by when the report rewrites current_over_demand_condition. */
const CURRENT_CONDITION_RESERVE_BYTES = 40;
/** update_all's strategies: the command's `data` array. */
const DATA_PATH = deepFreeze([["data"]]);

/** Item `i` of update_all's data, parsed (when still text) and checked. */
function checkItem(items: JsonElements, i: number): Checked {
  let item: unknown;
  try {
    item = items.at(i);
  } catch {
    return { ok: false, msg: `data[${i}]: not valid JSON` };
  }
  return checkStrategy(item, `data[${i}]`);
}

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
  /**
   * Recent 400 replies, a ring of `rejectedCapacity`: per slot the mid and reply text, and the identity as numbers
   * (action index, payload digest) in typed arrays.
   */
  private readonly rejectedMids: string[] = [];
  private readonly rejectedTexts: string[] = [];
  private readonly rejectedKinds: Uint8Array;
  private readonly rejectedDigests: Uint32Array;
  private rejectedNext = 0;
  private readonly rejectedCapacity: number;
  readonly listBudgetBytes: number;
  private readonly cCommands: number;
  private readonly cRejected: number;
  private readonly cDuplicates: number;
  private readonly cReusedMids: number;
  private readonly cStoreErrors: number;
  private readonly cLimitHits: number;
  private readonly cRejectedEvictions: number;

  constructor(private readonly options: OverdemandHandlerOptions) {
    this.writer = new EnvelopeWriter(options.deviceUid, options.clock, options.random);
    this.rejectedCapacity = options.rejectedReplyCapacity ?? 8;
    this.rejectedKinds = new Uint8Array(this.rejectedCapacity);
    this.rejectedDigests = new Uint32Array(this.rejectedCapacity);
    this.listBudgetBytes = options.maxPacketBytes - LIST_ENVELOPE_RESERVE_BYTES - utf8Length(options.deviceUid);
    const counters = options.counters;
    this.cCommands = counters.register("overdemand_commands");
    this.cRejected = counters.register("overdemand_rejected");
    this.cDuplicates = counters.register("overdemand_duplicates");
    this.cReusedMids = counters.register("overdemand_reused_mids");
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
    // The identity of this command beside its mid: a redelivery has the same action and the same bytes.
    const kind = OVERDEMAND_ACTIONS.indexOf(action);
    const digest = fnv1a32(payload);
    // update_all's strategies stay in the text and are parsed one at a time (planUpdateAll): parsed whole, with their
    // validated copies, eight strategies are ~1,000 of the device's 4,000 heap slots. Texts the scanner is not sure
    // of are parsed whole, as before (src/protocol/json-spans.ts).
    const split = action === "update_all" ? splitArrayMember(payload, DATA_PATH, this.options.maxStrategies) : null;
    const parsed = parseCommand(split === null ? payload : split.envelope, type, this.options.deviceUid);
    if (!parsed.ok) return [this.reject(action, parsed.mid, parsed.traceId, parsed.msg, kind, digest)];
    const { mid, traceId } = parsed.command;
    const data = split === null ? parsed.command.data : split.elements;
    const refused = this.rejectedSlot(mid, kind, digest);
    if (refused >= 0) {
      counters.add(this.cDuplicates);
      return [{ topicSuffix: resultTopicSuffix(action), payload: this.rejectedTexts[refused], code: CODE_BAD_REQUEST, rest: null }];
    }
    const remembered = this.rememberedReply(mid, kind, digest);
    if (remembered !== null) {
      counters.add(this.cDuplicates);
      // Only committed changes are remembered on flash (200); refusals come from the RAM ring (400, above).
      return [{ topicSuffix: resultTopicSuffix(action), payload: remembered, code: CODE_OK, rest: null }];
    }
    if (action === "sync") {
      // Read-only: a duplicate is answered again with the current list (see docs/protocol-000.md).
      return [this.listOutput(resultTopicSuffix(action), CODE_OK, (data, part) => this.writer.result(type, mid, traceId, CODE_OK, "", data, part))];
    }
    const plan = this.plan(action, data);
    if (typeof plan === "string") return [this.reject(action, mid, traceId, plan, kind, digest)];
    const text = this.writer.result(type, mid, traceId, CODE_OK, "", plan.resultData);
    try {
      this.options.store.commit({ ...plan.commit, reply: { mid, text: rememberedText(kind, digest, text) } });
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
      return [this.reject(action, mid, traceId, `store: the change could not be saved (${reason.length > 60 ? reason.slice(0, 60) + "..." : reason})`, kind, -1)];
    }
    this.entries = plan.entries;
    this.nextId = plan.commit.nextId;
    this.notify();
    // The list follows the result, built when it is sent: with a pager, after the command returned, so the command
    // text (up to a packet) and the list part being built are not in the heap at once.
    return [{ topicSuffix: resultTopicSuffix(action), payload: text, code: CODE_OK, rest: null }, new LaterList(LIST_TOPIC_SUFFIX, this.listPages(traceId))];
  }

  /**
   * A command whose payload cannot be parsed (too large, not UTF-8, nested too deep: `problem`): answered 400 with
   * the problem as msg and `mid` as read from what arrived ("" when none). Nothing changes.
   */
  refuse(action: OverdemandAction, mid: string, problem: string): OverdemandOutput {
    this.options.counters.add(this.cCommands);
    // Not remembered (digest -1): the payload was not read whole, and refusing it again costs nothing.
    return this.reject(action, mid.length <= MAX_MID_LENGTH ? mid : "", null, problem, 0, -1);
  }

  /** The device's streaming_overdemand_list report: after connecting, and after every change. */
  listReport(traceId: string | null = null): OverdemandOutput {
    return this.listOutput(LIST_TOPIC_SUFFIX, 0, (data, part) => this.writer.report(LIST_TYPE, data, traceId, part));
  }

  /** The list report's parts, none built yet. */
  private listPages(traceId: string | null): ListPages {
    return new ListPages(this, this.entries, this.listBudgetBytes, (data, part) => this.writer.report(LIST_TYPE, data, traceId, part));
  }

  /** Every strategy as the platform sees it: stored body, current_over_demand_condition set for this local month. */
  listData(): StrategyBody[] {
    return this.listBodies(this.entries, 0, this.entries.length);
  }

  /** The bodies of entries[from, to) as listData gives them. */
  private listBodies(entries: readonly StrategyEntry[], from: number, to: number): StrategyBody[] {
    const out: StrategyBody[] = [];
    for (let i = from; i < to; i++) out.push(this.listBody(entries[i].id));
    return out;
  }

  /** One strategy as the list shows it: the stored body with this local month's current_over_demand_condition. */
  listBody(id: number): StrategyBody {
    const clock = this.options.clock;
    const month = clock.wallSynced() ? this.options.calendar.month(clock.wallMs()) : 0;
    const body = this.body(id);
    if (month > 0) body.current_over_demand_condition = (body.over_demand_condition as number[])[month - 1];
    return body;
  }

  /**
   * listBody as JSON text, made from the stored text without parsing it (the list report of eight strategies was
   * eight object trees at once, ~500 of the device's 4,000 heap slots): this month's value of over_demand_condition
   * is copied as written into current_over_demand_condition, replacing the member if the body has one, else added
   * last, where setting it on the parsed object puts it. Falls back to listBody for a text the scanner declines.
   */
  listBodyText(id: number): string {
    const clock = this.options.clock;
    const month = clock.wallSynced() ? this.options.calendar.month(clock.wallMs()) : 0;
    const text = this.options.store.loadBodyJson(id);
    if (text === null) throw new Error(`strategy ${id}: not in the store`);
    if (month === 0) return text;
    const monthly = memberSpan(text, 0, "over_demand_condition");
    const values = monthly === null ? null : elementSpans(text, monthly[0], monthly[1], 12);
    if (values === null || values.length < 2 * month) return JSON.stringify(this.listBody(id));
    const value = text.slice(values[2 * (month - 1)], values[2 * (month - 1) + 1]);
    const current = memberSpan(text, 0, "current_over_demand_condition");
    if (current !== null) return text.slice(0, current[0]) + value + text.slice(current[1]);
    const close = text.lastIndexOf("}");
    return `${text.slice(0, close)}${close > 1 ? "," : ""}"current_over_demand_condition":${value}}`;
  }

  /** Whether strategy `id` is in force now. */
  has(id: number): boolean {
    for (const entry of this.entries) if (entry.id === id) return true;
    return false;
  }

  /** The list as one message, or the first of several with the rest to follow (`rest`). */
  private listOutput(topicSuffix: string, code: number, envelope: (data: RawJson, part: MessagePart | null) => string): OverdemandOutput {
    const pages = new ListPages(this, this.entries, this.listBudgetBytes, envelope);
    return { topicSuffix, payload: pages.next() as string, code, rest: pages.parts > 1 ? pages : null };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** The RAM ring slot of a refusal of this very command (same mid, action and digest), or -1. */
  private rejectedSlot(mid: string, kind: number, digest: number): number {
    const mids = this.rejectedMids;
    for (let i = 0; i < mids.length; i++) {
      if (mids[i] === mid && this.rejectedKinds[i] === kind && this.rejectedDigests[i] === digest) return i;
    }
    return -1;
  }

  /** The committed reply remembered for this very command, or null (none, or the mid was used by another command). */
  private rememberedReply(mid: string, kind: number, digest: number): string | null {
    try {
      const stored = this.options.store.recentReply(mid);
      const reply = rememberedReplyFor(stored, kind, digest);
      if (stored !== null && reply === null) {
        // The platform reused a mid for another command: handled as new (docs/protocol-000.md), and counted.
        this.options.counters.add(this.cReusedMids);
        this.options.log.write(LogLevel.Info, "overdemand", `mid ${mid} reused by another command: handled as new`);
      }
      return reply;
    } catch (error) {
      // An unreadable remembered reply (CRC failure) must not stop the command: it is handled as new, and counted.
      this.options.counters.add(this.cStoreErrors);
      this.options.log.write(LogLevel.Error, "overdemand", `remembered reply for ${mid} unreadable: ${String(error)}`);
      return null;
    }
  }

  /**
   * A 400 reply. Remembered in the RAM ring under (mid, action, digest) so a redelivery gets the same answer, unless
   * `digest` is -1 (a payload not read whole, a store failure that a redelivery may get past).
   */
  private reject(action: OverdemandAction, mid: string, traceId: string | null, msg: string, kind: number, digest: number): OverdemandOutput {
    this.options.counters.add(this.cRejected);
    this.options.log.write(LogLevel.Warn, "overdemand", `${action} ${mid || "(no mid)"}: 400 ${msg}`);
    const text = this.writer.result(commandType(action), mid, traceId, CODE_BAD_REQUEST, msg);
    if (mid !== "" && digest >= 0 && this.rejectedCapacity > 0) {
      const slot = this.rejectedNext;
      if (slot < this.rejectedMids.length) this.options.counters.add(this.cRejectedEvictions);
      this.rejectedMids[slot] = mid;
      this.rejectedTexts[slot] = text;
      this.rejectedKinds[slot] = kind;
      this.rejectedDigests[slot] = digest;
      this.rejectedNext = (slot + 1) % this.rejectedCapacity;
    }
    return { topicSuffix: resultTopicSuffix(action), payload: text, code: CODE_BAD_REQUEST, rest: null };
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
      commit: { replaceAll: false, put: new Listed([{ id, json }]), remove: [], nextId: id + 1 },
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
    return { entries, commit: { replaceAll: false, put: new Listed([{ id: entry.id, json }]), remove: [], nextId: this.nextId } };
  }

  private planDelete(data: unknown): Plan | string {
    const found = this.findById(data);
    if (typeof found === "string") return found;
    const id = this.entries[found].id;
    const entries = this.entries.slice();
    entries.splice(found, 1);
    return { entries, commit: { replaceAll: false, put: new Listed([]), remove: [id], nextId: this.nextId } };
  }

  private planUpdateAll(data: unknown): Plan | string {
    if (!(data instanceof TextElements) && !Array.isArray(data)) return `data: must be an array of strategies, got ${shortJson(data)}`;
    const items = data instanceof TextElements ? data : new ArrayElements(data);
    const max = this.options.maxStrategies;
    if (items.length > max) return this.limit(`data: at most ${max} strategies (limits.maxStrategies), got ${items.length}`);
    // Two passes over the items, each parsing and checking one at a time: the first finds the explicit ids (fresh
    // ids are given past the largest), the second checks each staged body against the others. No list of bodies or
    // of their texts is held: the commit stages each body again as the store takes it (RestagedPuts).
    const explicitIds: number[] = [];
    let maxExplicit = 0;
    for (let i = 0; i < items.length; i++) {
      const checked = checkItem(items, i);
      if (!checked.ok) return checked.msg;
      const id = checked.value.id;
      if (typeof id === "number") {
        const other = explicitIds.indexOf(id);
        if (other >= 0) return `data[${i}].id: same id as data[${other}].id (${id})`;
        if (id > maxExplicit) maxExplicit = id;
      }
      explicitIds.push(typeof id === "number" ? id : -1);
    }
    // Items without an id get fresh ones; explicit ids (a re-sent sync list) are kept, and the counter moves past
    // them so a later create cannot collide.
    let next = Math.max(this.nextId, maxExplicit + 1);
    const entries: StrategyEntry[] = [];
    const ids: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const checked = checkItem(items, i);
      if (!checked.ok) return checked.msg;
      const body = checked.value;
      let id = body.id;
      if (typeof id !== "number") {
        if (next > MAX_ID) return this.limit(`data[${i}]: no strategy id left (ids are never reused)`);
        id = next++;
      }
      const { entry } = stage(withIdFirst(id as number, body));
      const clash = this.meterClash(entries, entry, -1);
      if (clash !== null) return `data[${i}].ele_meter_id: same meter (${entry.limits.meterId}) and device_type (${entry.limits.deviceType}) as data[${entries.indexOf(clash)}]`;
      entries.push(entry);
      ids.push(entry.id);
    }
    sortById(entries);
    const bound = this.checkBounds(entries);
    if (bound !== null) return bound;
    return { entries, commit: { replaceAll: true, put: restagedPuts(items, ids), remove: [], nextId: next } };
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

  /**
   * Count and size bounds of a candidate set, or the problem. The whole list may take several messages; each
   * strategy must fit one.
   */
  private checkBounds(entries: readonly StrategyEntry[]): string | null {
    const max = this.options.maxStrategies;
    if (entries.length > max) return this.limit(`data: at most ${max} strategies (limits.maxStrategies)`);
    for (let i = 0; i < entries.length; i++) {
      const bytes = entries[i].bytes + CURRENT_CONDITION_RESERVE_BYTES + 2;
      if (bytes > this.listBudgetBytes) {
        return this.limit(`data: strategy ${entries[i].id} would need ${bytes} bytes, a report carries at most ${this.listBudgetBytes} (mqtt.maxPacketBytes)`);
      }
    }
    return null;
  }

  private limit(message: string): string {
    this.options.counters.add(this.cLimitHits);
    return message;
  }
}

/**
 * update_all's strategies for the commit, staged again from the command text one at a time as the store packs them:
 * the same texts planUpdateAll checked (parsing and checking are deterministic), with the ids it gave (`ids[i]` for
 * item i). A text that no longer checks cannot happen; if it did, the throw aborts the transaction (nothing changes).
 */
function restagedPuts(items: JsonElements, ids: readonly number[]): StrategyPuts {
  return new Mapped(ids, (id, index): StoredStrategy => {
    const checked = checkItem(items, index);
    if (!checked.ok) throw new Error(`update_all: data[${index}] no longer checks: ${checked.msg}`);
    return { id, json: stage(withIdFirst(id, checked.value)).json };
  });
}

/**
 * The strategy list in as many messages as it takes: parts planned at once from the entries' stored sizes (plus the
 * month's current_over_demand_condition), each part's bodies read from the store and its text built only when
 * asked for. `entries` is the handler's view at the time of the command (replaced, never mutated, on change), so
 * every part comes from the same set; a strategy deleted before its part is built is left out of it.
 */
class ListPages implements ReplyPages {
  readonly parts: number;
  private readonly starts: Uint16Array | Uint32Array;
  private part = 0;

  constructor(
    private readonly handler: OverdemandHandler,
    private readonly entries: readonly StrategyEntry[],
    budgetBytes: number,
    private readonly envelope: (data: RawJson, part: MessagePart | null) => string,
  ) {
    // Each part's list is wrapped in "[" and "]" (2 bytes); each body with its comma and this month's condition.
    this.starts = partStarts(entries.length, (i) => entries[i].bytes + CURRENT_CONDITION_RESERVE_BYTES + 1, budgetBytes - 2);
    this.parts = this.starts.length - 1;
  }

  next(): string | null {
    if (this.part >= this.parts) return null;
    const index = this.part++;
    const from = this.starts[index];
    const to = this.starts[index + 1];
    // The part's bodies as JSON text, one strategy at a time from the store (listBodyText): no object trees.
    let data = "[";
    for (let i = from; i < to; i++) {
      const id = this.entries[i].id;
      // Deleted since the plan: left out (its own delete result and the next list report say so).
      if (this.handler.has(id)) data += (data.length > 1 ? "," : "") + this.handler.listBodyText(id);
    }
    return this.envelope(new RawJson(data + "]"), this.parts === 1 ? null : { part: index + 1, parts: this.parts, total: this.entries.length });
  }
}
