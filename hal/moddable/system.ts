import Instrumentation from "instrumentation";
import { fillRandom, taskWatchdog } from "esp32/hal-native";
import { LogLevel, type Clock, type Log, type MemoryInfo, type RandomSource, type Timer, type Watchdog } from "../types";

type Trace = (text: string) => void;

/**
 * Log lines to the SDK's `trace` (the serial console, or xsbug in debug builds), dropping those more verbose than
 * the level. `trace` is a global of Moddable hosts; it is looked up once here instead of being declared globally,
 * so no other device code can reach for it.
 */
export class TraceLog implements Log {
  private readonly trace: Trace;

  constructor(
    private readonly clock: Clock,
    public level: LogLevel,
  ) {
    const found = (globalThis as { trace?: Trace }).trace;
    this.trace = typeof found === "function" ? found : () => {};
  }

  write(level: LogLevel, source: string, message: string): void {
    if (level > this.level) return;
    this.trace(`${Math.floor(this.clock.monotonicMs())} ${"EWID"[level]} ${source}: ${message}\n`);
  }
}

/** ESP32 hardware RNG (esp_fill_random): true random while Wi-Fi or Bluetooth runs, which the gateway always has. */
export const hardwareRandom: RandomSource = Object.freeze({
  fill(into: Uint8Array, offset: number, length: number): void {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= into.length)) {
      throw new RangeError(`random fill: range ${offset}+${length} outside the ${into.length}-byte buffer`);
    }
    if (length > 0) fillRandom(into, offset, length);
  },
});

/**
 * Memory from the SDK's instrumentation: JS heap in use is the slot heap plus the chunk heap of the XS machine,
 * free is the system (malloc) heap that lwIP, TLS and the drivers draw from, which is what runs out on an ESP32.
 * Release builds without instrumentation report nulls.
 */
export class InstrumentedMemory {
  private readonly slotUsed: number | undefined;
  private readonly chunkUsed: number | undefined;
  private readonly systemFree: number | undefined;

  constructor() {
    this.slotUsed = Instrumentation.map("XS Slot Heap Used");
    this.chunkUsed = Instrumentation.map("XS Chunk Heap Used");
    this.systemFree = Instrumentation.map("System Free Memory");
  }

  read(): MemoryInfo {
    const slots = this.slotUsed === undefined ? undefined : Instrumentation.get(this.slotUsed);
    const chunks = this.chunkUsed === undefined ? undefined : Instrumentation.get(this.chunkUsed);
    const free = this.systemFree === undefined ? undefined : Instrumentation.get(this.systemFree);
    return {
      heapUsedBytes: slots === undefined || chunks === undefined ? null : slots + chunks,
      heapFreeBytes: free === undefined ? null : free,
    };
  }
}

/**
 * Two layers, because the SDK's event loop feeds the ESP-IDF task watchdog itself on every message it services:
 *  - the hardware task watchdog (reconfigured to the timeout through esp32/hal-native) resets the chip when one JS
 *    turn hangs (an endless loop, a blocked native call);
 *  - a software supervisor, a HAL timer on the same event loop, restarts the device when `feed` has not been called
 *    within the timeout while the loop still runs (the tick stopped, its timer was lost).
 * A build without CONFIG_ESP_TASK_WDT_EN keeps only the supervisor, and says so in the log.
 */
export class SupervisedWatchdog implements Watchdog {
  timeoutMs = 0;
  private lastFeedMs = 0;
  private readonly supervisor: Timer;

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly restart: (reason: string) => void,
  ) {
    this.supervisor = clock.createTimer(() => this.check());
  }

  enable(timeoutMs: number): void {
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 100)) throw new RangeError(`watchdog timeout must be >= 100 ms, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.lastFeedMs = this.clock.monotonicMs();
    const hardware = taskWatchdog(timeoutMs);
    this.log.write(
      hardware ? LogLevel.Info : LogLevel.Warn,
      "watchdog",
      hardware ? `task watchdog ${timeoutMs} ms + tick supervisor` : `task watchdog disabled in this build: tick supervisor only (${timeoutMs} ms)`,
    );
    const period = Math.max(50, Math.floor(timeoutMs / 4));
    this.supervisor.start(period, period);
  }

  feed(): void {
    this.lastFeedMs = this.clock.monotonicMs();
  }

  private check(): void {
    const silentMs = this.clock.monotonicMs() - this.lastFeedMs;
    if (silentMs <= this.timeoutMs) return;
    this.supervisor.stop();
    this.restart(`watchdog: not fed for ${Math.floor(silentMs)} ms (timeout ${this.timeoutMs} ms)`);
  }
}
