/**
 * `flash` on ESP32 (modules/files/flash/flash.js, modules/files/flash/esp32/flash.c): a partition by name
 * ("nextota" is the inactive OTA app slot, "running" the booted one, any other name a data partition), NOR cells:
 * erase sets a 4 KiB sector to 0xFF, a write can only clear bits. `read` returns a new ArrayBuffer; `write` takes
 * `byteLength` bytes from the start of any buffer or view ("invalid" when it is shorter or byteLength <= 0).
 * The Linux simulator's `flash` is boards/sim/modules/flash.js (ours), bundled as is in the "lin" fake world.
 */
import { flashStats, partitions } from "./hardware";

const SECTOR = 4096;

/** The bytes a native buffer argument stands for (a Uint8Array as is: no allocation on the HAL's path). */
function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  return ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
}

class Flash {
  private readonly cells: Uint8Array;
  constructor(name: string) {
    const cells = partitions[String(name)];
    if (!cells) throw new Error("can't find partition");
    this.cells = cells;
  }
  get byteLength(): number {
    return this.cells.length;
  }
  get blockSize(): number {
    return SECTOR;
  }
  erase(sector: number): void {
    sector |= 0;
    if (!(sector >= 0 && (sector + 1) * SECTOR <= this.cells.length)) throw new Error("erase failed");
    flashStats.erases++;
    this.cells.fill(0xff, sector * SECTOR, (sector + 1) * SECTOR);
  }
  read(offset: number, byteLength: number): ArrayBuffer {
    offset |= 0;
    byteLength |= 0;
    if (!(offset >= 0 && byteLength >= 0 && offset + byteLength <= this.cells.length)) throw new Error("read failed");
    flashStats.reads++;
    return this.cells.slice(offset, offset + byteLength).buffer;
  }
  readString(_offset: number, _byteLength: number): string {
    throw new Error("fake flash: readString is not modelled (the HAL does not use it)");
  }
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    offset |= 0;
    byteLength |= 0;
    const source = bytesOf(buffer);
    if (byteLength <= 0 || source.length < byteLength) throw new Error("invalid");
    if (!(offset >= 0 && offset + byteLength <= this.cells.length)) throw new Error("write failed");
    flashStats.writes++;
    for (let i = 0; i < byteLength; i++) this.cells[offset + i] &= source[i];
  }
  map(): ArrayBuffer {
    throw new Error("fake flash: map is not modelled (the HAL does not use it)");
  }
}

export default Flash;
