/**
 * The on-flash format (version 1). docs/store.md draws it; this file is the single source of the numbers.
 *
 * Partition = N sectors used as a ring. Sector layout:
 *   0..15   header copy A: magic u32, sector seq u32, tx seq at open u32, crc32 of the 12 bytes before
 *   16..31  header copy B: the same 16 bytes again (a single flipped bit or a torn header write leaves one good copy)
 *   32..35  gc-done word: 0xFFFFFFFF while the sector's garbage collection is copying, programmed to 0 when done
 *   36..39  reserved (0xFF)
 *   40..    records, each 8-byte aligned, until the sector is full
 *
 * Record layout (16-byte header, then key, then value, then 0xFF padding to 8 bytes):
 *   0  magic 0xA7            1  kind | flags          2  collection id       3  key length
 *   4  value length u16      6  back u16: txSeq minus the last committed tx seq when written (0 = unknown)
 *   8  tx seq u32            12 crc32 of header bytes 0..11, key and value
 * All integers little-endian.
 */
export const FORMAT_MAGIC = 0x31535347; // "GSS1" read little-endian; a new format gets a new magic
export const SECTOR_HEADER_COPY_BYTES = 16;
export const GC_DONE_OFFSET = 32;
export const SECTOR_HEADER_BYTES = 40;
export const RECORD_HEADER_BYTES = 16;
export const RECORD_MAGIC = 0xa7;
export const ALIGN = 8;
/** Key lengths are one byte on flash. */
export const MAX_KEY_BYTES_FORMAT = 255;
export const MAX_VALUE_BYTES_FORMAT = 65535;

/** Record kinds (low 3 bits of the kind byte). */
export const KIND_PUT = 1;
export const KIND_DELETE = 2;
/** Delete every record of the collection (replace-all commands): one small record instead of a tombstone per key. */
export const KIND_CLEAR = 3;
export const KIND_MASK = 0x07;
/** Last record of its transaction: the transaction counts as committed once this record reads back with a good CRC. */
export const FLAG_COMMIT = 0x10;
/** Written by garbage collection: a committed value moved, applies on its own, not part of a transaction. */
export const FLAG_COPY = 0x20;
/**
 * With FLAG_COPY: the value was moved while transaction `tx seq` (which changes this key) was being written. Recovery
 * applies it only if that transaction did not commit; otherwise a stale copy written after a delete could bring the
 * deleted key back once the delete's tombstone has been collected.
 */
export const FLAG_CONDITIONAL = 0x40;

export function alignUp(n: number): number {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

/** Bytes a record occupies on flash. */
export function recordSize(keyLength: number, valueLength: number): number {
  return alignUp(RECORD_HEADER_BYTES + keyLength + valueLength);
}

export function writeU16(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
}

export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

export function readU16(buf: Uint8Array, at: number): number {
  return buf[at] | (buf[at + 1] << 8);
}

export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

/** Is a kind byte one this format defines (flags in legal combinations)? */
export function validKindByte(byte: number): boolean {
  const kind = byte & KIND_MASK;
  if (kind < KIND_PUT || kind > KIND_CLEAR) return false;
  if ((byte & 0x88) !== 0) return false;
  const copy = (byte & FLAG_COPY) !== 0;
  if (copy && (kind !== KIND_PUT || (byte & FLAG_COMMIT) !== 0)) return false;
  if ((byte & FLAG_CONDITIONAL) !== 0 && !copy) return false;
  return true;
}

/** Count of zero bits in a 32-bit word. */
export function zeroBits(word: number): number {
  let v = ~word >>> 0;
  let count = 0;
  while (v !== 0) {
    v &= v - 1;
    count++;
  }
  return count;
}

/**
 * The gc-done word counts as programmed when at least half its bits are cleared: a torn program of it is safe either
 * way (it starts only after every copy was written), and a few flipped bits cannot change the verdict.
 */
export function gcDoneSet(word: number): boolean {
  return zeroBits(word) >= 16;
}
