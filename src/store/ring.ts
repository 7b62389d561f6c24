/**
 * The sector ring: which sector is the head (being appended to), which are live, how many live bytes each holds,
 * rotation with garbage collection, and the exact space planner that lets a transaction be refused before anything
 * is written.
 *
 * Ring discipline (docs/store.md, "GC and wear levelling"): sectors are used in physical order, wrapping. When the
 * head is full, the next sector (always kept erased: the spare) becomes the head, and the sector after it (the
 * oldest) is collected into the new head: its live records are copied, the head's gc-done word is programmed, the
 * oldest is erased and becomes the new spare. Every sector is erased once per trip round the ring, so wear is level
 * by construction, static data included (it migrates with the ring).
 */
import type { Counters } from "../core/counters";
import { invariant } from "../core/assert";
import { columns } from "../core/columns";
import {
  FLAG_CONDITIONAL,
  FLAG_COPY,
  KIND_MASK,
  KIND_PUT,
  RECORD_HEADER_BYTES,
  SECTOR_HEADER_BYTES,
  writeU16,
  writeU32,
} from "./format";
import { FlashLog } from "./flash-log";
import { IndexTable, NO_ENTRY, keyHash } from "./index-table";

export const SECTOR_BLANK = 0;
export const SECTOR_LIVE = 1;
/** Holds something that is not live data (torn erase, abandoned head, garbage): erase before use. */
export const SECTOR_DIRTY = 2;

/** Index mark bits used while a transaction is planned and written. */
export const MARK_TOUCHED = 1;
export const MARK_DYING = 2;

export const PLAN_OK = 0;
export const PLAN_FULL = 1;
/** The transaction alone would need the ring to come round to its own first records. */
export const PLAN_WRAPS = 2;

/** Counter handles the ring bumps. */
export interface RingCounters {
  counters: Counters;
  rotations: number;
  erases: number;
  copies: number;
  conditionalCopies: number;
  lostRecords: number;
}

export class Ring {
  readonly log: FlashLog;
  readonly index: IndexTable;
  readonly sectorCount: number;
  readonly sectorSize: number;
  readonly state: Uint8Array;
  readonly seq: Uint32Array;
  /** Bytes of records the index points at, per sector: what collecting that sector would copy. */
  readonly live: Uint32Array;
  head: number;
  headSeq = 0;
  /** Next free byte in the head; sectorSize when the head takes nothing more (full, or a torn tail seen at boot). */
  headPos: number;
  nextTxSeq = 1;
  lastCommittedSeq = 0;
  /** Sequence of the transaction being written (0 when none): GC copies of keys it changes are conditional on it. */
  inFlightSeq = 0;
  /** Collections the in-flight transaction clears (index: collection id). */
  readonly clearing: Uint8Array;
  /** Per sector: bytes of live records the transaction being planned replaces or deletes (filled by the caller). */
  readonly dying: Uint32Array;
  // Planner scratch.
  private readonly simLive: Uint32Array;
  private readonly simState: Uint8Array;
  private readonly simPending: Uint32Array;
  private readonly simDying: Uint32Array;

  constructor(
    log: FlashLog,
    index: IndexTable,
    private readonly c: RingCounters,
  ) {
    this.log = log;
    this.index = index;
    this.sectorCount = log.sectorCount;
    this.sectorSize = log.sectorSize;
    // Per-sector columns in one buffer (src/core/columns.ts: ~3 XS slots less per column).
    const n = this.sectorCount;
    const cols = columns([["u32", n], ["u32", n], ["u32", n], ["u32", n], ["u32", n], ["u32", n], ["u8", n], ["u8", n], ["u8", 256]]);
    this.seq = cols[0] as Uint32Array;
    this.live = cols[1] as Uint32Array;
    this.simLive = cols[2] as Uint32Array;
    this.simPending = cols[3] as Uint32Array;
    this.dying = cols[4] as Uint32Array;
    this.simDying = cols[5] as Uint32Array;
    this.state = cols[6] as Uint8Array;
    this.simState = cols[7] as Uint8Array;
    this.clearing = cols[8] as Uint8Array;
    this.head = this.sectorCount - 1;
    this.headPos = this.sectorSize;
  }

