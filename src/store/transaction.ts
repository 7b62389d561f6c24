/**
 * A transaction: puts, deletes and clears staged in a preallocated arena, validated and planned as a whole, then
 * written as records sharing one sequence number, the last one carrying the commit flag. Nothing reaches flash or
 * the index before the whole transaction is known to fit; `commit()` returns only after the commit record is
 * programmed and read back.
 *
 * There is one Transaction object per store, reused: beginning, staging and committing allocate nothing.
 */
import type { Counters } from "../core/counters";
import { columns } from "../core/columns";
import { StoreError } from "./errors";
import {
  FLAG_COMMIT,
  KIND_CLEAR,
  KIND_DELETE,
  KIND_PUT,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  recordSize,
  writeU16,
  writeU32,
} from "./format";
import { NO_ENTRY, keyHash } from "./index-table";
import { MARK_DYING, MARK_TOUCHED, PLAN_FULL, PLAN_OK, type Ring } from "./ring";

/** Limits and names the transaction validates against (from RecordStoreOptions). */
export interface TxLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  maxTxRecords: number;
  maxTxBytes: number;
  /** Room every transaction that adds data must leave (see Ring.plan). */
  reserveBytes: number;
  /** Capacity per collection id; 0 = not a collection of this store. */
  capacity: Uint16Array;
  names: string[];
}

export interface TxCounters {
  counters: Counters;
  commits: number;
  refused: number;
}

/** Shared with the store: set when a write failed part way (power cut, flash error); the store must be reopened. */
export interface StoreHealth {
  failed: boolean;
  reason: string;
}

export class Transaction {
  private open = false;
  private count = 0;
  private arenaUsed = 0;
  private readonly arena: Uint8Array;
  private readonly opKind: Uint8Array;
  private readonly opCollection: Uint8Array;
  private readonly opKeyOffset: Uint32Array;
  private readonly opKeyLength: Uint8Array;
  private readonly opValueLength: Uint32Array;
  private readonly opHash: Uint32Array;
  private readonly opEntry: Int32Array;
  private readonly opWrite: Uint8Array;
  private readonly opLocation: Uint32Array;
  private readonly writeSizes: Uint32Array;
  private readonly countAfter: Int32Array;
  private readonly countSeen: Uint8Array;

