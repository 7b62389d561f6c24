/**
 * The record store: (collection, key) -> bytes on raw NOR flash, power-loss safe, with atomic multi-record
 * transactions. Synchronous and sans-I/O over the HAL's NorFlash; every buffer and table is allocated by `open()`,
 * sized from the options and the partition geometry. Reads come from the RAM index (no flash scan); a single-record
 * update, read or delete allocates nothing.
 *
 * Durability contract: a transaction is committed when `commit()` (or `transaction()`, `put()`, `delete()`)
 * returns. Reply "success" to the platform only after that. If it throws, nothing changed (StoreError) or the store
 * failed mid-write (STORE_FAILED afterwards: reopen, and recovery shows either all of the transaction or none).
 */
import type { NorFlash } from "../../hal/types";
import { Counters } from "../core/counters";
import { StoreError } from "./errors";
import { FlashLog } from "./flash-log";
import { MAX_KEY_BYTES_FORMAT, MAX_VALUE_BYTES_FORMAT, RECORD_HEADER_BYTES, SECTOR_HEADER_BYTES, recordSize } from "./format";
import { IndexTable, MAX_INDEX_CAPACITY, NO_ENTRY, keyHash } from "./index-table";
import { Recovery, type RecoveryReport } from "./recovery";
import { Ring } from "./ring";
import { Transaction, type StoreHealth } from "./transaction";
import { deepFreeze } from "../core/freeze";

export interface CollectionSpec {
  /** 1..254, stable forever: it is written in every record. */
  id: number;
  /** For error messages and reports. */
  name: string;
  /** Most records the collection may hold; a transaction going over is refused with COLLECTION_FULL. */
  capacity: number;
}

export interface RecordStoreOptions {
  collections: readonly CollectionSpec[];
  /** Longest key (1..255). Default 64. */
  maxKeyBytes?: number;
  /** Longest value. Default 1024 (capped so a record fits a sector). */
  maxValueBytes?: number;
  /** Most records in one transaction. Default 64. */
  maxTxRecords?: number;
  /** Staging area for one transaction's keys and values (RAM, up to 1 MiB). Default 8192. */
  maxTxBytes?: number;
  /**
   * Room every transaction that adds data must leave free, so that a later delete (and the reply that goes with it)
   * still fits in a full store. Default: two tombstones of the longest key.
   */
  reserveBytes?: number;
  /** Read every program back (detects worn cells). Default true. */
  verifyWrites?: boolean;
  /** Extra index entries for records of collections this build does not know (kept, not lost). Default 16. */
  indexSlack?: number;
  /** Where the store's counters go (the gateway's); a private set otherwise. */
  counters?: Counters;
}

export interface StoreStats {
  sectorSize: number;
  sectorCount: number;
  headSector: number;
  headSequence: number;
  /** Bytes left in the head sector. */
  headFree: number;
  liveRecords: number;
  liveBytes: number;
  /** Rough ceiling for live bytes: (sectors - 2) x sector payload. The planner decides exactly, per transaction. */
  capacityBytes: number;
  indexCapacity: number;
  nextTransaction: number;
  programs: number;
  erases: number;
}

const COUNTER_NAMES = deepFreeze([
  "store_commits",
  "store_refused",
  "store_rotations",
  "store_erases",
  "store_gc_copies",
  "store_gc_conditional_copies",
  "store_records_lost",
  "store_recover_abandoned_tx",
  "store_recover_dropped_head",
  "store_recover_anomalies",
  "store_recover_index_overflow",
  "store_recover_tx_overflow",
  "store_corrupt_regions",
  "store_corrupt_reads",
] as const);

