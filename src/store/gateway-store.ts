/**
 * The gateway's persistent state on one RecordStore: the typed collections the firmware uses, and transactions over
 * them. Protocol handlers put a command's whole effect AND its reply (replies.put) in one transaction, then send the
 * reply only after `transaction()` returned: that is the durability contract (docs/store.md).
 *
 *   const id = db.transaction((tx) => {
 *     const id = tx.strategies.create(body);
 *     tx.replies.put(mid, replyText);
 *     return id;
 *   }); // committed here; a StoreError (STORE_FULL, COLLECTION_FULL, ...) means nothing changed
 */
import type { NorFlash } from "../../hal/types";
import { Counters } from "../core/counters";
import { DocumentCollection, NumberCollection, PeakDemand, RecentReplies, StoreScratch, type ReplyPlan } from "./collections";
import { StoreError } from "./errors";
import { RecordStore } from "./record-store";
import type { Transaction } from "./transaction";
import { deepFreeze } from "../core/freeze";

/** Collection ids: part of the flash format, never renumber. */
export const COLLECTION = deepFreeze({
  meta: 1,
  strategies: 2,
  tasks: 3,
  desired: 4,
  settings: 5,
  ota: 6,
  peak: 7,
  replies: 8,
  uplinks: 9,
} as const);

export interface GatewayStoreOptions {
  /** config.limits.maxStrategies */
  maxStrategies: number;
  /** config.limits.maxTasks */
  maxTasks: number;
  /** Desired-property versions kept (spec 004). Default 64. */
  maxDesired?: number;
  /** Device settings kept. Default 64. */
  maxSettings?: number;
  /** Recent command replies kept (oldest evicted). Default 16. */
  maxReplies?: number;
  /** Durable QoS 1 uplinks awaiting a PUBACK (src/app/uplink-journal.ts). Default 32. */
  maxUplinks?: number;
  /** Named numbers (id counters, message-id block, ...). Default 16. */
  maxMeta?: number;
  /** Largest encoded value (a packed strategy with meter and devices is ~0.4-1 KB). Default 1536. */
  maxValueBytes?: number;
  /**
   * Staging RAM for one transaction's encoded keys and values: config.limits.maxPacketBytes is enough (a command's
   * change is never larger packed than the JSON that carried it, but for floats JSON writes in < 9 characters, which
   * packed needs 9 bytes for in the worst case). Default 8192.
   */
  maxTxBytes?: number;
  /** Records in one transaction. Default max(maxTasks, maxStrategies) + 8 (a replace-all plus its bookkeeping). */
  maxTxRecords?: number;
  /**
   * Flash kept free by every change that adds data, so that a delete command and its reply still fit when the store
   * is full. Default 512: two 64-byte-key tombstones and a ~350-byte reply.
   */
  reserveBytes?: number;
  verifyWrites?: boolean;
  counters?: Counters;
}

/** Meta names used by the store itself. */
const NEXT_STRATEGY_ID = "strategy.nextId";
const OTA_KEY = "state";
/** Strategy ids are int32 on the platform (spec 000 model). */
export const MAX_STRATEGY_ID = 2_147_483_647;

export class GatewayStore {
  readonly records: RecordStore;
  readonly counters: Counters;
  readonly strategies: DocumentCollection<number>;
  readonly tasks: DocumentCollection<string>;
  readonly settings: DocumentCollection<string>;
  readonly desired: NumberCollection;
  readonly meta: NumberCollection;
  readonly peak: PeakDemand;
  readonly replies: RecentReplies;
  /** Durable uplinks by sequence number (8 hex digits): { r: route name, p: payload text }. */
  readonly uplinks: DocumentCollection<string>;
  /** How many the `uplinks` collection holds (options.maxUplinks). */
  readonly uplinkCapacity: number;
  private readonly otaDocs: DocumentCollection<string>;
  private readonly tx: GatewayTransaction;
  private readonly evictedCounter: number;

  static open(flash: NorFlash, options: GatewayStoreOptions): GatewayStore {
    return new GatewayStore(flash, options);
  }

