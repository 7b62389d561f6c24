/**
 * Byte-level access to the store's sectors: sector headers, record parsing (CRC-checked, with resynchronisation past
 * damaged bytes), verified programming. Owns the two preallocated buffers every flash access goes through, so
 * nothing here allocates.
 */
import type { NorFlash } from "../../hal/types";
import { CRC32_INIT, crc32Final, crc32Update } from "./crc32";
import { StoreError } from "./errors";
import {
  ALIGN,
  FORMAT_MAGIC,
  GC_DONE_OFFSET,
  KIND_CLEAR,
  KIND_DELETE,
  KIND_MASK,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  SECTOR_HEADER_BYTES,
  SECTOR_HEADER_COPY_BYTES,
  alignUp,
  readU16,
  readU32,
  validKindByte,
  writeU32,
} from "./format";
import type { KeyMatcher } from "./index-table";

const CHUNK = 256;

export class FlashLog implements KeyMatcher {
  readonly sectorSize: number;
  readonly sectorCount: number;
  /**
   * Holds one whole record, the largest this store writes (`maxRecordBytes`): parsed records land here, records to
   * write are built here. Sized to the store's own largest record rather than a sector payload (4 KB sectors: about
   * 1.6 KB instead of 4 KB of the device's chunk heap). A record on flash larger than this reads as damaged, so a
   * firmware may raise the store's maxKeyBytes/maxValueBytes but never lower them over a store written with larger
   * values (docs/store.md).
   */
  readonly record: Uint8Array;
  /** Small scratch for headers, key comparisons, blank checks and read-back verification. */
  private readonly chunk: Uint8Array;
  private readonly verifyChunk: Uint8Array;
  // Word views for read-back comparison of the store's own buffers (4x fewer XS steps than byte by byte).
  private readonly recordWords: Uint32Array;
  private readonly chunkWords: Uint32Array;
  private readonly verifyWords: Uint32Array;

  // Fields of the record last returned by nextRecord / readRecordAt (valid until the next call).
  recKind = 0;
  recCollection = 0;
  recKeyLength = 0;
  recValueLength = 0;
  recBack = 0;
  recTxSeq = 0;
  recSize = 0;
  /** Damaged stretches skipped by nextRecord since the last reset (each counted once). */
  corruptRegions = 0;

  // Fields of the sector header last read by readSectorHeader.
  hdrSeq = 0;
  hdrTxSeq = 0;
  hdrGcWord = 0;
  /** Which copies were good: bit 0 = A, bit 1 = B. */
  hdrCopies = 0;

  programs = 0;
  erases = 0;

  constructor(
    readonly flash: NorFlash,
    readonly verifyWrites: boolean,
    maxRecordBytes = flash.sectorSize - SECTOR_HEADER_BYTES,
  ) {
    this.sectorSize = flash.sectorSize;
    this.sectorCount = flash.sectorCount;
    // One buffer under all six views (each ArrayBuffer of its own would cost ~3 more XS heap slots).
    const recordBytes = alignUp(Math.min(maxRecordBytes, this.sectorSize - SECTOR_HEADER_BYTES));
    const buffer = new ArrayBuffer(recordBytes + 2 * CHUNK);
    this.record = new Uint8Array(buffer, 0, recordBytes);
    this.recordWords = new Uint32Array(buffer, 0, recordBytes >>> 2);
    this.chunk = new Uint8Array(buffer, recordBytes, CHUNK);
    this.chunkWords = new Uint32Array(buffer, recordBytes, CHUNK >>> 2);
    this.verifyChunk = new Uint8Array(buffer, recordBytes + CHUNK, CHUNK);
    this.verifyWords = new Uint32Array(buffer, recordBytes + CHUNK, CHUNK >>> 2);
  }

