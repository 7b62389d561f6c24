/**
 * Our own message ids: decimal strings in 0..4294967295, unique per device (spec 004), across reboots.
 *
 * Ids are handed out in blocks of BLOCK_SIZE. The number of the next free block is persisted *before* any id of the
 * current block is used, so after a reboot (or a power cut at any point) the device starts in a block it never used:
 * one flash write per BLOCK_SIZE messages and at most one per boot, instead of one per message. A boot wastes the
 * rest of its block; 2^32 / 4096 = 1,048,576 blocks last that many boots or 4 billion messages, after which ids wrap
 * to block 0 (the platform's replies are matched within seconds, so a wrap decades later is harmless).
 */
export const BLOCK_SIZE = 4096;
export const BLOCK_COUNT = 4294967296 / BLOCK_SIZE;

/** Where the next free block number lives (a store record). `load` returns 0 when nothing was stored yet. */
export interface IdBlockPersistence {
  load(): number;
  /** Throws when the store cannot take it. */
  save(nextBlock: number): void;
}

export class MessageIds {
  private block = -1;
  private sequence = BLOCK_SIZE;
  /** Times a block could not be persisted (ids then are unique within this boot only). */
  persistFailures = 0;

  constructor(private readonly persistence: IdBlockPersistence) {}

  /** The next id as a number in 0..4294967295. */
  nextNumber(): number {
    if (this.sequence === BLOCK_SIZE) this.reserve();
    return this.block * BLOCK_SIZE + this.sequence++;
  }

  next(): string {
    return String(this.nextNumber());
  }

  private reserve(): void {
    let block = this.block < 0 ? this.persistence.load() : this.block + 1;
    if (!(Number.isInteger(block) && block >= 0 && block < BLOCK_COUNT)) block = 0;
    try {
      this.persistence.save(block + 1 === BLOCK_COUNT ? 0 : block + 1);
    } catch {
      // Better a message whose id may repeat one from an earlier boot than no message: counted, and the session
      // logs it. Ids stay unique within this boot.
      this.persistFailures++;
    }
    this.block = block;
    this.sequence = 0;
  }
}

/** Parse an id as spec 004 defines it; returns -1 unless it is a decimal string in 0..4294967295. */
export function parseMessageId(value: unknown): number {
  if (typeof value !== "string" || value.length === 0 || value.length > 10) return -1;
  if (!/^(0|[1-9][0-9]*)$/.test(value)) return -1;
  const n = Number(value);
  return n <= 4294967295 ? n : -1;
}
