import type { FlashProvider, Hal, Log, LogLevel, MemoryInfo, SerialConfig, SerialHandlers, SerialPort, Watchdog } from "../types";
import { SimFlashProvider, SimNorFlash } from "./flash";
import { SimLoop } from "./loop";
import { SimOtaSlots } from "./ota";
import { SeededRandom } from "./random";
import { SimSerialBus } from "./serial";
import { SimNetwork } from "./tcp";

export { PowerCut, SimFlashProvider, SimNorFlash } from "./flash";
export { SimLoop } from "./loop";
export { SimOtaSlots } from "./ota";
export { SeededRandom } from "./random";
export { SimSerialBus, characterTimeMs } from "./serial";
export { SimConnection, SimNetwork } from "./tcp";

export interface SimHalOptions {
  seed?: number;
  wallStartMs?: number;
  wallSynced?: boolean;
  /** Partitions of simulated flash by name, in 4 KiB sectors. */
  partitions?: Record<string, { sectorCount: number; sectorSize?: number }>;
  /** Reuse existing flash content (a reboot of the same simulated device). */
  flash?: FlashProvider;
  /** Echo log lines through this function (e.g. print on XS, console.log on Node). */
  echo?: (line: string) => void;
  /** Lines kept for inspection; older ones are counted and dropped. */
  logCapacity?: number;
}

/** Simulated time since boot as HH:MM:SS.mmm (hours keep counting past 24). */
export function simStamp(ms: number): string {
  const whole = Math.floor(ms);
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  const s = Math.floor(whole / 1000);
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(whole % 1000, 3)}`;
}

/** A log that keeps the last lines in memory for tests and counts what it had to drop. */
export class SimLog implements Log {
  readonly lines: string[] = [];
  dropped = 0;
  constructor(
    private readonly clock: SimLoop,
    private readonly capacity: number,
    private readonly echo?: (line: string) => void,
  ) {}

  write(level: LogLevel, source: string, message: string): void {
    const line = `${simStamp(this.clock.monotonicMs())} ${"EWID"[level]} ${source}: ${message}`;
    if (this.lines.length === this.capacity) {
      this.lines.shift();
      this.dropped++;
    }
    this.lines.push(line);
    this.echo?.(line);
  }
}

export class SimWatchdog implements Watchdog {
  timeoutMs = 0;
  feeds = 0;
  lastFeedMs = 0;
  constructor(private readonly clock: SimLoop) {}
  enable(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    this.lastFeedMs = this.clock.monotonicMs();
  }
  feed(): void {
    this.feeds++;
    this.lastFeedMs = this.clock.monotonicMs();
  }
  /** Would the hardware have reset the device by now? */
  expired(): boolean {
    return this.timeoutMs > 0 && this.clock.monotonicMs() - this.lastFeedMs > this.timeoutMs;
  }
}

export interface SimHal extends Hal {
  loop: SimLoop;
  network: SimNetwork;
  bus: SimSerialBus;
  flashProvider: FlashProvider;
  simRandom: SeededRandom;
  simLog: SimLog;
  simWatchdog: SimWatchdog;
  simOta: SimOtaSlots;
  restarts: string[];
}

/** Build a complete simulated HAL. Everything random derives from `seed`, so a run replays exactly. */
export function createSimHal(options: SimHalOptions = {}): SimHal {
  const seed = options.seed ?? 1;
  const loop = new SimLoop({ wallStartMs: options.wallStartMs, wallSynced: options.wallSynced });
  const random = new SeededRandom(seed);
  const partitions: Record<string, SimNorFlash> = {};
  const layout = options.partitions ?? { store: { sectorCount: 16 } };
  for (const name of Object.keys(layout)) {
    partitions[name] = new SimNorFlash({ sectorCount: layout[name].sectorCount, sectorSize: layout[name].sectorSize, seed: seed + 7 });
  }
  const flashProvider = options.flash ?? new SimFlashProvider(partitions);
  const bus = new SimSerialBus(loop);
  const log = new SimLog(loop, options.logCapacity ?? 200, options.echo);
  const watchdog = new SimWatchdog(loop);
  const ota = new SimOtaSlots();
  const restarts: string[] = [];
  const network = new SimNetwork(loop);
  return {
    clock: loop,
    log,
    random,
    watchdog,
    flash: flashProvider,
    openSerial(config: SerialConfig, handlers: SerialHandlers): SerialPort {
      return bus.open(config, handlers);
    },
    tcp: network,
    ota,
    system: {
      memory(): MemoryInfo {
        return { heapUsedBytes: null, heapFreeBytes: null };
      },
      restart(reason: string): void {
        restarts.push(reason);
        log.write(1, "system", `restart requested: ${reason}`);
      },
    },
    loop,
    network,
    bus,
    flashProvider,
    simRandom: random,
    simLog: log,
    simWatchdog: watchdog,
    simOta: ota,
    restarts,
  };
}
