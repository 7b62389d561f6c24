import type { Clock, Timer } from "../types";

/**
 * Deterministic discrete-event loop and clock for the simulation.
 *
 * Simulated time advances instantly from one due timer to the next; ties fire in arming order, so a run depends
 * only on its inputs and seed. The timer queue is a fixed-capacity binary min-heap: arming more timers than
 * `capacity` is a bug in the caller and throws rather than growing.
 */
export class SimLoop implements Clock {
  private nowMs = 0;
  private wallOffsetMs: number;
  private synced: boolean;
  private readonly heap: SimTimer[];
  private heapSize = 0;
  private armSequence = 0;
  /** Timer callbacks fired so far (a cheap progress figure for tests and benchmarks). */
  firedCount = 0;

  constructor(options: { wallStartMs?: number; wallSynced?: boolean; capacity?: number } = {}) {
    this.wallOffsetMs = options.wallStartMs ?? Date.UTC(2026, 0, 1);
    this.synced = options.wallSynced ?? true;
    this.heap = new Array<SimTimer>(options.capacity ?? 256);
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.wallOffsetMs + this.nowMs;
  }

  wallSynced(): boolean {
    return this.synced;
  }

  /** Set the wall clock (a jump forward or back, or the first sync). Monotonic time is unaffected. */
  setWall(wallMs: number, synced = true): void {
    this.wallOffsetMs = wallMs - this.nowMs;
    this.synced = synced;
  }

  createTimer(callback: () => void): Timer {
    return new SimTimer(this, callback);
  }

  /** Deadline of the next due timer, or Infinity when nothing is armed. */
  nextDeadline(): number {
    return this.heapSize > 0 ? this.heap[0].deadline : Infinity;
  }

  /** Fire every timer due up to `untilMs` (inclusive) in order, then leave the clock at `untilMs`. */
  runUntil(untilMs: number): void {
    while (this.heapSize > 0 && this.heap[0].deadline <= untilMs) {
      const timer = this.heap[0];
      this.nowMs = timer.deadline;
      if (timer.period > 0) {
        timer.deadline += timer.period;
        timer.sequence = this.armSequence++;
        this.siftDown(0);
      } else {
        this.removeAt(0);
      }
      this.firedCount++;
      timer.callback();
    }
    if (untilMs > this.nowMs) this.nowMs = untilMs;
  }

  runFor(durationMs: number): void {
    this.runUntil(this.nowMs + durationMs);
  }

  /** @internal used by SimTimer */
  arm(timer: SimTimer, delayMs: number, periodMs: number): void {
    if (timer.heapIndex >= 0) this.removeAt(timer.heapIndex);
    if (this.heapSize === this.heap.length) throw new Error(`SimLoop: more than ${this.heap.length} armed timers`);
    timer.deadline = this.nowMs + (delayMs > 0 ? delayMs : 0);
    timer.period = periodMs > 0 ? periodMs : 0;
    timer.sequence = this.armSequence++;
    timer.heapIndex = this.heapSize;
    this.heap[this.heapSize++] = timer;
    this.siftUp(timer.heapIndex);
  }

  /** @internal used by SimTimer */
  disarm(timer: SimTimer): void {
    if (timer.heapIndex >= 0) this.removeAt(timer.heapIndex);
  }

  private removeAt(index: number): void {
    const removed = this.heap[index];
    removed.heapIndex = -1;
    const last = this.heap[--this.heapSize];
    this.heap[this.heapSize] = undefined as unknown as SimTimer;
    if (index < this.heapSize) {
      this.heap[index] = last;
      last.heapIndex = index;
      this.siftDown(index);
      this.siftUp(last.heapIndex);
    }
  }

  private before(a: SimTimer, b: SimTimer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.sequence < b.sequence);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(heap[index], heap[parent])) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= this.heapSize) break;
      const right = left + 1;
      const child = right < this.heapSize && this.before(heap[right], heap[left]) ? right : left;
      if (!this.before(heap[child], heap[index])) break;
      this.swap(index, child);
      index = child;
    }
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    this.heap[i] = b;
    this.heap[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }
}

class SimTimer implements Timer {
  deadline = 0;
  period = 0;
  sequence = 0;
  heapIndex = -1;

  constructor(
    private readonly loop: SimLoop,
    readonly callback: () => void,
  ) {}

  get active(): boolean {
    return this.heapIndex >= 0;
  }

  start(delayMs: number, periodMs = 0): void {
    this.loop.arm(this, delayMs, periodMs);
  }

  stop(): void {
    this.loop.disarm(this);
  }
}
