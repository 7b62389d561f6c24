/**
 * `time` on ESP32 (modules/base/time/time.js, modules/base/time/esp/modTime.c): `ticks` is modMilliseconds(), a
 * uint32 ms-since-boot counter set into an integer, so it goes negative past 2^31 ms (~24.8 days) and back to 0 at
 * 2^32; `delta` subtracts the two as uint32 and returns the int32 result; `set` takes whole seconds (uint32).
 */
import { world } from "./world";

class Time {
  static set(seconds: number): void {
    world.wallSetSeconds = seconds >>> 0;
  }
  static get ticks(): number {
    return world.now | 0;
  }
  /** The native counts its arguments; this fake takes an explicit undefined `end` as "now" (no `arguments`: it allocates). */
  static delta(start: number, end?: number): number {
    const to = end !== undefined ? end >>> 0 : world.now >>> 0;
    return (to - (start >>> 0)) | 0;
  }
  static get timezone(): number {
    return 0;
  }
  static set timezone(_seconds: number) {}
  static get dst(): number {
    return 0;
  }
  static set dst(_seconds: number) {}
}

export default Time;
