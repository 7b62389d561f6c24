/**
 * Named event counters: every bound that is hit, every dropped or refused thing, every overrun is counted here and
 * shows in the status report. Counters are registered at boot (allocation) and bumped by index (no allocation).
 */
export class Counters {
  private readonly names: string[] = [];
  private readonly values: Float64Array;

  constructor(readonly capacity = 128) {
    this.values = new Float64Array(capacity);
  }

  /** Register a counter at boot; returns its handle. Registering a name twice returns the same handle. */
  register(name: string): number {
    const existing = this.names.indexOf(name);
    if (existing >= 0) return existing;
    if (this.names.length === this.capacity) throw new Error(`Counters: more than ${this.capacity} counters`);
    this.names.push(name);
    return this.names.length - 1;
  }

  add(handle: number, amount = 1): void {
    this.values[handle] += amount;
  }

  get(handle: number): number {
    return this.values[handle];
  }

  value(name: string): number {
    const index = this.names.indexOf(name);
    return index < 0 ? 0 : this.values[index];
  }

  /** Snapshot for reports: only counters that are non-zero, so a healthy device reports little. */
  nonZero(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) if (this.values[i] !== 0) out[this.names[i]] = this.values[i];
    return out;
  }
}
