import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { OtaSlotWriter } from "../types";

/** ESP-IDF's image states, reduced to what the gateway can observe ("writing": begun, not completed). */
export type NodeOtaImageState = "empty" | "writing" | "new" | "pending-verify" | "valid" | "aborted";

export interface NodeOtaState {
  /** Slot the running image was booted from. */
  running: 0 | 1;
  states: [NodeOtaImageState, NodeOtaImageState];
  /** Image size per slot: the announced size while "writing", the written size once complete. */
  sizes: [number, number];
}

export interface NodeOtaOptions {
  /** Directory holding slot-0.bin, slot-1.bin and ota-state.json; without it the slots live in memory. */
  dir?: string;
  /** Largest image a slot takes (1,966,080 B: one of two autosplit slots of a 4 MB ESP32). */
  slotBytes?: number;
  /** Called by `rollback()` to reboot into the previous image. */
  restart?: (reason: string) => void;
}

/**
 * Two OTA slots with ESP-IDF's boot rules (app rollback enabled), so update and rollback logic can be exercised on
 * a PC across real process restarts when a directory is given:
 *  - complete() marks the written slot "new"; the next boot runs it in "pending-verify";
 *  - a boot that finds the running slot still "pending-verify" (never confirmed) marks it "aborted" and boots the
 *    other slot, which is what the bootloader does after a crash or watchdog reset of an unconfirmed image;
 *  - retryPendingImage() sets a pending running image back to "new": the next boot tries it again;
 *  - rollback() aborts the running image and restarts into the other slot;
 *  - an image interrupted by a restart stays "writing" with its announced size, and resume() continues it.
 * Constructing the object is the boot.
 */
export class NodeOtaSlots implements OtaSlotWriter {
  readonly slotBytes: number;
  readonly state: NodeOtaState;
  private readonly dir: string | null;
  private readonly memorySlots: [Uint8Array, Uint8Array] | null;
  private readonly restart: (reason: string) => void;
  private writing = false;
  private expected = 0;
  private written = 0;
  private fd: number | null = null;

  constructor(options: NodeOtaOptions = {}) {
    this.slotBytes = options.slotBytes ?? 0x1e0000;
    this.dir = options.dir ?? null;
    this.restart = options.restart ?? (() => {});
    this.memorySlots = this.dir === null ? [new Uint8Array(0), new Uint8Array(0)] : null;
    this.state = this.loadState();
    this.boot();
  }

  /** Bytes of the image being written (or last written) into the inactive slot; for tests. */
  slotContent(slot: 0 | 1): Uint8Array {
    if (this.memorySlots) return this.memorySlots[slot].subarray(0, this.state.sizes[slot]);
    const path = this.slotPath(slot);
    return existsSync(path) ? new Uint8Array(readFileSync(path)).subarray(0, this.state.sizes[slot]) : new Uint8Array(0);
  }

  begin(size: number): void {
    if (!(Number.isInteger(size) && size > 0 && size <= this.slotBytes)) {
      throw new RangeError(`OTA begin: size must be 1..${this.slotBytes}, got ${size}`);
    }
    this.closeFile();
    const slot = this.inactive();
    this.state.states[slot] = "writing";
    this.state.sizes[slot] = size;
    this.saveState();
    if (this.memorySlots) this.memorySlots[slot] = new Uint8Array(size).fill(0xff);
    else this.fd = openSync(this.slotPath(slot), "w");
    this.expected = size;
    this.written = 0;
    this.writing = true;
  }

  resume(size: number, offset: number): void {
    const slot = this.inactive();
    if (this.state.states[slot] !== "writing" || this.state.sizes[slot] !== size) {
      throw new Error(`OTA resume: the inactive slot holds no unfinished ${size}-byte image (state ${this.state.states[slot]})`);
    }
    if (!(Number.isInteger(offset) && offset >= 0 && offset <= size)) throw new RangeError(`OTA resume: offset must be 0..${size}, got ${offset}`);
    this.closeFile();
    if (this.memorySlots) {
      if (this.memorySlots[slot].length !== size) throw new Error("OTA resume: the in-memory slot did not survive");
    } else {
      const path = this.slotPath(slot);
      if (!existsSync(path)) throw new Error(`OTA resume: ${path} is missing`);
      this.fd = openSync(path, "r+");
    }
    this.expected = size;
    this.written = offset;
    this.writing = true;
  }

