import { world } from "./world";

let counter = 0;

export function fillRandom(buffer: Uint8Array, offset: number, length: number): void {
  for (let i = 0; i < length; i++) buffer[offset + i] = (counter++ * 131 + 7) & 0xff;
}

export function taskWatchdog(timeoutMs: number): boolean {
  world.watchdogTimeoutMs = timeoutMs;
  return true;
}
