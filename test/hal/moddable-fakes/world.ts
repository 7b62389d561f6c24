/**
 * A deterministic stand-in for the Moddable runtime under hal/moddable, for tests in XS: virtual milliseconds, the
 * SDK's timer rules (a timer whose repeat is 0 when its callback returns is freed), a UART with a 128-byte TX FIFO
 * draining at the baud rate and the SDK's onWritable threshold of 10, TCP sockets that throw like lwIP's, NOR flash
 * partitions, GPIO pins that can be taken once. Everything a steady-state path touches is preallocated so
 * allocation measurements see the adapter only.
 *
 * What differs between the platforms the firmware runs on (ESP32, the SDK's Linux simulator) lives in the fakes
 * of each platform (time-esp32/time-lin, system-esp32/system-lin, serial-esp32/serial-lin): bundle.ts picks them,
 * and the shapes they mirror are listed, with the SDK file each was read from, in hal/moddable/sdk-exports.json.
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
  /**
   * Virtual time in whole ms since the simulated boot. What Time.ticks makes of it is the platform's: on ESP32 its
   * int32 view (modMilliseconds() is a uint32 ms counter set into an integer: negative past 2^31, 0 again at 2^32),
   * on Linux the host's wall clock in ms (time-lin.ts adds it to an epoch of about 1.8e12).
   */
  now = 0;
  readonly timers: FakeTimer[] = [];
  timersFreed = 0;
  /** Messages from "ISRs" and lwIP, delivered in order at the next step (preallocated ring). */
  private readonly pending: Pending[] = new Array<Pending>(MAX_PENDING);
  private pendingHead = 0;
  private pendingCount = 0;
  readonly steppers: Array<() => void> = [];
  /** Linux simulator: how far the host's clock was stepped (NTP, by hand) since boot; Time.ticks follows it there. */
  hostClockStepMs = 0;
  restarts = 0;
  /** Last Time.set argument (ESP32; the Linux simulator's Time.set does nothing). */
  wallSetSeconds = -1;
  watchdogTimeoutMs = -1;
  /** Name -> address table of the fake DNS (System.resolve); anything else does not resolve. */
  readonly dns: Record<string, string> = { "broker.example": "10.0.0.5" };
  /** GPIOs taken by an open Digital or Serial (the SDK's builtinUsePin/builtinIsPinFree). */
  private readonly pinsInUse: boolean[] = new Array<boolean>(64).fill(false);

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

  /** builtinIsPinFree: constructors check every pin first ("in use" when an open object holds it)... */
  pinFree(pin: number): boolean {
    return !this.pinsInUse[pin];
  }

  /** ...and take them once nothing else can fail (builtinUsePin). */
  usePin(pin: number): void {
    this.pinsInUse[pin] = true;
  }

  freePin(pin: number): void {
    this.pinsInUse[pin] = false;
  }

  private fireTimers(): void {
    const timers = this.timers;
    for (let i = 0; i < timers.length; i++) {
      const timer = timers[i];
      if (!timer.alive || timer.unscheduled || timer.trigger > this.now) continue;
      timer.trigger += timer.repeat;
      timer.callback(timer);
      // The SDK frees a timer whose repeat interval is 0 once its callback has returned (modTimer.c).
      if (timer.alive && timer.repeat === 0) {
        timer.alive = false;
        this.timersFreed++;
      }
    }
  }
}

export const world = new World();
