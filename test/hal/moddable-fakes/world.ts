/**
 * A deterministic stand-in for the Moddable runtime under hal/moddable, for tests in XS (and Node): virtual
 * milliseconds, the SDK's timer rules (a timer whose repeat is 0 when its callback returns is freed), a UART with a
 * 128-byte TX FIFO draining at the baud rate and the SDK's onWritable threshold of 10, TCP sockets that throw like
 * lwIP's, NOR flash partitions. Everything is preallocated so allocation measurements see the adapter only.
 */

export interface FakeTimer {
  callback: (timer: FakeTimer) => void;
  trigger: number;
  repeat: number;
  unscheduled: boolean;
  alive: boolean;
}

export type Pending = () => void;

const MAX_PENDING = 64;

class World {
  /** Virtual time in whole ms; Time.ticks is its int32 wrap. */
  now = 0;
  readonly timers: FakeTimer[] = [];
  timersFreed = 0;
  /** Messages from "ISRs" and lwIP, delivered in order at the next step (preallocated ring). */
  private readonly pending: Pending[] = new Array<Pending>(MAX_PENDING);
  private pendingHead = 0;
  private pendingCount = 0;
  readonly steppers: Array<() => void> = [];
  restarts = 0;
  wallSetSeconds = -1;
  watchdogTimeoutMs = -1;

  post(message: Pending): void {
    if (this.pendingCount === MAX_PENDING) throw new Error("fake world: message queue full");
    this.pending[(this.pendingHead + this.pendingCount++) % MAX_PENDING] = message;
  }

  /** Advance `ms` virtual milliseconds, one at a time: hardware first, then messages, then due timers. */
  run(ms: number): void {
    for (let i = 0; i < ms; i++) {
      this.now++;
      for (let s = 0; s < this.steppers.length; s++) this.steppers[s]();
      let count = this.pendingCount;
      while (count-- > 0) {
        const message = this.pending[this.pendingHead];
        this.pending[this.pendingHead] = undefined as unknown as Pending;
        this.pendingHead = (this.pendingHead + 1) % MAX_PENDING;
        this.pendingCount--;
        message();
      }
      this.fireTimers();
    }
  }

  private fireTimers(): void {
    const timers = this.timers;
    for (let i = 0; i < timers.length; i++) {
      const timer = timers[i];
      if (!timer.alive || timer.unscheduled || timer.trigger > this.now) continue;
      timer.trigger += timer.repeat;
      timer.callback(timer);
      // The SDK frees a timer whose repeat interval is 0 once its callback has returned.
      if (timer.alive && timer.repeat === 0) {
        timer.alive = false;
        this.timersFreed++;
      }
    }
  }
}

export const world = new World();
