/**
 * What both xsnap entries of the device HAL tests share (moddable-entry.ts for the esp32 board, moddable-lin-entry.ts
 * for the simulator board): the reply channel, error capture, and the clock check over virtual time.
 */
import type { Clock } from "../../hal/types";
import Time from "time";
import { world } from "./moddable-fakes/world";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

export function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

/** The message `action` throws, or "no error". */
export function attempt(action: () => void): string {
  try {
    action();
    return "no error";
  } catch (error) {
    return (error as Error).message;
  }
}

/** Replies monotonic ms and the platform's Time.ticks before and after `ms` of virtual time, read every `everyMs`. */
export function replyClockRun(clock: Clock, ms: number, everyMs: number): void {
  const before = clock.monotonicMs();
  const ticksBefore = Time.ticks;
  let exact = true;
  const start = world.now;
  for (let done = 0; done < ms; done += everyMs) {
    world.run(everyMs);
    if (clock.monotonicMs() !== before + (world.now - start)) exact = false;
  }
  reply({ before, after: clock.monotonicMs(), exact, ticksBefore, ticksAfter: Time.ticks });
}
