/**
 * `esp32/hal-native` on ESP32: a fake of our native module (hal/moddable/native/hal-native.js over hal-native.c):
 * a deterministic byte pattern for esp_fill_random, and the task watchdog timeout recorded in the world.
 */
import { world } from "./world";

let counter = 0;

export function fillRandom(buffer: Uint8Array, offset: number, length: number): void {
  for (let i = 0; i < length; i++) buffer[offset + i] = (counter++ * 131 + 7) & 0xff;
}

export function taskWatchdog(timeoutMs: number): boolean {
  world.watchdogTimeoutMs = timeoutMs;
  return true;
}
