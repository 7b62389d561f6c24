// Named imports, not a namespace: a preloaded module's namespace binding is a writable alias (xsl "no const").
import { bootNext as otaBootNext, markValid as otaMarkValid, pendingVerify as otaPendingVerify, retryRunning as otaRetryRunning, rollback as otaRollback } from "esp32/ota-state";
import type { OtaSlotWriter } from "../types";
import { ModdableNorFlash } from "./flash";

/** First byte of every ESP-IDF app image. */
const ESP_IMAGE_MAGIC = 0xe9;

/**
 * OTA into the inactive app slot, written as raw NOR through the `flash` module's "nextota" partition, with the
 * boot-state calls done by the small native module esp32/ota-state (hal/moddable/native).
 *
 * Why not the SDK's `ota` module: it starts every image with esp_ota_begin in sequential-erase mode, so an image
 * interrupted by a reboot cannot be continued, and it cannot read back what it wrote. Writing the slot directly
 * allows both (`resume`, `read`); `complete` then has ESP-IDF verify the image (checksum and SHA-256) as it sets
 * the boot partition, so a torn or truncated image is refused there, as with esp_ota_end.
 *
 * Sectors are erased just ahead of the bytes that land in them, so a begin costs one sector erase, not the slot.
 */
export class ModdableOtaSlots implements OtaSlotWriter {
  private slot: ModdableNorFlash | null = null;
  private writing = false;
  private expected = 0;
  private written = 0;
  /** Bytes of the slot from 0 known erased or written since begin/resume. */
  private erasedTo = 0;

  begin(size: number): void {
    const slot = this.openSlot();
    if (!(Number.isInteger(size) && size > 0 && size <= slot.byteLength)) {
      throw new RangeError(`OTA begin: size must be 1..${slot.byteLength}, got ${size}`);
    }
    slot.eraseSector(0);
    this.erasedTo = slot.sectorSize;
    this.expected = size;
    this.written = 0;
    this.writing = true;
  }

  resume(size: number, offset: number): void {
    const slot = this.openSlot();
    if (!(Number.isInteger(size) && size > 0 && size <= slot.byteLength)) {
      throw new RangeError(`OTA resume: size must be 1..${slot.byteLength}, got ${size}`);
    }
    if (!(Number.isInteger(offset) && offset >= 0 && offset <= size)) throw new RangeError(`OTA resume: offset must be 0..${size}, got ${offset}`);
    // The slot keeps no record of the image size: check what can be checked. An unfinished image starts with the
    // image magic and is still erased from `offset` to the end of that sector.
    if (offset > 0) {
      const magic = new Uint8Array(1);
      slot.read(0, magic, 0, 1);
      if (magic[0] !== ESP_IMAGE_MAGIC) throw new Error("OTA resume: the inactive slot holds no unfinished image (no image header)");
    }
    const sectorEnd = Math.min(slot.byteLength, Math.ceil(offset / slot.sectorSize) * slot.sectorSize);
    if (sectorEnd > offset) {
      const rest = new Uint8Array(sectorEnd - offset);
      slot.read(offset, rest, 0, rest.length);
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] !== 0xff) throw new Error(`OTA resume: the slot is not erased at ${offset + i}: it holds no unfinished image ending at ${offset}`);
      }
    }
    this.erasedTo = offset === 0 ? 0 : sectorEnd;
    this.expected = size;
    this.written = offset;
    this.writing = true;
  }

  write(data: Uint8Array, offset: number, length: number): void {
    if (!this.writing || this.slot === null) throw new Error("OTA write without begin");
    if (this.written + length > this.expected) {
      throw new RangeError(`OTA write past the announced size: ${this.written} + ${length} > ${this.expected}`);
    }
    const slot = this.slot;
    while (this.written + length > this.erasedTo) {
      slot.eraseSector(this.erasedTo / slot.sectorSize);
      this.erasedTo += slot.sectorSize;
    }
    slot.program(this.written, data, offset, length);
    this.written += length;
  }

  read(slotOffset: number, into: Uint8Array, intoOffset: number, length: number): void {
    if (this.slot === null) throw new Error("OTA read without begin or resume");
    if (!(slotOffset >= 0 && length >= 0 && slotOffset + length <= this.expected)) {
      throw new RangeError(`OTA read: ${slotOffset}+${length} outside the ${this.expected}-byte image`);
    }
    this.slot.read(slotOffset, into, intoOffset, length);
  }

  complete(): void {
    if (!this.writing) throw new Error("OTA complete without begin");
    if (this.written !== this.expected) throw new Error(`OTA complete: ${this.written} of ${this.expected} bytes written`);
    otaBootNext();
    this.writing = false;
  }

  cancel(): void {
    this.writing = false;
    // Erasing the header sector leaves nothing that could be resumed or booted.
    if (this.slot !== null) this.slot.eraseSector(0);
  }

  runningImagePendingVerify(): boolean {
    return otaPendingVerify();
  }

  markRunningValid(): void {
    otaMarkValid();
  }

  retryPendingImage(): void {
    if (otaPendingVerify()) otaRetryRunning();
  }

  rollback(): void {
    otaRollback();
  }

  private openSlot(): ModdableNorFlash {
    if (this.slot === null) this.slot = new ModdableNorFlash("nextota");
    return this.slot;
  }
}
