/**
 * The RAM index: live (collection, key) -> flash location of the record holding its value. Fixed capacity, open
 * addressing with linear probing and backward-shift deletion (no tombstones, so lookups never degrade).
 *
 * Keys are not kept in RAM (they would cost up to 255 bytes per entry): an entry stores a 32-bit hash and the key
 * length, and the caller confirms a candidate by comparing the key bytes on flash (`KeyMatcher`). Reads and updates
 * allocate nothing.
 */
import { columns } from "../core/columns";

export interface KeyMatcher {
  /** Does the record at `location` (key length already known equal) hold exactly this key? */
  keyMatches(location: number, key: Uint8Array, keyOffset: number, keyLength: number): boolean;
}

/** FNV-1a over the collection id and the key bytes. */
export function keyHash(collection: number, key: Uint8Array, keyOffset: number, keyLength: number): number {
  let h = Math.imul(0x811c9dc5 ^ collection, 0x01000193);
  for (let i = 0; i < keyLength; i++) h = Math.imul(h ^ key[keyOffset + i], 0x01000193);
  return h >>> 0;
}

export const NO_ENTRY = -1;
export const MAX_INDEX_CAPACITY = 16383;

export class IndexTable {
  readonly capacity: number;
  /** Collection id per entry; 0 marks a free entry. */
  readonly collection: Uint8Array;
  readonly hash: Uint32Array;
  readonly keyLength: Uint8Array;
  /** Absolute byte offset of the record in the partition. */
  readonly location: Uint32Array;
  /** Bytes the record occupies on flash (for the live-bytes accounting per sector; sectors are <= 64 KiB). */
  readonly size: Uint16Array;
  /** Scratch mark per entry (the store marks keys its in-flight transaction changes). */
  readonly mark: Uint8Array;
  /** Live records per collection id. */
  readonly countByCollection: Uint16Array;
  private readonly slots: Int16Array;
  private readonly mask: number;
  private readonly freeList: Int16Array;
  private freeCount: number;

  /** At most MAX_INDEX_CAPACITY entries (16-bit entry numbers keep the table small). */
  constructor(capacity: number) {
    if (!(capacity >= 1 && capacity <= MAX_INDEX_CAPACITY)) throw new RangeError(`IndexTable: capacity ${capacity} (1..${MAX_INDEX_CAPACITY})`);
    this.capacity = capacity;
    let slotCount = 8;
    while (slotCount < capacity * 2) slotCount *= 2;
    // Every column in one buffer (src/core/columns.ts: ~3 XS slots less per column).
    const cols = columns([
      ["u32", capacity],
      ["u32", capacity],
      ["u16", capacity],
      ["u16", 256],
      ["i16", slotCount],
      ["i16", capacity],
      ["u8", capacity],
      ["u8", capacity],
      ["u8", capacity],
    ]);
    this.hash = cols[0] as Uint32Array;
    this.location = cols[1] as Uint32Array;
    this.size = cols[2] as Uint16Array;
    this.countByCollection = cols[3] as Uint16Array;
    this.slots = (cols[4] as Int16Array).fill(NO_ENTRY);
    this.freeList = cols[5] as Int16Array;
    this.collection = cols[6] as Uint8Array;
    this.keyLength = cols[7] as Uint8Array;
    this.mark = cols[8] as Uint8Array;
    this.mask = slotCount - 1;
    for (let i = 0; i < capacity; i++) this.freeList[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  get used(): number {
    return this.capacity - this.freeCount;
  }

  get free(): number {
    return this.freeCount;
  }

  /** The entry for this key, or NO_ENTRY. */
  find(collection: number, hash: number, key: Uint8Array, keyOffset: number, keyLength: number, matcher: KeyMatcher): number {
    const slots = this.slots;
    let slot = hash & this.mask;
    for (;;) {
      const entry = slots[slot];
      if (entry === NO_ENTRY) return NO_ENTRY;
      if (
        this.hash[entry] === hash &&
        this.collection[entry] === collection &&
        this.keyLength[entry] === keyLength &&
        matcher.keyMatches(this.location[entry], key, keyOffset, keyLength)
      ) {
        return entry;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Add a new entry (the caller checked the key is absent). Returns NO_ENTRY when the table is full. */
  insert(collection: number, hash: number, keyLength: number, location: number, size: number): number {
    if (this.freeCount === 0) return NO_ENTRY;
    const entry = this.freeList[--this.freeCount];
    this.collection[entry] = collection;
    this.hash[entry] = hash;
    this.keyLength[entry] = keyLength;
    this.location[entry] = location;
    this.size[entry] = size;
    this.mark[entry] = 0;
    this.countByCollection[collection]++;
    let slot = hash & this.mask;
    while (this.slots[slot] !== NO_ENTRY) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry;
    return entry;
  }

  remove(entry: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = this.hash[entry] & mask;
    while (slots[hole] !== entry) hole = (hole + 1) & mask;
    // Backward shift: pull later members of the probe run into the hole while that keeps them reachable.
    let next = hole;
    for (;;) {
      next = (next + 1) & mask;
      const moved = slots[next];
      if (moved === NO_ENTRY) break;
      const home = this.hash[moved] & mask;
      const reachable = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (reachable) continue;
      slots[hole] = moved;
      hole = next;
    }
    slots[hole] = NO_ENTRY;
    this.countByCollection[this.collection[entry]]--;
    this.collection[entry] = 0;
    this.mark[entry] = 0;
    this.freeList[this.freeCount++] = entry;
  }
}