  sectorOf(location: number): number {
    return Math.floor(location / this.sectorSize);
  }

  /** Point (collection, key) at a new record. False only when the index is full (recovery with shrunk options). */
  applyPut(collection: number, key: Uint8Array, keyOffset: number, keyLength: number, location: number, size: number): boolean {
    const index = this.index;
    const hash = keyHash(collection, key, keyOffset, keyLength);
    let entry = index.find(collection, hash, key, keyOffset, keyLength, this.log);
    if (entry !== NO_ENTRY) {
      this.live[this.sectorOf(index.location[entry])] -= index.size[entry];
      index.location[entry] = location;
      index.size[entry] = size;
    } else {
      entry = index.insert(collection, hash, keyLength, location, size);
      if (entry === NO_ENTRY) return false;
    }
    this.live[this.sectorOf(location)] += size;
    return true;
  }

  applyDelete(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): void {
    const index = this.index;
    const entry = index.find(collection, keyHash(collection, key, keyOffset, keyLength), key, keyOffset, keyLength, this.log);
    if (entry !== NO_ENTRY) this.dropEntry(entry);
  }

  applyClear(collection: number): void {
    const index = this.index;
    if (index.countByCollection[collection] === 0) return;
    for (let entry = 0; entry < index.capacity; entry++) if (index.collection[entry] === collection) this.dropEntry(entry);
  }

  private dropEntry(entry: number): void {
    this.live[this.sectorOf(this.index.location[entry])] -= this.index.size[entry];
    this.index.remove(entry);
  }

  /** Make room for a record of `size` bytes in the head, rotating as often as needed (the planner said it fits). */
  ensureRoom(size: number): void {
    for (let turns = 0; this.headPos + size > this.sectorSize; turns++) {
      // The message is built only on failure: this runs on every write.
      if (turns > this.sectorCount) invariant(false, `no room for ${size} bytes after a full turn of the ring`);
      this.rotate();
    }
  }

  /** Program the record built in log.record at the head; returns its location. ensureRoom(size) must precede. */
  appendBuilt(size: number): number {
    const location = this.head * this.sectorSize + this.headPos;
    this.log.program(location, this.log.record, 0, size);
    this.headPos += size;
    return location;
  }

  /** Open the spare as the new head and collect the oldest sector into it. */
  rotate(): void {
    const n = this.sectorCount;
    const next = (this.head + 1) % n;
    const victim = (this.head + 2) % n;
    if (this.state[next] !== SECTOR_BLANK) this.eraseSector(next);
    const collect = this.state[victim] === SECTOR_LIVE;
    const seq = this.headSeq + 1;
    this.log.writeSectorHeader(next, seq, this.nextTxSeq, !collect);
    this.state[next] = SECTOR_LIVE;
    this.seq[next] = seq;
    this.live[next] = 0;
    this.head = next;
    this.headSeq = seq;
    this.headPos = SECTOR_HEADER_BYTES;
    this.c.counters.add(this.c.rotations);
    if (collect) {
      this.collect(victim);
      this.log.setGcDone(next);
      this.eraseSector(victim);
    } else if (this.state[victim] === SECTOR_DIRTY) {
      this.eraseSector(victim);
    }
  }

  private eraseSector(sector: number): void {
    this.log.erase(sector);
    this.state[sector] = SECTOR_BLANK;
    this.c.counters.add(this.c.erases);
  }

