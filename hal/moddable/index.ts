/**
 * The HAL on the device: Moddable SDK modules on ESP32 (ECMA-419 serial/digital/TCP, flash, timer, time,
 * instrumentation) plus two small native modules of ours (hal/moddable/native). Nothing here runs at module top
 * level: createModdableHal is called from start().
 */
import Digital from "embedded:io/digital";
import System from "system";
import type { GatewayConfig } from "../../src/config/gateway-config";
import { LogLevel, type Hal, type MemoryInfo, type SerialConfig, type SerialHandlers, type SerialPort } from "../types";
import { boardPin, boardSerial } from "./board";
import { ModdableClock } from "./clock";
import { ModdableFlashProvider } from "./flash";
import { ModdableOtaSlots } from "./ota";
import { Rs485Port } from "./serial";
import { hardwareRandom, InstrumentedMemory, SupervisedWatchdog, TraceLog } from "./system";
import { ModdableTcpConnector } from "./tcp";

export { ModdableClock } from "./clock";
export { Rs485Port } from "./serial";

export interface ModdableHal extends Hal {
  clock: ModdableClock;
  traceLog: TraceLog;
  tcpConnector: ModdableTcpConnector;
  /** Drive the board's status LED (pin "led" of the host provider); does nothing on a board without one. */
  setStatusLed(on: boolean): void;
}

let activeClock: ModdableClock | null = null;

/**
 * Set the wall clock from a trusted source (platform time sync, SNTP): ms since the Unix epoch, UTC. From then on
 * `clock.wallSynced()` is true and the system clock (used by TLS) follows.
 */
export function setWallClock(ms: number): void {
  if (activeClock === null) throw new Error("setWallClock: the HAL is not created yet");
  activeClock.setWall(ms);
}

export function createModdableHal(config: GatewayConfig): ModdableHal {
  const clock = new ModdableClock();
  activeClock = clock;
  const log = new TraceLog(clock, LogLevel.Info);
  const restart = (reason: string): void => {
    log.write(LogLevel.Warn, "system", `restart: ${reason}`);
    System.restart();
  };
  const memory = new InstrumentedMemory();
  const ledPin = boardPin("led");
  const led = ledPin === undefined ? null : new Digital({ pin: ledPin, mode: Digital.Output });
  const tcp = new ModdableTcpConnector();
  log.write(LogLevel.Info, "hal", `moddable HAL for board ${config.board}`);
  return {
    clock,
    log,
    random: hardwareRandom,
    watchdog: new SupervisedWatchdog(clock, log, restart),
    flash: new ModdableFlashProvider(),
    openSerial(serialConfig: SerialConfig, handlers: SerialHandlers): SerialPort {
      return new Rs485Port(boardSerial(serialConfig.port), serialConfig, handlers, clock);
    },
    tcp,
    ota: new ModdableOtaSlots(),
    system: {
      memory(): MemoryInfo {
        return memory.read();
      },
      restart,
    },
    traceLog: log,
    tcpConnector: tcp,
    setStatusLed(on: boolean): void {
      led?.write(on ? 1 : 0);
    },
  };
}
