import type { OtaSlotWriter } from "../types";

/** Two image slots in memory with ESP-IDF-like boot state: enough to test download, verify and rollback logic. */
export class SimOtaSlots implements OtaSlotWriter {
  inactiveSlot: Uint8Array = new Uint8Array(0);
  writtenBytes = 0;
  writing = false;
  /** Set by complete(): the next restart boots the new image in pending-verify state. */
  bootNewImage = false;
  pendingVerify = false;
  markedValid = 0;
  rollbacks = 0;

  begin(size: number): void {
    this.inactiveSlot = new Uint8Array(size).fill(0xff);
    this.writtenBytes = 0;
    this.writing = true;
  }

  write(data: Uint8Array, offset: number, length: number): void {
    if (!this.writing) throw new Error("OTA write without begin");
    if (this.writtenBytes + length > this.inactiveSlot.length) throw new Error("OTA write past the announced size");
    this.inactiveSlot.set(data.subarray(offset, offset + length), this.writtenBytes);
    this.writtenBytes += length;
  }

  complete(): void {
    if (!this.writing) throw new Error("OTA complete without begin");
    this.writing = false;
    this.bootNewImage = true;
  }

  cancel(): void {
    this.writing = false;
    this.inactiveSlot.fill(0xff);
    this.writtenBytes = 0;
  }

  runningImagePendingVerify(): boolean {
    return this.pendingVerify;
  }

  markRunningValid(): void {
    this.pendingVerify = false;
    this.markedValid++;
  }

  rollback(): void {
    this.pendingVerify = false;
    this.rollbacks++;
  }
}
