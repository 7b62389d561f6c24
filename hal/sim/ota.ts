import type { OtaSlotWriter } from "../types";
import { SimNorFlash, type TearMode } from "./flash";

/** ESP-IDF's image states as the sim tracks them per slot ("writing": begun, not completed). */
export type SimOtaImageState = "empty" | "writing" | "new" | "pending-verify" | "valid" | "aborted";

export interface SimOtaOptions {
  /** Bytes per slot (default 1 MiB); a multiple of the sector size. */
  slotBytes?: number;
  sectorSize?: number;
  /** Seed and tear mode of the slot flash (power cuts tear image writes like any NOR program). */
  seed?: number;
  tearMode?: TearMode;
  /** Called by `rollback()` (after it is recorded in `restartRequests`). */
  restart?: (reason: string) => void;
}

/**
 * Two OTA slots on a simulated NOR chip with the ESP-IDF bootloader's rules (app rollback enabled), so download,
 * resume, power cuts, verification and rollback can be exercised deterministically:
 *  - slot s lives at s * slotBytes of `flash`; a sector is erased just before the first byte lands in it, as the
 *    device adapter does (docs/ota.md), so `flash.cutAfter(n)` tears image writes and erases for real;
 *  - `complete()` makes the written slot the boot slot in state "new"; `reboot()` is the bootloader: "new" boots
 *    as "pending-verify"; a slot still "pending-verify" at a reboot is "aborted" and the other valid slot boots;
 *  - `retryPendingImage()` puts the running pending image back to "new" (one more trial boot);
 *  - `rollback()` aborts the running image and asks for a restart (call `reboot()` to carry it out).
 * The object outlives reboots, as flash does; `reboot()` forgets only the RAM of a write session.
 */
export class SimOtaSlots implements OtaSlotWriter {
  readonly slotBytes: number;
  readonly sectorSize: number;
  running: 0 | 1 = 0;
  /** Slot the bootloader starts next (ESP-IDF otadata). */
  bootSlot: 0 | 1 = 0;
  readonly states: [SimOtaImageState, SimOtaImageState] = ["valid", "empty"];
  /** Announced size of the image in each slot (0 when empty). */
  readonly sizes: [number, number] = [0, 0];
  /** Next write position in the inactive slot during a write session. */
  writtenBytes = 0;
  writing = false;
  markedValid = 0;
  rollbacks = 0;
  retries = 0;
  boots = 0;
  readonly restartRequests: string[] = [];
  private erasedUpTo = 0;
  private chip: SimNorFlash | null = null;
  private readonly options: SimOtaOptions;

  constructor(options: SimOtaOptions = {}) {
    this.options = options;
    this.sectorSize = options.sectorSize ?? 4096;
    this.slotBytes = options.slotBytes ?? 1024 * 1024;
    if (this.slotBytes % this.sectorSize !== 0) throw new RangeError(`SimOtaSlots: slotBytes ${this.slotBytes} is not a multiple of ${this.sectorSize}`);
  }

  /** The chip holding both slots, allocated on first use (most simulated HALs never update). */
  get flash(): SimNorFlash {
    if (this.chip === null) {
      this.chip = new SimNorFlash({
        sectorSize: this.sectorSize,
        sectorCount: (2 * this.slotBytes) / this.sectorSize,
        seed: this.options.seed ?? 11,
        tearMode: this.options.tearMode,
      });
    }
    return this.chip;
  }

  get inactive(): 0 | 1 {
    return this.running === 0 ? 1 : 0;
  }

  /** `length` bytes of a slot from its start (a copy), for tests. */
  slotContent(slot: 0 | 1, length = this.sizes[slot]): Uint8Array {
    const start = slot * this.slotBytes;
    return this.flash.cells.slice(start, start + length);
  }

  /** Put an image into the running slot as the factory image (tests: what "the running image untouched" compares to). */
  installFactory(image: Uint8Array): void {
    const base = this.running * this.slotBytes;
    for (let sector = 0; sector * this.sectorSize < image.length; sector++) this.flash.eraseSector(base / this.sectorSize + sector);
    this.flash.program(base, image, 0, image.length);
    this.sizes[this.running] = image.length;
    this.states[this.running] = "valid";
  }

  begin(size: number): void {
    if (!(Number.isInteger(size) && size > 0 && size <= this.slotBytes)) {
      throw new RangeError(`OTA begin: size must be 1..${this.slotBytes}, got ${size}`);
    }
    const slot = this.inactive;
    this.states[slot] = "writing";
    this.sizes[slot] = size;
    if (this.bootSlot === slot) this.bootSlot = this.running;
    this.writtenBytes = 0;
    this.erasedUpTo = 0;
    this.writing = true;
  }

