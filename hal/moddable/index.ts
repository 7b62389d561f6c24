/**
 * The HAL on the device: Moddable SDK modules on ESP32 (ECMA-419 serial/digital/TCP, flash, timer, time,
 * instrumentation) plus two small native modules of ours (hal/moddable/native). The same code runs in the SDK's
 * Linux simulator, where boards/sim supplies what the ESP32 has in silicon (flash, OTA state, RNG) as modules of
 * the same names. Nothing here runs at module top level: createModdableHal is called from start().
 */
import type { GatewayConfig } from "../../src/config/gateway-config";
import { LogLevel, type Hal, type MemoryInfo, type SerialConfig, type SerialHandlers, type SerialPort } from "../types";
import { boardDigital, boardPin, boardSerial } from "./board";
import { ModdableClock } from "./clock";
import { NativeSha256 } from "./digest";
import { ModdableFlashProvider } from "./flash";
import { ModdableOtaSlots } from "./ota";
import { Rs485Port } from "./serial";
import { sdkSystem } from "./platform";
import { hardwareRandom, InstrumentedMemory, SupervisedWatchdog, TraceLog } from "./system";
import { ModdableTcpConnector } from "./tcp";
import { tlsSecureOptions } from "./tls-trust";

export { ModdableClock } from "./clock";
export { Rs485Port } from "./serial";

export interface ModdableHal extends Hal {
  clock: ModdableClock;
  traceLog: TraceLog;
  tcpConnector: ModdableTcpConnector;
  /** Drive the board's status LED (pin "led" of the host provider); does nothing on a board without one. */
  setStatusLed(on: boolean): void;
  /**
   * Set the wall clock from a trusted source (platform time sync, SNTP): ms since the Unix epoch, UTC. From then on
   * `clock.wallSynced()` is true and the system clock (used by TLS) follows.
   */
  setWallClock(ms: number): void;
}

export function createModdableHal(config: GatewayConfig): ModdableHal {
  const clock = new ModdableClock();
  const log = new TraceLog(clock, LogLevel.Info);
  const restart = (reason: string): void => {
    log.write(LogLevel.Warn, "system", `restart: ${reason}`);
    const platformRestart = sdkSystem().restart;
    // The Linux simulator's System has no restart: say so rather than pretend; the process keeps running.
    if (typeof platformRestart === "function") platformRestart();
    else log.write(LogLevel.Error, "system", "restart: this platform cannot restart (simulator): restart the process by hand");
  };
  const memory = new InstrumentedMemory();
  const ledPin = boardPin("led");
  const Digital = boardDigital();
  const led = ledPin === undefined || Digital === undefined ? null : new Digital({ pin: ledPin, mode: Digital.Output });
  const tcp = new ModdableTcpConnector(tlsSecureOptions());
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
    sha256: () => new NativeSha256(),
    traceLog: log,
    tcpConnector: tcp,
    setStatusLed(on: boolean): void {
      led?.write(on ? 1 : 0);
    },
    setWallClock(ms: number): void {
      clock.setWall(ms);
    },
  };
}
