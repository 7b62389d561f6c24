import Flash from "flash";
import type { FlashProvider, NorFlash } from "../types";

/** Bytes programmed per native call when the source does not start at its buffer's beginning. */
const PROGRAM_CHUNK_BYTES = 256;

/**
 * One partition of the SPI NOR flash through the SDK's `flash` module (ESP-IDF esp_partition_*), which keeps NOR
 * semantics: erase sets a 4 KiB sector to 0xFF, a write only clears bits (flash encryption must stay off for that).
 *
 * Allocation: `program` allocates nothing (the SDK writes from the start of the buffer it is given, so a source at
 * an offset goes through a preallocated chunk). `read` costs one ArrayBuffer and one view per call, because the
 * SDK's read always returns a new ArrayBuffer: the store reads at boot and at command rate, not per tick.
 */
export class ModdableNorFlash implements NorFlash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly byteLength: number;
  private readonly flash: Flash;
  private readonly chunk = new Uint8Array(PROGRAM_CHUNK_BYTES);

  constructor(readonly partition: string) {
    try {
      this.flash = new Flash(partition);
    } catch (error) {
      throw new Error(`flash partition "${partition}" not found in the partition table (${String(error)})`);
    }
    this.sectorSize = this.flash.blockSize;
    this.sectorCount = Math.floor(this.flash.byteLength / this.sectorSize);
    this.byteLength = this.sectorCount * this.sectorSize;
  }

  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void {
    this.check(offset, length);
    if (!(Number.isInteger(intoOffset) && intoOffset >= 0 && intoOffset + length <= into.length)) {
      throw new RangeError(`flash read: ${length} bytes do not fit at ${intoOffset} in a ${into.length}-byte buffer`);
    }
    if (length === 0) return;
    into.set(new Uint8Array(this.flash.read(offset, length)), intoOffset);
  }

  program(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    this.check(offset, length);
    if (!(Number.isInteger(dataOffset) && dataOffset >= 0 && dataOffset + length <= data.length)) {
      throw new RangeError(`flash program: data range ${dataOffset}+${length} outside the ${data.length}-byte buffer`);
    }
    if (length === 0) return;
    if (dataOffset === 0) {
      this.flash.write(offset, length, data);
      return;
    }
    const chunk = this.chunk;
    let done = 0;
    while (done < length) {
      const n = length - done < PROGRAM_CHUNK_BYTES ? length - done : PROGRAM_CHUNK_BYTES;
      for (let i = 0; i < n; i++) chunk[i] = data[dataOffset + done + i];
      this.flash.write(offset + done, n, chunk);
      done += n;
    }
  }

  eraseSector(sector: number): void {
    if (!(Number.isInteger(sector) && sector >= 0 && sector < this.sectorCount)) {
      throw new RangeError(`flash ${this.partition}: sector ${sector} outside 0..${this.sectorCount - 1}`);
    }
    this.flash.erase(sector);
  }

  private check(offset: number, length: number): void {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.byteLength)) {
      throw new RangeError(`flash ${this.partition}: range ${offset}+${length} outside 0..${this.byteLength}`);
    }
  }
}

/** Partitions by name, each opened once (a second open returns the same object). */
export class ModdableFlashProvider implements FlashProvider {
  private readonly names: string[] = [];
  private readonly opened: ModdableNorFlash[] = [];

  open(partition: string): NorFlash {
    const index = this.names.indexOf(partition);
    if (index >= 0) return this.opened[index];
    const flash = new ModdableNorFlash(partition);
    this.names.push(partition);
    this.opened.push(flash);
    return flash;
  }
}
