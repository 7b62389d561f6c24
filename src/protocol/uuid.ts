import type { RandomSource } from "../../hal/types";

const HEX = "0123456789abcdef";

/**
 * RFC 4122 version 4 UUIDs from the HAL's random bytes (the hardware RNG on the device, a seeded PRNG in
 * simulation, so simulated runs replay the same ids). Used for the `mid` of the device's own messages.
 */
export class UuidSource {
  private readonly bytes = new Uint8Array(16);

  constructor(private readonly random: RandomSource) {}

  /** A fresh lowercase UUID v4, e.g. 3e681859-6917-4b9a-9afd-3f162cd185bd. Builds one string (command rate). */
  next(): string {
    const b = this.bytes;
    this.random.fill(b, 0, 16);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10xx
    let out = "";
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) out += "-";
      out += HEX[b[i] >> 4] + HEX[b[i] & 15];
    }
    return out;
  }
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
