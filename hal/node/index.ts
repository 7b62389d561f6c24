/**
 * The HAL on a PC: real TCP (node:net / node:tls), a file-backed NOR flash image, Node timers, node:crypto
 * randomness. Used by `npm start` and a Linux-gateway mode; the core cannot tell it from the device.
 */
import { randomFillSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import {
  LogLevel,
  type Hal,
  type Log,
  type MemoryInfo,
  type RandomSource,
  type SerialConfig,
  type SerialHandlers,
  type SerialPort,
  type Watchdog,
} from "../types";
import { NodeClock } from "./clock";
import { FileFlashProvider, type FlashPartitionOptions } from "./file-flash";
import { NodeOtaSlots } from "./ota";
import { NodeTcpConnector, type NodeTcpOptions } from "./tcp";

export { NodeClock } from "./clock";
export { FileFlashProvider, FileNorFlash, type FlashPartitionOptions } from "./file-flash";
export { NodeOtaSlots, type NodeOtaImageState, type NodeOtaState } from "./ota";
export { NodeTcpConnector, type NodeTcpOptions, type NodeTcpStats } from "./tcp";

export interface NodeHalOptions {
  /** Flash partitions by name; each is an image file (`file`) or lives in memory. Default: `store`, 16 sectors, in memory. */
  partitions?: Record<string, FlashPartitionOptions>;
  /** Most verbose level printed (default Info). */
  logLevel?: LogLevel;
  /** Where log lines go (default console.log, errors to console.error). */
  logSink?: (line: string, level: LogLevel) => void;
  /** Called when the core asks for a restart (after it is recorded). */
  onRestart?: (reason: string) => void;
  /** OTA slots: a directory for slot files and their state, or in memory when absent. */
  ota?: { dir?: string; slotBytes?: number };
  tcp?: NodeTcpOptions;
  /** Serial ports: a PC has no RS-485 of its own, so the caller supplies one (a simulated bus, a tty adapter). */
  openSerial?: (config: SerialConfig, handlers: SerialHandlers) => SerialPort;
  /** Whether the host's wall clock is trusted (default true: a PC runs NTP). */
  wallSynced?: boolean;
}

/** Log to the console, dropping lines more verbose than the level. */
export class ConsoleLog implements Log {
  constructor(
    private readonly clock: NodeClock,
    public level: LogLevel,
    private readonly sink?: (line: string, level: LogLevel) => void,
  ) {}

  write(level: LogLevel, source: string, message: string): void {
    if (level > this.level) return;
    const line = `${this.clock.monotonicMs().toFixed(0)} ${"EWID"[level]} ${source}: ${message}`;
    if (this.sink) this.sink(line, level);
    else if (level === LogLevel.Error) console.error(line);
    else console.log(line);
  }
}

/**
 * A PC has no hardware watchdog to arm, so this one checks in software: if `feed` is not called within the timeout
 * it logs an error (once per missed period) and counts it, instead of resetting anything.
 */
export class SoftWatchdog implements Watchdog {
  timeoutMs = 0;
  feeds = 0;
  expiries = 0;
  private lastFeedMs = 0;
  private reported = false;
  private check: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: NodeClock,
    private readonly log: Log,
  ) {}

  enable(timeoutMs: number): void {
    if (!(timeoutMs > 0)) throw new RangeError(`watchdog timeout must be > 0 ms, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.lastFeedMs = this.clock.monotonicMs();
    this.reported = false;
    if (this.check !== null) clearInterval(this.check);
    // unref: the watchdog watches the run, it does not keep the process alive on its own.
    this.check = setInterval(() => this.inspect(), Math.max(10, timeoutMs / 4));
    this.check.unref();
  }

  feed(): void {
    this.feeds++;
    this.lastFeedMs = this.clock.monotonicMs();
    this.reported = false;
  }

  /** Would a hardware watchdog have reset the device by now? */
  expired(): boolean {
    return this.timeoutMs > 0 && this.clock.monotonicMs() - this.lastFeedMs > this.timeoutMs;
  }

  stop(): void {
    if (this.check !== null) clearInterval(this.check);
    this.check = null;
    this.timeoutMs = 0;
  }

  private inspect(): void {
    if (this.reported || !this.expired()) return;
    this.reported = true;
    this.expiries++;
    const late = (this.clock.monotonicMs() - this.lastFeedMs).toFixed(0);
    this.log.write(LogLevel.Error, "watchdog", `not fed for ${late} ms (timeout ${this.timeoutMs} ms): the device would reset here`);
  }
}

export interface NodeHal extends Hal {
  clock: NodeClock;
  consoleLog: ConsoleLog;
  flashProvider: FileFlashProvider;
  tcpConnector: NodeTcpConnector;
  softWatchdog: SoftWatchdog;
  nodeOta: NodeOtaSlots;
  /** Restart reasons in the order they were asked for. */
  restarts: string[];
  /** Stop timers, close sockets and image files: the end of a run. */
  close(): void;
}

const nodeRandom: RandomSource = {
  fill(into: Uint8Array, offset: number, length: number): void {
    randomFillSync(into, offset, length);
  },
};

export function createNodeHal(options: NodeHalOptions = {}): NodeHal {
  const clock = new NodeClock({ wallSynced: options.wallSynced });
  const log = new ConsoleLog(clock, options.logLevel ?? LogLevel.Info, options.logSink);
  const flashProvider = new FileFlashProvider(options.partitions ?? { store: { sectorCount: 16 } });
  const tcp = new NodeTcpConnector(options.tcp);
  const watchdog = new SoftWatchdog(clock, log);
  const restarts: string[] = [];
  const restart = (reason: string): void => {
    restarts.push(reason);
    log.write(LogLevel.Warn, "system", `restart requested: ${reason}`);
    options.onRestart?.(reason);
  };
  if (options.ota?.dir) mkdirSync(options.ota.dir, { recursive: true });
  const ota = new NodeOtaSlots({ dir: options.ota?.dir, slotBytes: options.ota?.slotBytes, restart });
  const openSerial =
    options.openSerial ??
    ((config: SerialConfig): SerialPort => {
      throw new Error(`hal/node: no serial port for "${config.port}": pass options.openSerial (a simulated bus or a tty adapter)`);
    });
  return {
    clock,
    log,
    random: nodeRandom,
    watchdog,
    flash: flashProvider,
    openSerial,
    tcp,
    ota,
    system: {
      memory(): MemoryInfo {
        const usage = process.memoryUsage();
        return { heapUsedBytes: usage.heapUsed, heapFreeBytes: usage.heapTotal - usage.heapUsed };
      },
      restart,
    },
    consoleLog: log,
    flashProvider,
    tcpConnector: tcp,
    softWatchdog: watchdog,
    nodeOta: ota,
    restarts,
    close(): void {
      clock.close();
      watchdog.stop();
      tcp.close();
      flashProvider.close();
    },
  };
}