  read(slotOffset: number, into: Uint8Array, intoOffset: number, length: number): void {
    const slot = this.inactive();
    if (!(slotOffset >= 0 && length >= 0 && slotOffset + length <= this.state.sizes[slot])) {
      throw new RangeError(`OTA read: ${slotOffset}+${length} outside the ${this.state.sizes[slot]}-byte image`);
    }
    if (this.memorySlots) {
      into.set(this.memorySlots[slot].subarray(slotOffset, slotOffset + length), intoOffset);
      return;
    }
    const fd = this.fd ?? openSync(this.slotPath(slot), "r");
    try {
      let done = 0;
      while (done < length) {
        const count = readSync(fd, into, intoOffset + done, length - done, slotOffset + done);
        if (count === 0) throw new Error(`OTA read: slot file ends at ${slotOffset + done}`);
        done += count;
      }
    } finally {
      if (fd !== this.fd) closeSync(fd);
    }
  }

  write(data: Uint8Array, offset: number, length: number): void {
    if (!this.writing) throw new Error("OTA write without begin");
    if (this.written + length > this.expected) {
      throw new RangeError(`OTA write past the announced size: ${this.written} + ${length} > ${this.expected}`);
    }
    const slot = this.inactive();
    if (this.memorySlots) this.memorySlots[slot].set(data.subarray(offset, offset + length), this.written);
    else writeSync(this.fd as number, data, offset, length, this.written);
    this.written += length;
  }

  complete(): void {
    if (!this.writing) throw new Error("OTA complete without begin");
    if (this.written !== this.expected) throw new Error(`OTA complete: ${this.written} of ${this.expected} bytes written`);
    this.closeFile();
    this.writing = false;
    const slot = this.inactive();
    this.state.states[slot] = "new";
    this.state.sizes[slot] = this.written;
    this.saveState();
  }

  cancel(): void {
    this.closeFile();
    this.writing = false;
    const slot = this.inactive();
    this.state.states[slot] = "empty";
    this.state.sizes[slot] = 0;
    this.saveState();
    // Like the device adapter erasing the first sector: nothing of the abandoned image stays bootable or readable.
    if (this.memorySlots) this.memorySlots[slot] = new Uint8Array(0);
    else if (existsSync(this.slotPath(slot))) writeFileSync(this.slotPath(slot), new Uint8Array(0));
  }

  runningImagePendingVerify(): boolean {
    // "new" on the running slot: retryPendingImage() was called; the image is still unconfirmed.
    const state = this.state.states[this.state.running];
    return state === "pending-verify" || state === "new";
  }

  markRunningValid(): void {
    this.state.states[this.state.running] = "valid";
    this.saveState();
  }

  retryPendingImage(): void {
    if (!this.runningImagePendingVerify()) return;
    this.state.states[this.state.running] = "new";
    this.saveState();
  }

  rollback(): void {
    const other = this.inactive();
    if (this.state.states[other] !== "valid") throw new Error("OTA rollback: no valid image in the other slot");
    this.state.states[this.state.running] = "aborted";
    this.saveState();
    this.restart("ota rollback");
  }

  private boot(): void {
    const running = this.state.running;
    const other = this.inactive();
    if (this.state.states[other] === "new") {
      this.state.running = other;
      this.state.states[other] = "pending-verify";
    } else if (this.state.states[running] === "new") {
      // retryPendingImage() before the restart: one more trial boot.
      this.state.states[running] = "pending-verify";
    } else if (this.state.states[running] === "pending-verify" || this.state.states[running] === "aborted") {
      // Booted again without confirming: the bootloader falls back to the previous image when there is one.
      if (this.state.states[other] === "valid") {
        this.state.states[running] = "aborted";
        this.state.running = other;
      }
    }
    this.saveState();
  }

  private inactive(): 0 | 1 {
    return this.state.running === 0 ? 1 : 0;
  }

  private slotPath(slot: 0 | 1): string {
    return join(this.dir as string, `slot-${slot}.bin`);
  }

  private loadState(): NodeOtaState {
    const fresh: NodeOtaState = { running: 0, states: ["valid", "empty"], sizes: [0, 0] };
    if (this.dir === null) return fresh;
    const path = join(this.dir, "ota-state.json");
    if (!existsSync(path)) return fresh;
    const parsed = JSON.parse(readFileSync(path, "utf8")) as NodeOtaState;
    if ((parsed.running !== 0 && parsed.running !== 1) || !Array.isArray(parsed.states) || !Array.isArray(parsed.sizes)) {
      throw new Error(`OTA state file ${path} is malformed`);
    }
    return parsed;
  }

  private saveState(): void {
    if (this.dir === null) return;
    writeFileSync(join(this.dir, "ota-state.json"), JSON.stringify(this.state));
  }

  private closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
