import { closeSync, existsSync, fstatSync, openSync, writeSync } from "node:fs";
import { readFileSync } from "node:fs";
import type { FlashProvider, NorFlash } from "../types";

export interface FlashPartitionOptions {
  sectorCount: number;
  /** Bytes per erase sector; 4096 as on ESP32's SPI NOR. */
  sectorSize?: number;
  /** Image file holding this partition; without it the partition lives in memory only. */
  file?: string;
}

/**
 * NOR flash over an image file: the image is held in memory and every program/erase is written through to the
 * file synchronously, so a crash of the process loses nothing that a power cut after the call would have kept.
 * NOR rules are kept exactly (erase sets 0xFF, program ANDs): code that works here relies on nothing a real chip
 * would not do.
 */
export class FileNorFlash implements NorFlash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly cells: Uint8Array;
  readonly file: string | null;
  private fd: number | null = null;
  reads = 0;
  programs = 0;
  erases = 0;

  constructor(options: FlashPartitionOptions) {
    const sectorSize = options.sectorSize ?? 4096;
    if (!(Number.isInteger(options.sectorCount) && options.sectorCount > 0)) {
      throw new RangeError(`FileNorFlash: sectorCount must be a positive integer, got ${options.sectorCount}`);
    }
    if (!(Number.isInteger(sectorSize) && sectorSize > 0)) {
      throw new RangeError(`FileNorFlash: sectorSize must be a positive integer, got ${sectorSize}`);
    }
    this.sectorSize = sectorSize;
    this.sectorCount = options.sectorCount;
    const size = sectorSize * options.sectorCount;
    this.file = options.file ?? null;
    if (this.file === null) {
      this.cells = new Uint8Array(size).fill(0xff);
      return;
    }
    if (existsSync(this.file)) {
      const fd = openSync(this.file, "r+");
      const actual = fstatSync(fd).size;
      if (actual !== size) {
        closeSync(fd);
        throw new Error(
          `flash image ${this.file} is ${actual} bytes but the partition needs ${size} (${options.sectorCount} x ${sectorSize}): ` +
            `use the image made for this partition or delete it to start empty`,
        );
      }
      this.fd = fd;
      this.cells = new Uint8Array(readFileSync(this.file));
    } else {
      // A fresh chip reads erased: create the image 0xFF-filled at the full partition size.
      this.cells = new Uint8Array(size).fill(0xff);
      this.fd = openSync(this.file, "w+");
      writeSync(this.fd, this.cells, 0, size, 0);
    }
  }

  get byteLength(): number {
    return this.cells.length;
  }

  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void {
    this.check(offset, length);
    this.reads++;
    into.set(this.cells.subarray(offset, offset + length), intoOffset);
  }

  program(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    this.check(offset, length);
    if (!(dataOffset >= 0 && dataOffset + length <= data.length)) {
      throw new RangeError(`FileNorFlash: data range ${dataOffset}+${length} outside the ${data.length}-byte buffer`);
    }
    this.programs++;
    const cells = this.cells;
    for (let i = 0; i < length; i++) cells[offset + i] &= data[dataOffset + i];
    this.writeThrough(offset, length);
  }

  eraseSector(sector: number): void {
    if (!(Number.isInteger(sector) && sector >= 0 && sector < this.sectorCount)) {
      throw new RangeError(`FileNorFlash: sector ${sector} outside 0..${this.sectorCount - 1}`);
    }
    this.erases++;
    const start = sector * this.sectorSize;
    this.cells.fill(0xff, start, start + this.sectorSize);
    this.writeThrough(start, this.sectorSize);
  }

  /** Release the image file; the partition must not be used afterwards. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private writeThrough(offset: number, length: number): void {
    if (this.file === null) return;
    if (this.fd === null) throw new Error(`FileNorFlash: ${this.file} used after close()`);
    writeSync(this.fd, this.cells, offset, length, offset);
  }

  private check(offset: number, length: number): void {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.cells.length)) {
      throw new RangeError(`FileNorFlash: range ${offset}+${length} outside 0..${this.cells.length}`);
    }
  }
}

/** Partitions by name, opened (and their files created or checked) when the provider is built. */
export class FileFlashProvider implements FlashProvider {
  readonly partitions: Record<string, FileNorFlash> = {};

  constructor(layout: Record<string, FlashPartitionOptions>) {
    for (const name of Object.keys(layout)) {
      try {
        this.partitions[name] = new FileNorFlash(layout[name]);
      } catch (error) {
        this.close();
        throw error;
      }
    }
  }

  open(partition: string): NorFlash {
    const flash = this.partitions[partition];
    if (!flash) throw new Error(`flash partition "${partition}" not found (have: ${Object.keys(this.partitions).join(", ") || "none"})`);
    return flash;
  }

  close(): void {
    for (const name of Object.keys(this.partitions)) this.partitions[name].close();
  }
}
