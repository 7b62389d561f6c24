import Time from "time";
import Timer, { type TimerId } from "timer";
import type { Clock, Timer as HalTimer } from "../types";

/**
 * Earliest wall time taken as "set by someone" when the app has not called setWallClock: an ESP32 whose clock
 * nobody set counts from 1970 after reset, so a date past this means SNTP (setup/network) or a preserved RTC did.
 */
const PLATFORM_SET_FLOOR_MS = Date.UTC(2025, 0, 1);

/**
 * The device clock. Monotonic time is built from Time.ticks, on the ESP32 a signed 32-bit millisecond counter that
 * wraps after ~24.8 days: each reading adds Time.delta(previous, now) to a running total, which stays exact as long as readings
 * are less than 24 days apart (the control tick reads it several times a second).
 *
 * Wall time: after `setWall(ms)` (platform time sync, SNTP done by the app) it is that value carried forward on the
 * monotonic clock, and the system clock is set too (TLS certificate checks read it). Before that it is the platform
 * clock, trusted once it is past 2025 (set by the SDK's SNTP at network start or kept by the RTC).
 */
export class ModdableClock implements Clock {
  private lastTicks: number;
  private elapsedMs: number;
  private wallBaseMs = 0;
  private wallBaseMonotonicMs = 0;
  private appSet = false;

  constructor() {
    // Counted from the HAL's creation: Time.ticks is ms since boot on the ESP32 but about 1.8e12 (the host's clock)
    // in the Linux simulator, and only its differences (Time.delta) mean the same on both.
    this.lastTicks = Time.ticks;
    this.elapsedMs = 0;
  }

  monotonicMs(): number {
    const now = Time.ticks;
    const delta = Time.delta(this.lastTicks, now);
    // Never backwards: in the Linux simulator Time.ticks is the host's wall clock, which NTP or a user can step back.
    // (On the ESP32 the counter only wraps, which Time.delta already handles.)
    if (delta > 0) this.elapsedMs += delta;
    this.lastTicks = now;
    return this.elapsedMs;
  }

  wallMs(): number {
    if (this.appSet) return this.wallBaseMs + (this.monotonicMs() - this.wallBaseMonotonicMs);
    // The HAL is the one place that reads the platform clock; the core only ever sees it through this method.
    return Date.now();
  }

  wallSynced(): boolean {
    return this.appSet || Date.now() >= PLATFORM_SET_FLOOR_MS;
  }

  /** Set the wall clock from a trusted source (ms since the Unix epoch, UTC). */
  setWall(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= PLATFORM_SET_FLOOR_MS)) throw new RangeError(`wall clock: ${ms} is not a plausible UTC time in ms`);
    this.wallBaseMs = ms;
    this.wallBaseMonotonicMs = this.monotonicMs();
    this.appSet = true;
    Time.set(Math.floor(ms / 1000));
  }

  createTimer(callback: () => void): HalTimer {
    return new ModdableTimer(callback);
  }
}

/** Repeat interval given to one-shots so the runtime never sees 0 and frees the instance (see ModdableTimer). */
const NEVER_MS = 0x7fffffff;

/** A runtime timer instance with the HAL timer it serves (a property set once, at creation). */
interface OwnedTimerId {
  owner: ModdableTimer;
}

/**
 * The one callback of every runtime timer: the runtime calls it with the timer instance (modTimer.c), which carries
 * its HAL timer. One module function instead of a closure per timer: about 4 XS slots less each (the gateway has
 * five timers), and nothing mutable at module level.
 */
function fireOwner(id: TimerId): void {
  (id as unknown as OwnedTimerId).owner.fire();
}

/**
 * One HAL timer over one Moddable Timer instance for its whole life: arming and stopping reschedule it, nothing is
 * allocated after creation.
 *
 * The runtime frees a timer whose repeat interval is 0 when its callback returns, even if the callback re-armed it
 * as a one-shot (Timer.schedule(t, ms) sets repeat 0). So a one-shot is armed with a repeat of NEVER_MS and the
 * timer unschedules itself before calling back: its repeat becomes "infinite", the instance stays valid, and a
 * re-arm from inside the callback is kept.
 */
class ModdableTimer implements HalTimer {
  private readonly id: TimerId;
  private periodic = false;
  private armed = false;

  constructor(private readonly callback: () => void) {
    this.id = Timer.set(fireOwner, NEVER_MS, NEVER_MS);
    (this.id as unknown as OwnedTimerId).owner = this;
    Timer.schedule(this.id);
  }

  get active(): boolean {
    return this.armed;
  }

  start(delayMs: number, periodMs = 0): void {
    const delay = delayMs > 0 ? Math.ceil(delayMs) : 0;
    this.periodic = periodMs > 0;
    this.armed = true;
    Timer.schedule(this.id, delay, this.periodic ? Math.max(1, Math.ceil(periodMs)) : NEVER_MS);
  }

  stop(): void {
    this.armed = false;
    Timer.schedule(this.id);
  }

  /** Called by the runtime through fireOwner only. */
  fire(): void {
    if (!this.periodic) {
      this.armed = false;
      Timer.schedule(this.id);
    }
    this.callback();
  }
}