  /** Read a sector header; true if at least one copy is intact. Sets hdrSeq, hdrTxSeq, hdrGcWord, hdrCopies. */
  readSectorHeader(sector: number): boolean {
    const buf = this.chunk;
    this.flash.read(sector * this.sectorSize, buf, 0, SECTOR_HEADER_BYTES);
    this.hdrCopies = 0;
    for (let copy = 1; copy >= 0; copy--) {
      const at = copy * SECTOR_HEADER_COPY_BYTES;
      if (readU32(buf, at) !== FORMAT_MAGIC) continue;
      if (crc32Final(crc32Update(CRC32_INIT, buf, at, 12)) !== readU32(buf, at + 12)) continue;
      // Copy A is read last so it wins when both are good.
      this.hdrSeq = readU32(buf, at + 4);
      this.hdrTxSeq = readU32(buf, at + 8);
      this.hdrCopies |= 1 << copy;
    }
    this.hdrGcWord = readU32(buf, GC_DONE_OFFSET);
    return this.hdrCopies !== 0;
  }

  /** Program both header copies (and the gc-done word when nothing needs collecting) of a blank sector. */
  writeSectorHeader(sector: number, seq: number, txSeq: number, gcDone: boolean): void {
    const buf = this.chunk;
    buf.fill(0xff, 0, SECTOR_HEADER_BYTES);
    writeU32(buf, 0, FORMAT_MAGIC);
    writeU32(buf, 4, seq);
    writeU32(buf, 8, txSeq);
    writeU32(buf, 12, crc32Final(crc32Update(CRC32_INIT, buf, 0, 12)));
    buf.copyWithin(SECTOR_HEADER_COPY_BYTES, 0, SECTOR_HEADER_COPY_BYTES);
    if (gcDone) writeU32(buf, GC_DONE_OFFSET, 0);
    this.program(sector * this.sectorSize, buf, 0, SECTOR_HEADER_BYTES);
  }

  setGcDone(sector: number): void {
    const buf = this.chunk;
    writeU32(buf, 0, 0);
    this.program(sector * this.sectorSize + GC_DONE_OFFSET, buf, 0, 4);
  }

  erase(sector: number): void {
    this.erases++;
    this.flash.eraseSector(sector);
  }

  /** Program and (if enabled) read back: a worn cell that refused to clear a bit fails loudly, never silently. */
  program(location: number, data: Uint8Array, offset: number, length: number): void {
    this.programs++;
    this.flash.program(location, data, offset, length);
    if (!this.verifyWrites) return;
    const words = data === this.record ? this.recordWords : data === this.chunk ? this.chunkWords : null;
    const check = this.verifyChunk;
    for (let done = 0; done < length; done += CHUNK) {
      const n = length - done < CHUNK ? length - done : CHUNK;
      this.flash.read(location + done, check, 0, n);
      if (words !== null && ((offset + done) & 3) === 0 && (n & 3) === 0) {
        const from = (offset + done) >>> 2;
        const verify = this.verifyWords;
        let i = 0;
        while (i < n >>> 2 && verify[i] === words[from + i]) i++;
        if (i === n >>> 2) continue;
      }
      for (let i = 0; i < n; i++) {
        if (check[i] !== data[offset + done + i]) {
          throw new StoreError("FLASH_FAILURE", `byte ${location + done + i} reads 0x${check[i].toString(16)} after programming 0x${data[offset + done + i].toString(16)}`);
        }
      }
    }
  }

  /** Are bytes [from, to) of the sector all 0xFF? */
  isBlank(sector: number, from: number, to: number): boolean {
    const buf = this.chunk;
    const base = sector * this.sectorSize;
    for (let at = from; at < to; at += CHUNK) {
      const n = to - at < CHUNK ? to - at : CHUNK;
      this.flash.read(base + at, buf, 0, n);
      for (let i = 0; i < n; i++) if (buf[i] !== 0xff) return false;
    }
    return true;
  }

