import { LogLevel, type Hal, type NorFlash, type Timer } from "../../hal/types";
import type { GatewayConfig } from "../config/gateway-config";
import { Counters } from "../core/counters";
import type { TickService } from "./service";
import type { GatewayStatus } from "./status";

/** The most services the tick drives; a fixed table so the tick walks a plain array. */
const MAX_SERVICES = 16;

/**
 * The composition root on every host: boots from a checked config and a HAL, runs the periodic tick and keeps the
 * status snapshot. Capabilities (MQTT session, store, control loop, scheduler) attach as TickServices.
 */
export class Gateway {
  readonly counters = new Counters();
  readonly storeFlash: NorFlash;
  private readonly services: TickService[] = [];
  private readonly tickTimer: Timer;
  private readonly bootMs: number;
  private ticks = 0;
  private overruns = 0;
  private maxTickMs = 0;
  private lastTickStartMs = -1;
  private running = false;
  private period: number;
  private readonly overrunCounter: number;
  private readonly serviceErrorCounter: number;

  constructor(
    readonly hal: Hal,
    readonly config: GatewayConfig,
  ) {
    this.bootMs = hal.clock.monotonicMs();
    this.period = config.control.periodMs;
    this.overrunCounter = this.counters.register("tick_overruns");
    this.serviceErrorCounter = this.counters.register("service_errors");
    // The store area must exist before anything that persists state is built on it.
    this.storeFlash = hal.flash.open(config.store.partition);
    this.tickTimer = hal.clock.createTimer(() => this.tick());
    hal.log.write(
      LogLevel.Info,
      "boot",
      `board ${config.board} fw ${config.device.firmwareVersion} store ${this.storeFlash.sectorCount}x${this.storeFlash.sectorSize}B ` +
        `tick ${config.control.periodMs}ms`,
    );
  }

  addService(service: TickService): void {
    if (this.services.length === MAX_SERVICES) throw new Error(`Gateway: more than ${MAX_SERVICES} services`);
    this.services.push(service);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.hal.watchdog.enable(this.config.control.watchdogMs);
    this.tickTimer.start(this.period, this.period);
  }

  /** Change the tick period at run time (a spec-004 setting): the next tick comes one new period from now. */
  setPeriod(periodMs: number): void {
    this.period = periodMs;
    if (this.running) this.tickTimer.start(periodMs, periodMs);
  }

  stop(): void {
    this.running = false;
    this.tickTimer.stop();
  }

  /** One control tick. Public so tests and benchmarks can drive it directly. */
  tick(): void {
    const clock = this.hal.clock;
    const startMs = clock.monotonicMs();
    const period = this.period;
    let late = false;
    if (this.lastTickStartMs >= 0 && startMs - this.lastTickStartMs > 2 * period) late = true;
    this.lastTickStartMs = startMs;
    const services = this.services;
    for (let i = 0; i < services.length; i++) {
      try {
        services[i].tick(startMs);
      } catch (error) {
        // One failing service must not stop the loop (and the watchdog feed) for the others.
        this.counters.add(this.serviceErrorCounter);
        this.hal.log.write(LogLevel.Error, services[i].name, `tick failed: ${String(error)}`);
      }
    }
    this.hal.watchdog.feed();
    this.ticks++;
    const elapsed = clock.monotonicMs() - startMs;
    if (elapsed > this.maxTickMs) this.maxTickMs = elapsed;
    if (late || elapsed > this.config.control.tickBudgetMs) {
      this.overruns++;
      this.counters.add(this.overrunCounter);
    }
  }

  status(): GatewayStatus {
    const hal = this.hal;
    return {
      board: this.config.board,
      firmwareVersion: this.config.device.firmwareVersion,
      uptimeMs: hal.clock.monotonicMs() - this.bootMs,
      wallSynced: hal.clock.wallSynced(),
      ticks: this.ticks,
      overruns: this.overruns,
      maxTickMs: this.maxTickMs,
      storeSectors: this.storeFlash.sectorCount,
      memory: hal.system.memory(),
      counters: this.counters.nonZero(),
    };
  }
}

/** Boot the gateway: check the config, build the services, start the tick. */
export function bootGateway(hal: Hal, config: GatewayConfig): Gateway {
  const gateway = new Gateway(hal, config);
  gateway.start();
  return gateway;
}