export class RecordStore {
  readonly counters: Counters;
  /** What boot recovery found. */
  readonly recovery: RecoveryReport;
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  private readonly log: FlashLog;
  private readonly index: IndexTable;
  private readonly ring: Ring;
  private readonly tx: Transaction;
  private readonly health: StoreHealth = { failed: false, reason: "" };
  /** Capacity per collection id (validated 1..65535; 0: not a collection of this store). */
  private readonly capacity = new Uint16Array(256);
  private readonly names: string[] = [];
  private readonly keyScratch = new Uint8Array(MAX_KEY_BYTES_FORMAT + 1);
  private readonly handles: Record<(typeof COUNTER_NAMES)[number], number>;
  private iterating = false;

  /** Open (and recover) the store on a partition. Never writes: the first commit does whatever cleanup is due. */
  static open(flash: NorFlash, options: RecordStoreOptions): RecordStore {
    return new RecordStore(flash, options);
  }

  private constructor(flash: NorFlash, options: RecordStoreOptions) {
    const sectorSize = flash.sectorSize;
    const payload = sectorSize - SECTOR_HEADER_BYTES;
    if (!(flash.sectorCount >= 3 && sectorSize >= 512 && sectorSize % 8 === 0 && sectorSize <= 65536)) {
      throw new StoreError("OPTIONS_INVALID", `partition of ${flash.sectorCount} x ${sectorSize} B: need >= 3 sectors of 512..65536 B (multiple of 8)`);
    }
    this.maxKeyBytes = options.maxKeyBytes ?? 64;
    if (!(Number.isInteger(this.maxKeyBytes) && this.maxKeyBytes >= 1 && this.maxKeyBytes <= MAX_KEY_BYTES_FORMAT)) {
      throw new StoreError("OPTIONS_INVALID", `maxKeyBytes ${this.maxKeyBytes}: 1..${MAX_KEY_BYTES_FORMAT}`);
    }
    const largestValue = Math.min(MAX_VALUE_BYTES_FORMAT, payload - RECORD_HEADER_BYTES - this.maxKeyBytes) & ~7;
    this.maxValueBytes = options.maxValueBytes ?? Math.min(1024, largestValue);
    if (!(Number.isInteger(this.maxValueBytes) && this.maxValueBytes >= 1 && recordSize(this.maxKeyBytes, this.maxValueBytes) <= payload)) {
      throw new StoreError("OPTIONS_INVALID", `maxValueBytes ${this.maxValueBytes}: a record must fit a ${payload}-byte sector payload (at most ${largestValue})`);
    }
    const maxTxRecords = options.maxTxRecords ?? 64;
    const maxTxBytes = options.maxTxBytes ?? 8192;
    if (!(Number.isInteger(maxTxRecords) && maxTxRecords >= 1 && maxTxRecords <= 65535)) {
      throw new StoreError("OPTIONS_INVALID", `maxTxRecords ${maxTxRecords}: 1..65535`);
    }
    if (!(Number.isInteger(maxTxBytes) && maxTxBytes >= this.maxKeyBytes + this.maxValueBytes && maxTxBytes <= 1 << 20)) {
      throw new StoreError("OPTIONS_INVALID", `maxTxBytes ${maxTxBytes}: maxKeyBytes + maxValueBytes .. 1 MiB`);
    }
    const reserveBytes = options.reserveBytes ?? 2 * recordSize(this.maxKeyBytes, 0);
    if (!(Number.isInteger(reserveBytes) && reserveBytes >= 0 && reserveBytes <= payload - RECORD_HEADER_BYTES)) {
      throw new StoreError("OPTIONS_INVALID", `reserveBytes ${reserveBytes}: 0..${payload - RECORD_HEADER_BYTES}`);
    }
    let indexCapacity = options.indexSlack ?? 16;
    for (const spec of options.collections) {
      if (!(Number.isInteger(spec.id) && spec.id >= 1 && spec.id <= 254) || this.capacity[spec.id] !== 0) {
        throw new StoreError("OPTIONS_INVALID", `collection id ${spec.id} (${spec.name}): 1..254 and unique`);
      }
      if (!(Number.isInteger(spec.capacity) && spec.capacity >= 1 && spec.capacity <= 65535)) {
        throw new StoreError("OPTIONS_INVALID", `collection ${spec.name}: capacity ${spec.capacity} (1..65535)`);
      }
      this.capacity[spec.id] = spec.capacity;
      this.names[spec.id] = spec.name;
      indexCapacity += spec.capacity;
    }
    if (indexCapacity > MAX_INDEX_CAPACITY) {
      throw new StoreError("OPTIONS_INVALID", `collections hold ${indexCapacity} records in all (at most ${MAX_INDEX_CAPACITY})`);
    }

    this.counters = options.counters ?? new Counters(64);
    const handles = {} as Record<(typeof COUNTER_NAMES)[number], number>;
    for (const name of COUNTER_NAMES) handles[name] = this.counters.register(name);
    this.handles = handles;

    this.log = new FlashLog(flash, options.verifyWrites ?? true, recordSize(this.maxKeyBytes, this.maxValueBytes));
    this.index = new IndexTable(indexCapacity);
    this.ring = new Ring(this.log, this.index, {
      counters: this.counters,
      rotations: handles.store_rotations,
      erases: handles.store_erases,
      copies: handles.store_gc_copies,
      conditionalCopies: handles.store_gc_conditional_copies,
      lostRecords: handles.store_records_lost,
    });
    this.tx = new Transaction(
      this.ring,
      { maxKeyBytes: this.maxKeyBytes, maxValueBytes: this.maxValueBytes, maxTxRecords, maxTxBytes, reserveBytes, capacity: this.capacity, names: this.names },
      this.health,
      { counters: this.counters, commits: handles.store_commits, refused: handles.store_refused },
    );
    const recovery = new Recovery(this.ring, maxTxRecords, {
      counters: this.counters,
      abandoned: handles.store_recover_abandoned_tx,
      droppedHeads: handles.store_recover_dropped_head,
      anomalies: handles.store_recover_anomalies,
      indexOverflow: handles.store_recover_index_overflow,
      txOverflow: handles.store_recover_tx_overflow,
    });
    this.recovery = recovery.run();
    this.counters.add(handles.store_corrupt_regions, this.recovery.corruptRegions);
  }