  private constructor(flash: NorFlash, options: GatewayStoreOptions) {
    const maxValueBytes = options.maxValueBytes ?? 1536;
    this.counters = options.counters ?? new Counters(64);
    this.records = RecordStore.open(flash, {
      collections: [
        { id: COLLECTION.meta, name: "meta", capacity: options.maxMeta ?? 16 },
        { id: COLLECTION.strategies, name: "strategies", capacity: options.maxStrategies },
        { id: COLLECTION.tasks, name: "tasks", capacity: options.maxTasks },
        { id: COLLECTION.desired, name: "desired versions", capacity: options.maxDesired ?? 64 },
        { id: COLLECTION.settings, name: "settings", capacity: options.maxSettings ?? 64 },
        { id: COLLECTION.ota, name: "ota state", capacity: 1 },
        { id: COLLECTION.peak, name: "peak demand", capacity: 1 },
        { id: COLLECTION.replies, name: "recent replies", capacity: options.maxReplies ?? 16 },
        { id: COLLECTION.uplinks, name: "uplinks awaiting acknowledgement", capacity: options.maxUplinks ?? 32 },
      ],
      maxKeyBytes: 64,
      maxValueBytes,
      maxTxBytes: options.maxTxBytes ?? 8192,
      maxTxRecords: options.maxTxRecords ?? Math.max(options.maxTasks, options.maxStrategies) + 8,
      reserveBytes: options.reserveBytes ?? 512,
      verifyWrites: options.verifyWrites,
      counters: this.counters,
    });
    const scratch = new StoreScratch(64, maxValueBytes);
    const store = this.records;
    this.meta = new NumberCollection(store, COLLECTION.meta, "text", scratch);
    this.strategies = new DocumentCollection<number>(store, COLLECTION.strategies, "id", scratch);
    this.tasks = new DocumentCollection<string>(store, COLLECTION.tasks, "text", scratch);
    this.desired = new NumberCollection(store, COLLECTION.desired, "text", scratch);
    this.settings = new DocumentCollection<string>(store, COLLECTION.settings, "text", scratch);
    this.otaDocs = new DocumentCollection<string>(store, COLLECTION.ota, "text", scratch);
    this.peak = new PeakDemand(store, COLLECTION.peak);
    this.replies = new RecentReplies(store, COLLECTION.replies, "text", scratch);
    this.uplinks = new DocumentCollection(store, COLLECTION.uplinks, "text", scratch);
    this.uplinkCapacity = options.maxUplinks ?? 32;
    this.replies.rebuild();
    this.evictedCounter = this.counters.register("store_replies_evicted");
    this.tx = new GatewayTransaction(this);
  }

  /** The id the next created strategy gets (1 on a fresh store). Ids are never reused, across deletes and reboots. */
  nextStrategyId(): number {
    return this.meta.get(NEXT_STRATEGY_ID) ?? 1;
  }

  /** The OTA state document, or undefined. */
  otaState(): unknown {
    return this.otaDocs.get(OTA_KEY);
  }

  /** Run `fn` in one transaction over any collections: committed when this returns; on a throw nothing changed. */
  transaction<T>(fn: (tx: GatewayTransaction) => T): T {
    const tx = this.begin();
    try {
      const result = fn(tx);
      if (tx.isOpen) tx.commit();
      return result;
    } catch (error) {
      if (tx.isOpen) tx.abort();
      throw error;
    }
  }

  /** Explicit form: begin(), stage, commit() (or abort()). One transaction at a time. */
  begin(): GatewayTransaction {
    this.tx.start(this.records.begin());
    return this.tx;
  }

  /** @internal */
  otaCollection(): DocumentCollection<string> {
    return this.otaDocs;
  }

  /** @internal called after a commit that evicted replies */
  countEvictions(n: number): void {
    if (n > 0) this.counters.add(this.evictedCounter, n);
  }
}

/** The typed transaction handed to `GatewayStore.transaction`. One object per store, reused. */
/**
 * The per-collection operations of a GatewayTransaction. Classes, not object literals of arrow functions: their
 * methods live once in the preloaded prototype (flash), where a literal's ~30 closures would cost ~180 XS heap slots.
 */
class StrategyOps {
  constructor(private readonly tx: GatewayTransaction) {}
  /** Store a new strategy under the next id; returns the id. */
  create(value: unknown): number {
    const tx = this.tx;
    const id = tx.nextId;
    if (id > MAX_STRATEGY_ID) tx.fail("KEY_INVALID", `strategy ids exhausted (next ${id})`);
    tx.db.strategies.put(tx.need(), id, value);
    tx.nextId = id + 1;
    tx.nextIdDirty = true;
    return id;
  }
  /** Create or replace the strategy `id` (an id at or past the counter moves the counter past it). */
  put(id: number, value: unknown): void {
    this.tx.db.strategies.put(this.tx.need(), id, value);
    this.tx.bumpNextId(id);
  }
  putJson(id: number, json: string): void {
    this.tx.db.strategies.putJson(this.tx.need(), id, json);
    this.tx.bumpNextId(id);
  }
  delete(id: number): void {
    this.tx.db.strategies.delete(this.tx.need(), id);
  }
  /** Remove every strategy (update_all); the id counter is kept. */
  clear(): void {
    this.tx.db.strategies.clear(this.tx.need());
  }
  /** Set the id counter (when the handler assigns ids itself). Refused if it would go backwards. */
  setNextId(next: number): void {
    const tx = this.tx;
    tx.need();
    if (!(Number.isInteger(next) && next >= tx.nextId && next <= MAX_STRATEGY_ID + 1)) {
      tx.fail("VALUE_INVALID", `strategy next id ${next}: must be an integer >= ${tx.nextId} (ids are never reused)`);
    }
    if (next !== tx.nextId) {
      tx.nextId = next;
      tx.nextIdDirty = true;
    }
  }
  /** The id counter as this transaction leaves it. */
  nextId(): number {
    return this.tx.nextId;
  }
}

