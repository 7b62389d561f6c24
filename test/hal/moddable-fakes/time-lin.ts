/**
 * `time` in the SDK's Linux simulator (modules/base/time/time.js, modules/base/time/lin/modTime.c): `ticks` is the
 * host's gettimeofday in ms as a double (about 1.8e12 in 2027, never wrapping, and it follows the host clock when
 * that is set: world.hostClockStepMs); `delta` is a plain subtraction; `set`, `timezone` and `dst` do nothing.
 */
import { world } from "./world";

/** Host wall clock at the simulated boot, in ms since the Unix epoch (not exported: the SDK's module exports only Time). */
const LIN_BOOT_EPOCH_MS = 1_800_000_000_000;

class Time {
  static set(_seconds: number): void {}
  static get ticks(): number {
    return LIN_BOOT_EPOCH_MS + world.now + world.hostClockStepMs;
  }
  static delta(start: number, end?: number): number {
    const to = end !== undefined ? end : LIN_BOOT_EPOCH_MS + world.now + world.hostClockStepMs;
    return to - start;
  }
  static get timezone(): undefined {
    return undefined;
  }
  static set timezone(_seconds: number) {}
  static get dst(): undefined {
    return undefined;
  }
  static set dst(_seconds: number) {}
}

export default Time;