  /** True after a write failed part way; every call then throws STORE_FAILED until the store is reopened. */
  get failed(): boolean {
    return this.health.failed;
  }

  collectionName(collection: number): string {
    return this.names[collection] ?? `#${collection}`;
  }

  collectionCapacity(collection: number): number {
    return this.capacity[collection];
  }

  has(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): boolean {
    return this.find(collection, key, keyOffset, keyLength) !== NO_ENTRY;
  }

  /** Length of the stored value, or -1 when absent. */
  valueLength(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): number {
    const entry = this.find(collection, key, keyOffset, keyLength);
    if (entry === NO_ENTRY) return -1;
    return this.loadRecord(entry);
  }

  /**
   * Copy the value into `into` at `intoOffset`; returns its length, or -1 when absent. Throws CORRUPT if the record
   * no longer passes its CRC, RangeError if `into` is too small.
   */
  get(collection: number, key: Uint8Array, keyOffset: number, keyLength: number, into: Uint8Array, intoOffset: number): number {
    const entry = this.find(collection, key, keyOffset, keyLength);
    if (entry === NO_ENTRY) return -1;
    const length = this.loadRecord(entry);
    if (intoOffset + length > into.length) throw new RangeError(`RecordStore.get: ${length}-byte value does not fit at ${intoOffset} of ${into.length}`);
    const rec = this.log.record;
    const from = RECORD_HEADER_BYTES + keyLength;
    for (let i = 0; i < length; i++) into[intoOffset + i] = rec[from + i];
    return length;
  }

  /** Records in a collection. */
  count(collection: number): number {
    this.requireCollection(collection);
    return this.index.countByCollection[collection];
  }

