import type { RandomSource } from "../../hal/types";

/**
 * Reconnect delays (docs/mqtt.md "Reconnect"). A lost link or a refused TCP connect: attempt n waits a uniform
 * random time in [min, min(max, min * 2^n)], exponential with full jitter above a floor, so a fleet that lost its
 * broker at the same instant does not come back in step, and no gateway tries faster than `min`. The cap is short
 * (12 s by default): once the broker is back, the next attempt comes within the cap, so a gateway is online again
 * within about 10 s at the 95th percentile however long the outage was (bench/reconnect.bench.ts).
 *
 * A broker that refuses our credentials (CONNACK 4 or 5) will not change its mind in seconds: `refused()` switches
 * to uniform delays in [refusedMax / 2, refusedMax] until a connection is accepted (`reset()`).
 */
export class Backoff {
  attempt = 0;
  /** True after refused(): the long delays, until reset(). */
  credentialsRefused = false;

  constructor(
    private readonly random: RandomSource,
    readonly minMs: number,
    readonly maxMs: number,
    refusedMaxMs: number = maxMs,
  ) {
    this.refusedMaxMs = refusedMaxMs > maxMs ? refusedMaxMs : maxMs;
  }

  /** The longest delay after refused credentials: never shorter than `maxMs`. */
  readonly refusedMaxMs: number;

  /** The delay before the next attempt; each call counts one attempt. */
  next(): number {
    if (this.attempt < 30) this.attempt++;
    if (this.credentialsRefused) {
      const low = Math.max(this.minMs, this.refusedMaxMs / 2);
      return Math.floor(low + this.unit() * (this.refusedMaxMs - low));
    }
    const ceiling = Math.min(this.maxMs, this.minMs * Math.pow(2, this.attempt - 1));
    return Math.floor(this.minMs + this.unit() * (ceiling - this.minMs));
  }

  /** The broker refused our credentials: retrying fast will not help, and would look like an attack. */
  refused(): void {
    this.credentialsRefused = true;
    this.attempt = 30;
  }

  reset(): void {
    this.attempt = 0;
    this.credentialsRefused = false;
  }

  /** A uniform number in [0, 1) from the HAL's random source. */
  private unit(): number {
    // Four bytes per attempt (reconnect rate, which allocates anyway): a buffer kept for the gateway's life would
    // cost heap slots in the device's fixed heap.
    const b = new Uint8Array(4);
    this.random.fill(b, 0, 4);
    return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) / 4294967296;
  }
}