  resume(size: number, offset: number): void {
    const slot = this.inactive;
    if (this.states[slot] !== "writing" || this.sizes[slot] !== size) {
      throw new Error(`OTA resume: the inactive slot holds no unfinished ${size}-byte image (state ${this.states[slot]}, ${this.sizes[slot]} bytes)`);
    }
    if (!(Number.isInteger(offset) && offset >= 0 && offset <= size)) throw new RangeError(`OTA resume: offset must be 0..${size}, got ${offset}`);
    this.writtenBytes = offset;
    // The sector holding `offset` was erased before its first byte was written; the ones after it may hold an old
    // image or a torn erase, so each is erased again before use.
    this.erasedUpTo = Math.ceil(offset / this.sectorSize) * this.sectorSize;
    this.writing = true;
  }

  write(data: Uint8Array, offset: number, length: number): void {
    if (!this.writing) throw new Error("OTA write without begin");
    const slot = this.inactive;
    if (this.writtenBytes + length > this.sizes[slot]) {
      throw new RangeError(`OTA write past the announced size: ${this.writtenBytes} + ${length} > ${this.sizes[slot]}`);
    }
    const base = slot * this.slotBytes;
    const flash = this.flash;
    while (this.erasedUpTo < this.writtenBytes + length) {
      flash.eraseSector((base + this.erasedUpTo) / this.sectorSize);
      this.erasedUpTo += this.sectorSize;
    }
    flash.program(base + this.writtenBytes, data, offset, length);
    this.writtenBytes += length;
  }

  read(slotOffset: number, into: Uint8Array, intoOffset: number, length: number): void {
    const slot = this.inactive;
    if (!(slotOffset >= 0 && length >= 0 && slotOffset + length <= this.sizes[slot])) {
      throw new RangeError(`OTA read: ${slotOffset}+${length} outside the ${this.sizes[slot]}-byte image`);
    }
    this.flash.read(slot * this.slotBytes + slotOffset, into, intoOffset, length);
  }

  complete(): void {
    if (!this.writing) throw new Error("OTA complete without begin");
    const slot = this.inactive;
    if (this.writtenBytes !== this.sizes[slot]) throw new Error(`OTA complete: ${this.writtenBytes} of ${this.sizes[slot]} bytes written`);
    this.writing = false;
    this.states[slot] = "new";
    this.bootSlot = slot;
  }

  cancel(): void {
    const slot = this.inactive;
    this.writing = false;
    if (this.states[slot] === "empty") return;
    this.states[slot] = "empty";
    this.sizes[slot] = 0;
    if (this.bootSlot === slot) this.bootSlot = this.running;
    // Without its first sector (the image header) nothing can boot the slot.
    this.flash.eraseSector((slot * this.slotBytes) / this.sectorSize);
  }

  runningImagePendingVerify(): boolean {
    // "new" on the running slot: retryPendingImage() was called; the image is still unconfirmed.
    const state = this.states[this.running];
    return state === "pending-verify" || state === "new";
  }

  markRunningValid(): void {
    this.states[this.running] = "valid";
    this.markedValid++;
  }

  retryPendingImage(): void {
    if (!this.runningImagePendingVerify()) return;
    this.states[this.running] = "new";
    this.bootSlot = this.running;
    this.retries++;
  }

  rollback(): void {
    const other = this.inactive;
    if (this.states[other] !== "valid") throw new Error("OTA rollback: no valid image in the other slot");
    this.states[this.running] = "aborted";
    this.bootSlot = other;
    this.rollbacks++;
    this.restartRequests.push("ota rollback");
    this.options.restart?.("ota rollback");
  }

  /** The bootloader after a reset or power cycle (see the class comment). */
  reboot(): void {
    this.boots++;
    this.writing = false;
    let slot = this.bootSlot;
    const other: 0 | 1 = slot === 0 ? 1 : 0;
    if (this.states[slot] === "new") {
      this.states[slot] = "pending-verify";
    } else if ((this.states[slot] === "pending-verify" || this.states[slot] === "aborted") && this.states[other] === "valid") {
      // Reset before being confirmed: the bootloader abandons the image and goes back to the previous one.
      this.states[slot] = "aborted";
      slot = other;
      this.bootSlot = other;
    }
    this.running = slot;
  }
}