  /**
   * Visit every key of a collection (order unspecified). `key` is a scratch buffer valid during the call only.
   * The visitor may read but not write the store.
   */
  forEachKey(collection: number, visit: (key: Uint8Array, keyLength: number) => void): void {
    this.requireCollection(collection);
    const index = this.index;
    const flash = this.log.flash;
    this.iterating = true;
    try {
      for (let entry = 0; entry < index.capacity; entry++) {
        if (index.collection[entry] !== collection) continue;
        const keyLength = index.keyLength[entry];
        flash.read(index.location[entry] + RECORD_HEADER_BYTES, this.keyScratch, 0, keyLength);
        visit(this.keyScratch, keyLength);
      }
    } finally {
      this.iterating = false;
    }
  }

  /** Open the (single, reused) transaction. Prefer `transaction(fn)`, which commits or aborts for you. */
  begin(): Transaction {
    if (this.iterating) throw new StoreError("TX_STATE", "cannot write while iterating a collection");
    this.tx.start();
    return this.tx;
  }

  /** Run `fn` in a transaction: committed when this returns, aborted (and rethrown) if `fn` or the commit throws. */
  transaction<T>(fn: (tx: Transaction) => T): T {
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

  /** One-record transaction (no allocation). */
  put(collection: number, key: Uint8Array, keyOffset: number, keyLength: number, value: Uint8Array, valueOffset: number, valueLength: number): void {
    const tx = this.begin();
    tx.put(collection, key, keyOffset, keyLength, value, valueOffset, valueLength);
    tx.commit();
  }

  /** One-record delete; returns whether the key existed. */
  delete(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): boolean {
    const existed = this.has(collection, key, keyOffset, keyLength);
    const tx = this.begin();
    tx.delete(collection, key, keyOffset, keyLength);
    tx.commit();
    return existed;
  }

  /** Flash location of a key's record (diagnostics and tests), -1 when absent. */
  recordLocation(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): number {
    const entry = this.find(collection, key, keyOffset, keyLength);
    return entry === NO_ENTRY ? -1 : this.index.location[entry];
  }

  stats(): StoreStats {
    const ring = this.ring;
    return {
      sectorSize: ring.sectorSize,
      sectorCount: ring.sectorCount,
      headSector: ring.head,
      headSequence: ring.headSeq,
      headFree: ring.sectorSize - ring.headPos,
      liveRecords: this.index.used,
      liveBytes: ring.liveBytes(),
      capacityBytes: (ring.sectorCount - 2) * (ring.sectorSize - SECTOR_HEADER_BYTES),
      indexCapacity: this.index.capacity,
      nextTransaction: ring.nextTxSeq,
      programs: this.log.programs,
      erases: this.log.erases,
    };
  }

  private find(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): number {
    this.requireCollection(collection);
    if (!(keyLength >= 1 && keyLength <= MAX_KEY_BYTES_FORMAT)) throw new StoreError("KEY_INVALID", `key of ${keyLength} bytes`);
    return this.index.find(collection, keyHash(collection, key, keyOffset, keyLength), key, keyOffset, keyLength, this.log);
  }

  /** Read and check the record of an index entry into log.record; returns the value length. */
  private loadRecord(entry: number): number {
    if (!this.log.readRecordAt(this.index.location[entry], true)) {
      this.counters.add(this.handles.store_corrupt_reads);
      throw new StoreError("CORRUPT", `${this.collectionName(this.index.collection[entry])}: record at ${this.index.location[entry]} fails its CRC`);
    }
    return this.log.recValueLength;
  }

  private requireCollection(collection: number): void {
    if (this.health.failed) throw new StoreError("STORE_FAILED", `reopen the store: ${this.health.reason}`);
    if (!(collection >= 1 && collection <= 254 && this.capacity[collection] > 0)) {
      throw new StoreError("UNKNOWN_COLLECTION", `collection ${collection} is not one this store was opened with`);
    }
  }
}