  /**
   * The next intact record at or after `pos` in `sector`: returns its position (record bytes in `record`, fields in
   * rec*) or -1 when only erased space (or nothing) is left. Damaged bytes are skipped in 8-byte steps until a record
   * with a good CRC starts again, so one bad record does not hide the ones after it.
   */
  nextRecord(sector: number, pos: number): number {
    const end = this.sectorSize;
    const base = sector * end;
    const rec = this.record;
    let damaged = false;
    while (pos + RECORD_HEADER_BYTES <= end) {
      this.flash.read(base + pos, rec, 0, RECORD_HEADER_BYTES);
      if (rec[0] === 0xff && this.isBlank(sector, pos, end)) break;
      if (this.parseAt(base + pos, end - pos, true)) {
        if (damaged) this.corruptRegions++;
        return pos;
      }
      damaged = true;
      pos += ALIGN;
    }
    if (damaged) this.corruptRegions++;
    return -1;
  }

  /** Load the record at an absolute location; false if it is not an intact record (CRC checked when `checkCrc`). */
  readRecordAt(location: number, checkCrc: boolean): boolean {
    const inSector = location % this.sectorSize;
    this.flash.read(location, this.record, 0, RECORD_HEADER_BYTES);
    return this.parseAt(location, this.sectorSize - inSector, checkCrc);
  }

  /** Compare a key with the key of the record at `location` (KeyMatcher for the index). */
  keyMatches(location: number, key: Uint8Array, keyOffset: number, keyLength: number): boolean {
    const buf = this.chunk;
    this.flash.read(location + RECORD_HEADER_BYTES, buf, 0, keyLength);
    for (let i = 0; i < keyLength; i++) if (buf[i] !== key[keyOffset + i]) return false;
    return true;
  }

  /** Fill the header fields of `record` (bytes 0..15 set by the caller), add key/value, CRC; returns the size. */
  sealRecord(keyLength: number, valueLength: number): number {
    const rec = this.record;
    rec[3] = keyLength;
    rec[4] = valueLength & 0xff;
    rec[5] = valueLength >>> 8;
    const bodyEnd = RECORD_HEADER_BYTES + keyLength + valueLength;
    let crc = crc32Update(CRC32_INIT, rec, 0, 12);
    crc = crc32Update(crc, rec, RECORD_HEADER_BYTES, keyLength + valueLength);
    writeU32(rec, 12, crc32Final(crc));
    const size = alignUp(bodyEnd);
    rec.fill(0xff, bodyEnd, size);
    return size;
  }

  /** Validate the header already in `record`, read the body, check the CRC. */
  private parseAt(location: number, room: number, checkCrc: boolean): boolean {
    const rec = this.record;
    if (rec[0] !== RECORD_MAGIC || !validKindByte(rec[1]) || rec[2] === 0 || rec[2] === 0xff) return false;
    const kind = rec[1] & KIND_MASK;
    const keyLength = rec[3];
    const valueLength = readU16(rec, 4);
    if (kind === KIND_CLEAR ? keyLength !== 0 || valueLength !== 0 : keyLength === 0) return false;
    if (kind === KIND_DELETE && valueLength !== 0) return false;
    const size = alignUp(RECORD_HEADER_BYTES + keyLength + valueLength);
    if (size > room || size > rec.length) return false;
    const body = keyLength + valueLength;
    if (body > 0) this.flash.read(location + RECORD_HEADER_BYTES, rec, RECORD_HEADER_BYTES, body);
    if (checkCrc) {
      let crc = crc32Update(CRC32_INIT, rec, 0, 12);
      crc = crc32Update(crc, rec, RECORD_HEADER_BYTES, body);
      if (crc32Final(crc) !== readU32(rec, 12)) return false;
    }
    this.recKind = rec[1];
    this.recCollection = rec[2];
    this.recKeyLength = keyLength;
    this.recValueLength = valueLength;
    this.recBack = readU16(rec, 6);
    this.recTxSeq = readU32(rec, 8);
    this.recSize = size;
    return true;
  }
}
