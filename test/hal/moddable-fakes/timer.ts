/**
 * `timer` (modules/base/timer/timer.js over modTimer.c, the same on ESP32 and the Linux simulator). A timer is
 * freed once its callback returns with a repeat of 0; `schedule` with the timer alone unschedules it (repeat
 * becomes -1, the instance stays valid) and with more arguments reschedules. The native function counts the
 * arguments actually passed, so on the device `schedule(t, undefined)` is a reschedule to 0 ms; this fake cannot
 * count them without allocating (`arguments`, rest parameters), so it takes an undefined interval as "unschedule",
 * and hal/moddable/moddable.d.ts declares `schedule` so that an explicit undefined does not type-check.
 */
import { world, type FakeTimer } from "./world";

function toInteger(value: number | undefined): number {
  return value === undefined ? 0 : value | 0;
}

class Timer {
  static set(callback: (timer: FakeTimer) => void, interval?: number, repeat?: number): FakeTimer {
    const timer: FakeTimer = { callback, trigger: world.now + toInteger(interval), repeat: toInteger(repeat), unscheduled: false, alive: true };
    world.timers.push(timer);
    return timer;
  }
  static repeat(callback: (timer: FakeTimer) => void, interval: number): FakeTimer {
    return Timer.set(callback, interval, interval);
  }
  static schedule(timer: FakeTimer, interval?: number, repeat?: number): void {
    if (!timer || !timer.alive) throw new TypeError("fake timer: schedule of a freed timer (xsmcGetHostDataValidate)");
    if (interval === undefined) {
      timer.unscheduled = true;
      timer.repeat = -1;
      return;
    }
    timer.trigger = world.now + toInteger(interval);
    timer.repeat = toInteger(repeat);
    timer.unscheduled = false;
  }
  static clear(timer?: FakeTimer | null): void {
    if (timer) timer.alive = false;
  }
  /** Blocks the event loop on the device (modTimerDelayMS): never what the HAL should do. */
  static delay(_ms: number): void {
    throw new Error("fake timer: Timer.delay blocks the event loop; the HAL must not call it");
  }
}

export default Timer;
