import type { RandomSource } from "../../hal/types";

/**
 * Reconnect delays: exponential with full jitter above a floor. Attempt n waits a uniform random time in
 * [min, min(max, min * 2^n)], so a fleet that lost its broker at the same instant does not come back in step,
 * and no device hammers a broker faster than `min`. `reset()` after a connection proved stable.
 */
export class Backoff {
  attempt = 0;

  constructor(
    private readonly random: RandomSource,
    readonly minMs: number,
    readonly maxMs: number,
  ) {}

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * Math.pow(2, this.attempt));
    if (this.attempt < 30) this.attempt++;
    // Four bytes per attempt (reconnect rate, which allocates anyway): a buffer kept for the gateway's life would
    // cost heap slots in the device's fixed heap.
    const b = new Uint8Array(4);
    this.random.fill(b, 0, 4);
    const unit = (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) / 4294967296;
    return Math.floor(this.minMs + unit * (ceiling - this.minMs));
  }

  /** Jump to the longest delays (the broker refused our credentials: retrying fast will not help). */
  saturate(): void {
    this.attempt = 30;
  }

  reset(): void {
    this.attempt = 0;
  }
}
