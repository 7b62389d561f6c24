import type { FlashProvider, NorFlash } from "../types";
import { SeededRandom } from "./random";

/** Thrown by the simulated flash when the scheduled power cut happens. The device is "off" from then on. */
export class PowerCut extends Error {
  constructor(readonly operation: number) {
    super(`power cut at flash operation ${operation}`);
    this.name = "PowerCut";
  }
}

/**
 * How a cut operation tears.
 * - "prefix" (default, the original model): a torn program leaves a random prefix of its bytes programmed and one
 *   byte with only some of its bits cleared; a torn erase leaves random bytes mixed with erased ones.
 * - "mixed": each tear picks one of several physical outcomes, so a store must survive all of them:
 *   program: the prefix above, or any subset of bits cleared anywhere in the range (page buffers program in
 *   parallel, a cut can leave every byte half done); erase: random noise, an erase that finished on a prefix of the
 *   sector and never started on the rest (old content intact), or old content with a random subset of bits raised to 1.
 */
export type TearMode = "prefix" | "mixed";

export interface SimFlashOptions {
  sectorSize?: number;
  sectorCount?: number;
  /** Erase cycles a sector survives; past it, programs may fail to clear bits (worn cells). */
  endurance?: number;
  /** Seed for the content of torn operations. */
  seed?: number;
  tearMode?: TearMode;
}

/**
 * A faithful NOR model: erase sets a sector to 0xFF, program ANDs data into the cells, nothing is atomic.
 *
 * Faults: `cutAfter(n)` makes the n-th following mutating operation (program or erase) tear and throw PowerCut (see
 * TearMode for what a tear leaves). Every erase is counted per sector (wear); past `endurance` erases a sector's
 * programs may silently fail to clear bits. `clone()` forks the chip (content, wear, operation count) so a test can
 * try a cut at one operation and carry on with the original.
 *
 * `read` copies byte by byte on purpose: a `subarray` view would allocate, and XS allocation measurements of code
 * that reads flash must see only that code's allocations.
 */