  constructor(
    private readonly ring: Ring,
    private readonly limits: TxLimits,
    private readonly health: StoreHealth,
    private readonly c: TxCounters,
  ) {
    const max = limits.maxTxRecords;
    // Per-collection counts are indexed by the collection ids of staged operations, which are always ids of this
    // store (stageOp refuses others): sized to the highest such id, not to all 256 (1.25 KB of the device's heap).
    let collections = 1;
    for (let id = limits.capacity.length - 1; id > 0; id--) {
      if (limits.capacity[id] > 0) {
        collections = id + 1;
        break;
      }
    }
    // Every column in one buffer (src/core/columns.ts: ~3 XS slots less per column).
    const cols = columns([
      ["u32", max],
      ["u32", max],
      ["u32", max],
      ["u32", max],
      ["u32", max],
      ["i32", max],
      ["i32", collections],
      ["u8", max],
      ["u8", max],
      ["u8", max],
      ["u8", max],
      ["u8", collections],
      ["u8", limits.maxTxBytes],
    ]);
    this.opKeyOffset = cols[0] as Uint32Array;
    this.opValueLength = cols[1] as Uint32Array;
    this.opHash = cols[2] as Uint32Array;
    this.opLocation = cols[3] as Uint32Array;
    this.writeSizes = cols[4] as Uint32Array;
    this.opEntry = cols[5] as Int32Array;
    this.countAfter = cols[6] as Int32Array;
    this.opKind = cols[7] as Uint8Array;
    this.opCollection = cols[8] as Uint8Array;
    this.opKeyLength = cols[9] as Uint8Array;
    this.opWrite = cols[10] as Uint8Array;
    this.countSeen = cols[11] as Uint8Array;
    this.arena = cols[12] as Uint8Array;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Records staged so far. */
  get size(): number {
    return this.count;
  }

  /** Called by the store's begin(). */
  start(): void {
    if (this.health.failed) throw new StoreError("STORE_FAILED", `reopen the store: ${this.health.reason}`);
    if (this.open) throw new StoreError("TX_STATE", "a transaction is already open (one at a time)");
    this.open = true;
    this.count = 0;
    this.arenaUsed = 0;
  }

  /** Stage "collection/key now holds value". The bytes are copied: the caller may reuse its buffers at once. */
  put(collection: number, key: Uint8Array, keyOffset: number, keyLength: number, value: Uint8Array, valueOffset: number, valueLength: number): void {
    this.stage(KIND_PUT, collection, key, keyOffset, keyLength, valueLength);
    const arena = this.arena;
    const at = this.arenaUsed;
    for (let b = 0; b < valueLength; b++) arena[at + b] = value[valueOffset + b];
    this.arenaUsed = at + valueLength;
  }

  /** Stage "collection/key is gone" (a no-op if it is absent when the transaction commits). */
  delete(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): void {
    this.stage(KIND_DELETE, collection, key, keyOffset, keyLength, 0);
  }

  /** Stage "every record of the collection is gone" (replace-all commands: clear, then put the new set). */
  clear(collection: number): void {
    this.requireOpen();
    this.requireCollection(collection);
    this.requireOpRoom(0, 0);
    const i = this.count++;
    this.opKind[i] = KIND_CLEAR;
    this.opCollection[i] = collection;
    this.opKeyOffset[i] = this.arenaUsed;
    this.opKeyLength[i] = 0;
    this.opValueLength[i] = 0;
  }

  abort(): void {
    this.open = false;
    this.count = 0;
    this.arenaUsed = 0;
  }

  /**
   * Validate, plan and write the transaction. Returns once the commit record is on flash (read back). Throws a
   * StoreError and changes nothing when it cannot be taken (COLLECTION_FULL, STORE_FULL, TX_TOO_LARGE).
   */
  commit(): void {
    this.requireOpen();
    const ring = this.ring;
    let writeCount: number;
    let addsData: boolean;
    try {
      writeCount = this.resolve();
      addsData = false;
      for (let i = 0, w = 0; i < this.count; i++) {
        if (this.opWrite[i] === 0) continue;
        if (this.opKind[i] === KIND_PUT) addsData = true;
        this.writeSizes[w++] = recordSize(this.opKeyLength[i], this.opValueLength[i]);
      }
      this.markDying();
      const verdict = ring.plan(this.writeSizes, writeCount, addsData ? this.limits.reserveBytes : 0);
      if (verdict !== PLAN_OK) {
        let bytes = 0;
        for (let w = 0; w < writeCount; w++) bytes += this.writeSizes[w];
        throw verdict === PLAN_FULL
          ? new StoreError("STORE_FULL", `the transaction needs ${bytes} bytes of flash (and ${addsData ? this.limits.reserveBytes : 0} kept free); ${ring.liveBytes()} bytes are live in ${ring.sectorCount} sectors of ${ring.sectorSize}`)
          : new StoreError("TX_TOO_LARGE", `the transaction (${bytes} bytes) would wrap the whole partition`);
      }
    } catch (error) {
      this.clearMarks();
      this.c.counters.add(this.c.refused);
      this.abort();
      throw error;
    }
    if (writeCount === 0) {
      this.clearMarks();
      this.abort();
      return;
    }
    this.write(writeCount);
    this.apply();
    this.abort();
    this.c.counters.add(this.c.commits);
  }

  /**
   * Mark the index entries this transaction replaces or deletes (MARK_TOUCHED: GC copies them conditionally while it
   * is written) and sum their bytes per sector into ring.dying (MARK_DYING: counted once) for the planner.
   */
  private markDying(): void {
    const ring = this.ring;
    const index = ring.index;
    ring.dying.fill(0);
    for (let i = 0; i < this.count; i++) {
      if (this.opWrite[i] === 0) continue;
      if (this.opKind[i] === KIND_CLEAR) {
        const collection = this.opCollection[i];
        if (index.countByCollection[collection] === 0) continue;
        for (let entry = 0; entry < index.capacity; entry++) {
          if (index.collection[entry] !== collection || (index.mark[entry] & MARK_DYING) !== 0) continue;
          index.mark[entry] |= MARK_DYING;
          ring.dying[ring.sectorOf(index.location[entry])] += index.size[entry];
        }
        continue;
      }
      const entry = this.opEntry[i];
      if (entry === NO_ENTRY) continue;
      if ((index.mark[entry] & MARK_DYING) === 0) ring.dying[ring.sectorOf(index.location[entry])] += index.size[entry];
      index.mark[entry] |= MARK_TOUCHED | MARK_DYING;
    }
  }

  /** Undo markDying (entries removed meanwhile were reset by remove()). */
  private clearMarks(): void {
    const index = this.ring.index;
    for (let i = 0; i < this.count; i++) {
      if (this.opKind[i] === KIND_CLEAR) {
        const collection = this.opCollection[i];
        for (let entry = 0; entry < index.capacity; entry++) if (index.collection[entry] === collection) index.mark[entry] = 0;
      } else if (this.opEntry[i] !== NO_ENTRY) index.mark[this.opEntry[i]] = 0;
    }
  }

  private write(writeCount: number): void {
    const ring = this.ring;
    const log = ring.log;
    const rec = log.record;
    const seq = ring.nextTxSeq;
    ring.inFlightSeq = seq;
    for (let i = 0; i < this.count; i++) if (this.opWrite[i] !== 0 && this.opKind[i] === KIND_CLEAR) ring.clearing[this.opCollection[i]] = 1;
    const gap = seq - ring.lastCommittedSeq;
    const back = ring.lastCommittedSeq > 0 && gap <= 0xffff ? gap : 0;
    try {
      for (let i = 0, written = 0; i < this.count; i++) {
        if (this.opWrite[i] === 0) continue;
        written++;
        const keyLength = this.opKeyLength[i];
        const valueLength = this.opValueLength[i];
        ring.ensureRoom(recordSize(keyLength, valueLength));
        rec[0] = RECORD_MAGIC;
        rec[1] = this.opKind[i] | (written === writeCount ? FLAG_COMMIT : 0);
        rec[2] = this.opCollection[i];
        writeU16(rec, 6, back);
        writeU32(rec, 8, seq);
        const from = this.opKeyOffset[i];
        for (let b = 0; b < keyLength + valueLength; b++) rec[RECORD_HEADER_BYTES + b] = this.arena[from + b];
        const size = log.sealRecord(keyLength, valueLength);
        this.opLocation[i] = ring.appendBuilt(size);
      }
    } catch (error) {
      // Flash state is now unknown to RAM (part written, maybe moved): only recovery can say what is committed.
      this.health.failed = true;
      this.health.reason = String(error);
      ring.inFlightSeq = 0;
      this.abort();
      throw error;
    }
  }

  private apply(): void {
    const ring = this.ring;
    for (let i = 0; i < this.count; i++) {
      if (this.opWrite[i] === 0) continue;
      const collection = this.opCollection[i];
      const kind = this.opKind[i];
      if (kind === KIND_CLEAR) {
        ring.applyClear(collection);
        ring.clearing[collection] = 0;
      } else if (kind === KIND_DELETE) {
        ring.applyDelete(collection, this.arena, this.opKeyOffset[i], this.opKeyLength[i]);
      } else {
        const size = recordSize(this.opKeyLength[i], this.opValueLength[i]);
        ring.applyPut(collection, this.arena, this.opKeyOffset[i], this.opKeyLength[i], this.opLocation[i], size);
      }
    }
    this.clearMarks();
    ring.inFlightSeq = 0;
    ring.lastCommittedSeq = ring.nextTxSeq;
    ring.nextTxSeq++;
  }

  /**
   * Decide for each op whether it writes a record (a delete of an absent key does not) and check the collection
   * capacities and the index room at every step. Returns how many records will be written.
   */
  private resolve(): number {
    const index = this.ring.index;
    const log = this.ring.log;
    const arena = this.arena;
    const countAfter = this.countAfter;
    const countSeen = this.countSeen;
    let running = index.used;
    let writes = 0;
    try {
      for (let i = 0; i < this.count; i++) {
        const collection = this.opCollection[i];
        if (countSeen[collection] === 0) {
          countSeen[collection] = 1;
          countAfter[collection] = index.countByCollection[collection];
        }
        const before = countAfter[collection];
        this.opEntry[i] = NO_ENTRY;
        if (this.opKind[i] === KIND_CLEAR) {
          countAfter[collection] = 0;
          this.opWrite[i] = 1;
        } else {
          const keyOffset = this.opKeyOffset[i];
          const keyLength = this.opKeyLength[i];
          const hash = this.opHash[i];
          this.opEntry[i] = index.find(collection, hash, arena, keyOffset, keyLength, log);
          let present = this.opEntry[i] !== NO_ENTRY;
          for (let j = i - 1; j >= 0; j--) {
            if (this.opCollection[j] !== collection) continue;
            if (this.opKind[j] === KIND_CLEAR) {
              present = false;
              break;
            }
            if (this.opHash[j] === hash && this.opKeyLength[j] === keyLength && sameBytes(arena, this.opKeyOffset[j], keyOffset, keyLength)) {
              present = this.opKind[j] === KIND_PUT;
              break;
            }
          }
          if (this.opKind[i] === KIND_PUT) {
            if (!present) countAfter[collection]++;
            this.opWrite[i] = 1;
          } else {
            if (present) countAfter[collection]--;
            this.opWrite[i] = present ? 1 : 0;
          }
        }
        running += countAfter[collection] - before;
        if (running > index.capacity) {
          throw new StoreError("STORE_FULL", `the index holds ${index.capacity} records (records of unknown collections use some)`);
        }
        writes += this.opWrite[i];
      }
      for (let i = 0; i < this.count; i++) {
        const collection = this.opCollection[i];
        const capacity = this.limits.capacity[collection];
        if (countAfter[collection] > capacity) {
          throw new StoreError(
            "COLLECTION_FULL",
            `${this.limits.names[collection]} would hold ${countAfter[collection]} records, capacity ${capacity}`,
          );
        }
      }
    } finally {
      for (let i = 0; i < this.count; i++) countSeen[this.opCollection[i]] = 0;
    }
    return writes;
  }

  private stage(kind: number, collection: number, key: Uint8Array, keyOffset: number, keyLength: number, valueLength: number): void {
    this.requireOpen();
    this.requireCollection(collection);
    if (!(keyLength >= 1 && keyLength <= this.limits.maxKeyBytes)) {
      this.abort();
      throw new StoreError("KEY_INVALID", `${this.limits.names[collection]}: key of ${keyLength} bytes (1..${this.limits.maxKeyBytes})`);
    }
    if (valueLength > this.limits.maxValueBytes) {
      this.abort();
      throw new StoreError("RECORD_TOO_LARGE", `${this.limits.names[collection]}: value of ${valueLength} bytes (at most ${this.limits.maxValueBytes})`);
    }
    this.requireOpRoom(keyLength, valueLength);
    const i = this.count++;
    const at = this.arenaUsed;
    for (let b = 0; b < keyLength; b++) this.arena[at + b] = key[keyOffset + b];
    this.arenaUsed += keyLength;
    this.opKind[i] = kind;
    this.opCollection[i] = collection;
    this.opKeyOffset[i] = at;
    this.opKeyLength[i] = keyLength;
    this.opValueLength[i] = valueLength;
    this.opHash[i] = keyHash(collection, this.arena, at, keyLength);
  }

  private requireOpen(): void {
    if (this.health.failed) {
      this.abort();
      throw new StoreError("STORE_FAILED", `reopen the store: ${this.health.reason}`);
    }
    if (!this.open) throw new StoreError("TX_STATE", "no transaction is open (begin() first; a failed step aborts it)");
  }

  private requireCollection(collection: number): void {
    if (!(collection >= 1 && collection <= 254 && this.limits.capacity[collection] > 0)) {
      this.abort();
      throw new StoreError("UNKNOWN_COLLECTION", `collection ${collection} is not one this store was opened with`);
    }
  }

  private requireOpRoom(keyLength: number, valueLength: number): void {
    if (this.count === this.limits.maxTxRecords) {
      this.abort();
      throw new StoreError("TX_TOO_LARGE", `more than ${this.limits.maxTxRecords} records in one transaction`);
    }
    if (this.arenaUsed + keyLength + valueLength > this.arena.length) {
      this.abort();
      throw new StoreError("TX_TOO_LARGE", `the transaction's records exceed the ${this.limits.maxTxBytes}-byte staging area`);
    }
  }
}

function sameBytes(buf: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}
