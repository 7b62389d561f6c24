import { performance } from "node:perf_hooks";
import type { Clock, Timer } from "../types";

/**
 * Clock over Node's timers. Monotonic time is performance.now() (since process start, immune to wall-clock
 * changes); wall time is Date.now(), trusted as synced because a PC keeps its clock with NTP. A caller that knows
 * better (a test, a gateway without NTP) can say so with `setWallSynced`.
 */
export class NodeClock implements Clock {
  private synced: boolean;
  /** Timers currently armed: `close()` stops them so a run can end cleanly. */
  private readonly armed = new Set<NodeTimer>();

  constructor(options: { wallSynced?: boolean } = {}) {
    this.synced = options.wallSynced ?? true;
  }

  monotonicMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  wallSynced(): boolean {
    return this.synced;
  }

  setWallSynced(synced: boolean): void {
    this.synced = synced;
  }

  createTimer(callback: () => void): Timer {
    return new NodeTimer(callback, this.armed);
  }

  /** Timers armed right now. */
  get armedCount(): number {
    return this.armed.size;
  }

  /** Stop every armed timer (end of a run). */
  close(): void {
    for (const timer of [...this.armed]) timer.stop();
  }
}

/**
 * One HAL timer: a setTimeout for the first fire, then a setInterval for the period. Re-arming replaces the
 * previous schedule, as the contract says.
 */
class NodeTimer implements Timer {
  private timeout: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;

  constructor(
    private readonly callback: () => void,
    private readonly armed: Set<NodeTimer>,
  ) {}

  get active(): boolean {
    return this.timeout !== null || this.interval !== null;
  }

  start(delayMs: number, periodMs = 0): void {
    this.stop();
    const period = periodMs > 0 ? periodMs : 0;
    this.armed.add(this);
    this.timeout = setTimeout(
      () => {
        this.timeout = null;
        if (period > 0) this.interval = setInterval(this.callback, period);
        else this.armed.delete(this);
        this.callback();
      },
      delayMs > 0 ? delayMs : 0,
    );
  }

  stop(): void {
    if (this.timeout !== null) clearTimeout(this.timeout);
    if (this.interval !== null) clearInterval(this.interval);
    this.timeout = null;
    this.interval = null;
    this.armed.delete(this);
  }
}