  /** Copy the victim's live records to the head. Tombstones and clears are dropped: nothing older survives them. */
  private collect(victim: number): void {
    const log = this.log;
    const index = this.index;
    const rec = log.record;
    const base = victim * this.sectorSize;
    let end = SECTOR_HEADER_BYTES;
    for (let pos = log.nextRecord(victim, SECTOR_HEADER_BYTES); pos >= 0; pos = log.nextRecord(victim, end)) {
      end = pos + log.recSize;
      if ((log.recKind & KIND_MASK) !== KIND_PUT) continue;
      const collection = log.recCollection;
      const keyLength = log.recKeyLength;
      const entry = index.find(collection, keyHash(collection, rec, RECORD_HEADER_BYTES, keyLength), rec, RECORD_HEADER_BYTES, keyLength, log);
      if (entry === NO_ENTRY || index.location[entry] !== base + pos) continue;
      invariant(
        this.inFlightSeq === 0 || (log.recKind & FLAG_COPY) !== 0 || log.recTxSeq !== this.inFlightSeq,
        "garbage collection reached a record of the transaction being written",
      );
      const conditional = this.inFlightSeq !== 0 && ((index.mark[entry] & MARK_TOUCHED) !== 0 || this.clearing[collection] !== 0);
      rec[1] = KIND_PUT | FLAG_COPY | (conditional ? FLAG_CONDITIONAL : 0);
      writeU16(rec, 6, 0);
      writeU32(rec, 8, conditional ? this.inFlightSeq : 0);
      const size = log.sealRecord(keyLength, log.recValueLength);
      invariant(this.headPos + size <= this.sectorSize, "collected records overflow the new head");
      const location = this.appendBuilt(size);
      this.live[victim] -= size;
      this.live[this.head] += size;
      index.location[entry] = location;
      this.c.counters.add(this.c.copies);
      if (conditional) this.c.counters.add(this.c.conditionalCopies);
    }
    if (this.live[victim] !== 0) {
      // An indexed record that no longer reads back intact (flash changed since boot): its value is gone.
      for (let entry = 0; entry < index.capacity; entry++) {
        if (index.collection[entry] !== 0 && this.sectorOf(index.location[entry]) === victim) {
          this.dropEntry(entry);
          this.c.counters.add(this.c.lostRecords);
        }
      }
    }
  }

  /**
   * Dry run of appending records of `sizes[0..count)` (a transaction), then, if `reserve` > 0, one more record of
   * `reserve` bytes: the room kept so that a delete command (tombstones and its reply) always fits afterwards. For
   * that last part the records the transaction replaces or deletes (`dying`, per sector) count as dead, as they are
   * once it committed. Mirrors rotate() byte for byte, so PLAN_OK guarantees the real writes fit: the index is not
   * touched until the commit, so live bytes do not change while the transaction is written except by moves.
   */
  plan(sizes: Uint32Array, count: number, reserve: number): number {
    const n = this.sectorCount;
    const sectorSize = this.sectorSize;
    const simLive = this.simLive;
    const simState = this.simState;
    const simPending = this.simPending;
    const simDying = this.simDying;
    for (let s = 0; s < n; s++) {
      simLive[s] = this.live[s];
      simState[s] = this.state[s];
      simPending[s] = 0;
      simDying[s] = this.dying[s];
    }
    let head = this.head;
    let pos = this.headPos;
    const total = reserve > 0 ? count + 1 : count;
    for (let i = 0; i < total; i++) {
      const pending = i < count;
      if (!pending) {
        // After the commit the transaction's records are live like any other, and what it replaced is dead.
        for (let s = 0; s < n; s++) {
          simLive[s] = simLive[s] + simPending[s] - simDying[s];
          simPending[s] = 0;
        }
      }
      const size = pending ? sizes[i] : reserve;
      for (let turns = 0; pos + size > sectorSize; turns++) {
        if (turns === n) return PLAN_FULL;
        const next = (head + 1) % n;
        const victim = (head + 2) % n;
        if (simPending[victim] !== 0) return PLAN_WRAPS;
        const moved = simState[victim] === SECTOR_LIVE ? simLive[victim] : 0;
        simLive[next] = moved;
        simDying[next] = simDying[victim];
        simState[next] = SECTOR_LIVE;
        simLive[victim] = 0;
        simDying[victim] = 0;
        simState[victim] = SECTOR_BLANK;
        head = next;
        pos = SECTOR_HEADER_BYTES + moved;
      }
      pos += size;
      if (pending) simPending[head] += size;
    }
    return PLAN_OK;
  }

  /** Bytes held by live records. */
  liveBytes(): number {
    let total = 0;
    for (let s = 0; s < this.sectorCount; s++) total += this.live[s];
    return total;
  }
}