class TaskOps {
  constructor(private readonly tx: GatewayTransaction) {}
  put(taskId: string, value: unknown): void {
    this.tx.db.tasks.put(this.tx.need(), taskId, value);
  }
  putJson(taskId: string, json: string): void {
    this.tx.db.tasks.putJson(this.tx.need(), taskId, json);
  }
  delete(taskId: string): void {
    this.tx.db.tasks.delete(this.tx.need(), taskId);
  }
  /** Remove every task (spec 003 SET and CLEAR). */
  clear(): void {
    this.tx.db.tasks.clear(this.tx.need());
  }
}

class SettingOps {
  constructor(private readonly tx: GatewayTransaction) {}
  set(name: string, value: unknown): void {
    this.tx.db.settings.put(this.tx.need(), name, value);
  }
  delete(name: string): void {
    this.tx.db.settings.delete(this.tx.need(), name);
  }
}

class DesiredOps {
  constructor(private readonly tx: GatewayTransaction) {}
  /** Last applied desired version of a property (spec 004). */
  set(name: string, version: number): void {
    this.tx.db.desired.set(this.tx.need(), name, version);
  }
  delete(name: string): void {
    this.tx.db.desired.delete(this.tx.need(), name);
  }
}

class MetaOps {
  constructor(private readonly tx: GatewayTransaction) {}
  set(name: string, value: number): void {
    this.tx.db.meta.set(this.tx.need(), name, value);
  }
  delete(name: string): void {
    this.tx.db.meta.delete(this.tx.need(), name);
  }
}

class OtaOps {
  constructor(private readonly tx: GatewayTransaction) {}
  set(value: unknown): void {
    this.tx.db.otaCollection().put(this.tx.need(), OTA_KEY, value);
  }
  clear(): void {
    this.tx.db.otaCollection().delete(this.tx.need(), OTA_KEY);
  }
}

class PeakOps {
  constructor(private readonly tx: GatewayTransaction) {}
  set(month: number, value: number): void {
    const tx = this.tx;
    tx.db.peak.stage(tx.need(), month, value);
    tx.peakMonth = month;
    tx.peakValue = value;
  }
}

class UplinkOps {
  constructor(private readonly tx: GatewayTransaction) {}
  put(key: string, value: unknown): void {
    this.tx.db.uplinks.put(this.tx.need(), key, value);
  }
  delete(key: string): void {
    this.tx.db.uplinks.delete(this.tx.need(), key);
  }
}

class ReplyOps {
  constructor(private readonly tx: GatewayTransaction) {}
  /** Remember the reply to command `mid` (evicting the oldest when full). */
  put(mid: string, text: string): void {
    this.tx.db.replies.stage(this.tx.need(), mid, text, this.tx.replyPlan);
  }
}

export class GatewayTransaction {
  private raw: Transaction | null = null;
  /** @internal (the ops classes) */
  nextId = 1;
  /** @internal */
  nextIdDirty = false;
  /** @internal */
  peakMonth = -1;
  /** @internal */
  peakValue = 0;
  /** @internal */
  replyPlan: ReplyPlan = { added: [], evicted: [], fresh: 0 };

  readonly strategies = new StrategyOps(this);
  readonly tasks = new TaskOps(this);
  readonly settings = new SettingOps(this);
  readonly desired = new DesiredOps(this);
  readonly meta = new MetaOps(this);
  readonly ota = new OtaOps(this);
  readonly peak = new PeakOps(this);
  readonly replies = new ReplyOps(this);
  readonly uplinks = new UplinkOps(this);

  /** `db` is @internal (the ops classes). */
  constructor(readonly db: GatewayStore) {}

  get isOpen(): boolean {
    return this.raw !== null && this.raw.isOpen;
  }

  /** @internal */
  start(raw: Transaction): void {
    this.raw = raw;
    this.nextId = this.db.nextStrategyId();
    this.nextIdDirty = false;
    this.peakMonth = -1;
    this.replyPlan = { added: [], evicted: [], fresh: 0 };
  }

  /** Write everything staged; returns once committed (see RecordStore for errors). */
  commit(): void {
    const raw = this.need();
    if (this.nextIdDirty) this.db.meta.set(raw, NEXT_STRATEGY_ID, this.nextId);
    try {
      raw.commit();
    } finally {
      this.raw = null;
    }
    if (this.peakMonth >= 0) this.db.peak.committed(this.peakMonth, this.peakValue);
    this.db.replies.committed(this.replyPlan);
    this.db.countEvictions(this.replyPlan.evicted.length);
  }

  abort(): void {
    if (this.raw !== null && this.raw.isOpen) this.raw.abort();
    this.raw = null;
  }

  /** @internal */
  bumpNextId(id: number): void {
    if (id >= this.nextId) {
      this.nextId = id + 1;
      this.nextIdDirty = true;
    }
  }

  /** @internal */
  need(): Transaction {
    if (this.raw === null || !this.raw.isOpen) throw new StoreError("TX_STATE", "no gateway transaction is open (or a failed step aborted it)");
    return this.raw;
  }

  /** @internal */
  fail(code: "KEY_INVALID" | "VALUE_INVALID", message: string): never {
    this.abort();
    throw new StoreError(code, message);
  }
}