export class SimNorFlash implements NorFlash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly endurance: number;
  readonly tearMode: TearMode;
  readonly cells: Uint8Array;
  readonly eraseCounts: Uint32Array;
  /** Mutating operations (program + erase) performed so far, including the torn one. */
  operations = 0;
  reads = 0;
  programs = 0;
  erases = 0;
  /** Programs that asked to turn a 0 bit back into 1 (impossible on NOR: the bit stays 0). A store should never do it. */
  bitSetAttempts = 0;
  private cutAtOperation = -1;
  private powered = true;
  private readonly random: SeededRandom;

  constructor(options: SimFlashOptions = {}) {
    this.sectorSize = options.sectorSize ?? 4096;
    this.sectorCount = options.sectorCount ?? 16;
    this.endurance = options.endurance ?? 100_000;
    this.tearMode = options.tearMode ?? "prefix";
    this.cells = new Uint8Array(this.sectorSize * this.sectorCount).fill(0xff);
    this.eraseCounts = new Uint32Array(this.sectorCount);
    this.random = new SeededRandom(options.seed ?? 1);
  }

  get byteLength(): number {
    return this.cells.length;
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /** Schedule a power cut: the `n`-th mutating operation from now (1 = the next one) tears. */
  cutAfter(n: number): void {
    this.cutAtOperation = this.operations + n;
  }

  /** Cancel a scheduled cut that has not happened yet. */
  cancelCut(): void {
    this.cutAtOperation = -1;
  }

  /** Power the chip back on (after a cut): content stays as the cut left it. */
  powerOn(): void {
    this.powered = true;
    this.cutAtOperation = -1;
  }

  /**
   * A second chip with the same content, wear and operation count (no cut scheduled, powered). `seed` drives the
   * fork's own tears, so forks taken at different points tear differently but replayably.
   */
  clone(seed?: number): SimNorFlash {
    const fork = new SimNorFlash({
      sectorSize: this.sectorSize,
      sectorCount: this.sectorCount,
      endurance: this.endurance,
      tearMode: this.tearMode,
      seed: seed ?? this.random.seed,
    });
    fork.cells.set(this.cells);
    fork.eraseCounts.set(this.eraseCounts);
    fork.operations = this.operations;
    return fork;
  }

  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void {
    this.check(offset, length);
    this.reads++;
    const cells = this.cells;
    for (let i = 0; i < length; i++) into[intoOffset + i] = cells[offset + i];
  }

  program(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    this.check(offset, length);
    if (this.tearsNow()) {
      if (this.tearMode === "mixed" && this.random.nextInt(2) === 1) this.tearBits(offset, data, dataOffset, length);
      else this.tearPrefix(offset, data, dataOffset, length);
      throw new PowerCut(this.operations);
    }
    this.programs++;
    const worn = this.eraseCounts[Math.floor(offset / this.sectorSize)] > this.endurance;
    const cells = this.cells;
    for (let i = 0; i < length; i++) {
      let value = data[dataOffset + i];
      if ((~cells[offset + i] & value & 0xff) !== 0) this.bitSetAttempts++;
      // A worn-out cell may refuse to clear some bits: the program silently fails, as on real parts.
      if (worn) value |= this.random.nextU32() & 0xff;
      cells[offset + i] &= value;
    }
  }

  eraseSector(sector: number): void {
    if (!(sector >= 0 && sector < this.sectorCount && Number.isInteger(sector))) {
      throw new RangeError(`SimNorFlash: sector ${sector} outside 0..${this.sectorCount - 1}`);
    }
    this.guardPower();
    const start = sector * this.sectorSize;
    this.eraseCounts[sector]++;
    if (this.tearsNow()) {
      const outcome = this.tearMode === "mixed" ? this.random.nextInt(3) : 0;
      if (outcome === 0) {
        for (let i = 0; i < this.sectorSize; i++) {
          // A cut mid-erase leaves arbitrary content, with a bias to erased cells as the erase progresses.
          this.cells[start + i] = this.random.nextU32() & 1 ? 0xff : this.random.nextU32() & 0xff;
        }
      } else if (outcome === 1) {
        // Erased up to some point, untouched after it: the old records there still read back intact.
        const done = 1 + this.random.nextInt(this.sectorSize - 1);
        this.cells.fill(0xff, start, start + done);
      } else {
        // Charge partly removed everywhere: old content with random bits already back to 1.
        for (let i = 0; i < this.sectorSize; i++) this.cells[start + i] |= this.random.nextU32() & 0xff;
      }
      throw new PowerCut(this.operations);
    }
    this.erases++;
    this.cells.fill(0xff, start, start + this.sectorSize);
  }

  /** Flip bits in place (radiation, a bad cell) for corruption tests; bypasses NOR rules. */
  corrupt(offset: number, xorMask: number): void {
    this.cells[offset] ^= xorMask;
  }

  maxEraseCount(): number {
    let max = 0;
    for (const count of this.eraseCounts) if (count > max) max = count;
    return max;
  }

  minEraseCount(): number {
    let min = Infinity;
    for (const count of this.eraseCounts) if (count < min) min = count;
    return min;
  }

  private tearPrefix(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    const done = this.random.nextInt(length + 1);
    for (let i = 0; i < done; i++) this.cells[offset + i] &= data[dataOffset + i];
    if (done < length) this.cells[offset + done] &= data[dataOffset + done] | (this.random.nextU32() & 0xff);
  }

  private tearBits(offset: number, data: Uint8Array, dataOffset: number, length: number): void {
    // Each byte gets a random subset of the bits it should clear; some get all, some none.
    for (let i = 0; i < length; i++) this.cells[offset + i] &= data[dataOffset + i] | (this.random.nextU32() & 0xff);
  }

  private tearsNow(): boolean {
    this.guardPower();
    this.operations++;
    if (this.operations === this.cutAtOperation) {
      this.powered = false;
      return true;
    }
    return false;
  }

  private guardPower(): void {
    if (!this.powered) throw new PowerCut(this.operations);
  }

  private check(offset: number, length: number): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.cells.length)) {
      throw new RangeError(`SimNorFlash: range ${offset}+${length} outside 0..${this.cells.length}`);
    }
  }
}

/** Partitions by name, each its own simulated chip region. */
export class SimFlashProvider implements FlashProvider {
  constructor(readonly partitions: Record<string, SimNorFlash>) {}

  open(partition: string): NorFlash {
    const flash = this.partitions[partition];
    if (!flash) throw new Error(`flash partition "${partition}" not found`);
    return flash;
  }
}
