/**
 * The control loop as a TickService: every `periodMs` it starts a cycle in each control group (read meter and
 * devices, decide, write). Groups, drivers and transports are built when the strategies change (command rate, may
 * allocate) and reused every cycle (tick rate, allocates nothing).
 *
 * Transports: one RTU master per serial port (one request at a time per bus), one Modbus TCP client per host:port.
 * The bus time of a cycle is planned from baud and register counts when the configuration is built, and fitted to
 * the period (src/control/bus-plan.ts): device reads spread over cycles, or the period stretched, said in the
 * configuration problems and the status.
 */
import { LogLevel, type Clock, type Log, type SerialConfig, type SerialHandlers, type SerialPort, type TcpConnector } from "../../hal/types";
import type { TickService } from "../app/service";
import { Counters } from "../core/counters";
import { DeviceDriver } from "../devices/device";
import { findDeviceMap, type DeviceKind } from "../devices/device-maps";
import { MeterDriver, resolveMeterScaling } from "../devices/meter";
import { findMeterMap } from "../devices/meter-maps";
import { RtuMaster } from "../modbus/rtu-master";
import { ModbusTcpClient } from "../modbus/tcp-client";
import { rtuReadMs, rtuWriteMs } from "../modbus/timing";
import { cycleMs, DEFAULT_BUS_SHARE, scheduleBus, type BusLoad } from "./bus-plan";
import type { ModbusTransport } from "../modbus/transaction";
import { Alarm, ControlCore, DEFAULT_CONTROL_OPTIONS, type AlarmListener, type ControlOptions } from "./core";
import { ControlGroup } from "./group";
import { Kind, Solver } from "./solver";
import { newFloatScratch } from "../devices/points";
import { KIND_OF_DEVICE_TYPE, type BaseSetpointSource, type LinkSpec, type MeterSpec, type StrategySettings, type PeakDemandStore, type StrategySource } from "./strategy-input";
import { deepFreeze } from "../core/freeze";

export interface ControlHal {
  clock: Clock;
  log: Log;
  openSerial(config: SerialConfig, handlers: SerialHandlers): SerialPort;
  tcp: TcpConnector;
}

export interface ControlLoopConfig {
  options: ControlOptions;
  /** The board's RS-485 port and baud, for RTU links that do not name theirs. */
  serialPort: string | number;
  baud: number;
  rtu: { responseTimeoutMs: number; retries: number; /** Slave turnaround assumed when planning bus time. */ turnaroundMs: number };
  tcp: { responseTimeoutMs: number; retries: number; reconnectMs: number };
  maxGroups: number;
  maxDevicesPerGroup: number;
  /** Devices under control in all groups together (the memory bound of a small board; limits.maxDevices). */
  maxDevices: number;
  maxTransports: number;
  /** Transactions a transport may hold (reads + writes of one cycle on that link). */
  queueCapacity: number;
  writeDeadbandW: number;
  keepaliveMs: number;
  /** Share of the period a cycle's planned bus traffic may take before reads are spread or the period stretches (bus-plan.ts). */
  busShare: number;
}

export const DEFAULT_LOOP_CONFIG: ControlLoopConfig = deepFreeze({
  options: DEFAULT_CONTROL_OPTIONS,
  serialPort: 1,
  baud: 9600,
  rtu: { responseTimeoutMs: 100, retries: 0, turnaroundMs: 20 },
  tcp: { responseTimeoutMs: 150, retries: 0, reconnectMs: 2000 },
  maxGroups: 4,
  maxDevicesPerGroup: 8,
  maxDevices: 32,
  maxTransports: 8,
  queueCapacity: 16,
  writeDeadbandW: 100,
  keepaliveMs: 2000,
  busShare: DEFAULT_BUS_SHARE,
});

interface TransportEntry {
  key: string;
  transport: RtuMaster | ModbusTcpClient;
  /** RTU: planned bus ms of the busiest cycle (after the spread of device reads); TCP: 0. */
  plannedMs: number;
  baud: number;
  /** RTU: what one cycle carries before it is fitted (bus-plan.ts). */
  load: BusLoad;
  /** RTU: each device on this bus is read every this many cycles. */
  readEvery: number;
  /** RTU: most command writes a cycle sends on this bus (Infinity: TCP, no bus to share). */
  writesPerCycle: number;
}

function emptyLoad(): BusLoad {
  return { meterMs: 0, deviceReadMs: 0, devices: 0, writeMs: 0 };
}

export interface ControlStatus {
  cycles: number;
  lateCycles: number;
  busOverruns: number;
  problems: string[];
  buses: BusStatus[];
  /** The period cycles start at: the configured one, or longer when a bus needs it (bus-plan.ts). */
  periodMs: number;
  /** Cycles decided without some device's read (still running when the next cycle came). */
  forcedDecisions: number;
  /** Device reads skipped because the previous one was still running. */
  lateDeviceReads: number;
  /** Device reads left out by the bus plan (spread over cycles). */
  plannedReadSkips: number;
  /** Command writes the bus plan put off to a later cycle (more changed than a cycle sends). */
  deferredWrites: number;
  groups: {
    meterId: number;
    alarms: number;
    safe: boolean;
    gridW: number;
    baseW: number;
    hiW: number;
    loW: number;
    thresholdW: number;
    allowedImportW: number;
    demandW: number;
    peakW: number;
    decisionLatencyMs: number;
    devices: { id: number; actualW: number; commandW: number; socPct: number; excluded: boolean; notFollowing: boolean; offline: boolean }[];
  }[];
}

/** One bus's plan: busiest cycle's bus time, the spread of device reads, and the period it needs. */
export interface BusStatus {
  key: string;
  plannedMs: number;
  readEvery: number;
  writesPerCycle: number;
  periodMs: number;
}

/**
 * Served once per cycle, after the cycle's reads were queued: scheduled point reads and writes (src/app/device-points.ts)
 * ride the same transports, within what the cycle's planned bus time leaves of the period.
 */
export interface CycleGuest {
  serveCycle(nowMs: number): void;
}

const KIND_OF: Record<DeviceKind, Kind> = deepFreeze({ ess: Kind.Ess, pv: Kind.Pv, charger: Kind.Charger });

export class ControlLoop implements TickService, AlarmListener {
  readonly name = "control";
  readonly groups: ControlGroup[] = [];
  /** Configuration problems of the current strategy set (a strategy or device that could not be used, and why). */
  problems: string[] = [];
  cycles = 0;
  /** Cycles that started more than a period late (the tick was starved). */
  lateCycles = 0;
  private readonly transports: TransportEntry[] = [];
  private version = -1;
  private nextCycleMs = NaN;
  private readonly counters: Counters;
  private readonly hCycles: number;
  private readonly hLate: number;
  private readonly hBusOverrun: number;
  private readonly hAlarmRaised: number;
  private readonly hSafe: number;
  private readonly hProblems: number;
  /** Decision scratch shared by every group (decisions run one at a time, to completion). */
  private readonly solver: Solver;
  /** Float conversion scratch shared by every driver (conversions never overlap). */
  private readonly floatScratch = newFloatScratch();
  /** Scheduled point requests served after each cycle's start (the firmware sets it). */
  cycleGuest: CycleGuest | null = null;
  /** The period cycles start at: options.periodMs, or longer when a bus cannot carry a cycle in it (bus-plan.ts). */
  periodMs: number;

  constructor(
    private readonly hal: ControlHal,
    private readonly source: StrategySource,
    readonly config: ControlLoopConfig = DEFAULT_LOOP_CONFIG,
    counters: Counters | null = null,
    private readonly peakStoreFor: ((meterId: number) => PeakDemandStore | null) | null = null,
    private readonly base: BaseSetpointSource | null = null,
  ) {
    this.counters = counters ?? new Counters();
    this.hCycles = this.counters.register("control_cycles");
    this.hLate = this.counters.register("control_late_cycles");
    this.hBusOverrun = this.counters.register("control_bus_overruns");
    this.hAlarmRaised = this.counters.register("control_alarms_raised");
    this.hSafe = this.counters.register("control_safe_state_entries");
    this.hProblems = this.counters.register("control_config_problems");
    this.solver = new Solver(config.maxDevicesPerGroup);
    this.periodMs = config.options.periodMs;
  }

  tick(nowMs: number): void {
    if (this.source.version !== this.version) this.configure();
    if (this.nextCycleMs !== this.nextCycleMs) this.nextCycleMs = nowMs;
    if (nowMs < this.nextCycleMs) return;
    const period = this.periodMs;
    if (nowMs - this.nextCycleMs >= period) {
      this.lateCycles++;
      this.counters.add(this.hLate);
      this.nextCycleMs = nowMs + period;
    } else {
      this.nextCycleMs += period;
    }
    this.cycles++;
    this.counters.add(this.hCycles);
    const clock = this.hal.clock;
    // Wall-clock minute alignment of the demand window (meters slide on clock minutes); 0 while unsynced.
    const align = clock.wallSynced() ? (((clock.wallMs() - clock.monotonicMs()) % 60_000) + 60_000) % 60_000 : 0;
    const groups = this.groups;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i];
      if (this.base) {
        for (let k = 0; k < group.devices.length; k++) group.core.devices[k].baseW = this.base.essBaseW(group.devices[k].id);
      }
      if (!group.startCycle(nowMs, align)) this.counters.add(this.hBusOverrun);
    }
    if (this.cycleGuest !== null) this.cycleGuest.serveCycle(nowMs);
  }

  get busOverruns(): number {
    let total = 0;
    for (let i = 0; i < this.groups.length; i++) total += this.groups[i].busOverruns;
    return total;
  }

  onAlarm(core: ControlCore, alarm: number, raised: boolean, deviceId: number): void {
    if (raised) this.counters.add(this.hAlarmRaised);
    if (raised && alarm === Alarm.MeterStale) this.counters.add(this.hSafe);
    const name = alarmName(alarm);
    const where = deviceId >= 0 ? `meter ${core.meterId} device ${deviceId}` : `meter ${core.meterId}`;
    this.hal.log.write(raised ? LogLevel.Warn : LogLevel.Info, "control", `${where}: ${name} ${raised ? "raised" : "cleared"}`);
  }

  /** Rebuild groups and drivers from the strategies (command rate). Problems are collected, never thrown. */
  private configure(): void {
    this.version = this.source.version;
    for (const entry of this.transports) {
      if (entry.transport instanceof RtuMaster) entry.transport.cancelQueued();
      // The plan is rebuilt below: without this each reconfiguration added the bus time again.
      entry.plannedMs = 0;
      entry.load = emptyLoad();
      entry.readEvery = 1;
      entry.writesPerCycle = Infinity;
    }
    // Which bus each device's reads ride (to give the device its bus's spread once every bus is planned).
    const deviceBus: { group: ControlGroup; index: number; entry: TransportEntry }[] = [];
    this.groups.length = 0;
    const problems: string[] = [];
    const seenDevices = new Set<number>();
    const c = this.config;
    for (const strategy of this.source.strategies()) {
      const where = `strategy ${strategy.id}`;
      const kind = KIND_OF_DEVICE_TYPE[strategy.deviceType];
      if (!kind) {
        problems.push(`${where}: device_type ${strategy.deviceType} is not 2, 3 or 4`);
        continue;
      }
      // Meter and devices are asked for here only; nothing of them is kept but the drivers built from them.
      const topology = this.source.topology(strategy);
      if (topology === null) {
        problems.push(`${where}: its meter and devices cannot be read now`);
        continue;
      }
      const meter = topology.meter;
      let group = this.groups.find((g) => g.core.meterId === meter.id);
      if (!group) {
        const made = this.makeGroup(strategy, meter, problems);
        if (!made) continue;
        group = made;
      }
      group.strategies.push(strategy);
      for (const spec of topology.devices) {
        const dwhere = `${where} device ${spec.id}`;
        if (seenDevices.has(spec.id)) {
          problems.push(`${dwhere}: already controlled by another strategy; ignored here`);
          continue;
        }
        const map = findDeviceMap(spec.map);
        if (!map) {
          problems.push(`${dwhere}: unknown register map "${spec.map}"`);
          continue;
        }
        if (map.kind !== kind) {
          problems.push(`${dwhere}: map "${spec.map}" is for ${map.kind}, the strategy's device_type is ${kind}`);
          continue;
        }
        if (!(spec.ratedW > 0)) {
          problems.push(`${dwhere}: ratedW must be > 0`);
          continue;
        }
        if (spec.phases !== undefined && !(spec.phases >= 1 && spec.phases <= 7 && (spec.phases | 0) === spec.phases)) {
          problems.push(`${dwhere}: phases must be a mask 1..7 (1 A, 2 B, 4 C), got ${spec.phases}`);
          continue;
        }
        const transport = this.transportFor(spec.link, dwhere, problems);
        if (!transport) continue;
        if (seenDevices.size >= c.maxDevices) {
          problems.push(`${dwhere}: more than ${c.maxDevices} devices under control (limits.maxDevices)`);
          continue;
        }
        const coreDevice = group.core.addDevice();
        if (!coreDevice) {
          problems.push(`${dwhere}: more than ${c.maxDevicesPerGroup} devices on meter ${meter.id}`);
          continue;
        }
        seenDevices.add(spec.id);
        const index = group.devices.length;
        const revert = spec.revertSeconds ?? (kind === "ess" ? 10 : 0);
        const driver = new DeviceDriver(spec.id, map, spec.link.unit, transport.transport, { ratedW: spec.ratedW, revertSeconds: revert }, group, this.floatScratch);
        driver.tag = index;
        group.devices.push(driver);
        const o = c.options;
        const ramp = kind === "ess" ? o.essRampPctPerS : kind === "pv" ? o.pvRampPctPerS : o.chargerRampPctPerS;
        coreDevice.configure(
          spec.id,
          KIND_OF[kind],
          spec.ratedW,
          spec.maxChargeW ?? spec.ratedW,
          spec.maxDischargeW ?? spec.ratedW,
          spec.socMinPct ?? 5,
          spec.socMaxPct ?? 95,
          spec.minLimitW ?? (kind === "charger" ? 4140 : 0),
          strategy.antiBackflow || strategy.phaseAntiBackflow,
          strategy.overDemand,
          ramp,
          spec.phases ?? 7,
        );
        coreDevice.setChargeRelease(o.essChargeReleasePctPerS);
        this.plan(transport, driver);
        deviceBus.push({ group, index, entry: transport });
      }
      group.refreshSettings();
    }
    for (const group of this.groups) group.core.peak.restore(group.core.settings.monthKey);
    this.fitBuses(problems);
    for (const { group, index, entry } of deviceBus) group.setBusPlan(index, entry.readEvery, entry.writesPerCycle);
    this.problems = problems;
    if (problems.length > 0) {
      this.counters.add(this.hProblems, problems.length);
      for (const problem of problems) this.hal.log.write(LogLevel.Warn, "control", problem);
    }
  }

  private makeGroup(strategy: StrategySettings, meter: MeterSpec, problems: string[]): ControlGroup | null {
    const c = this.config;
    const where = `strategy ${strategy.id} meter ${meter.id}`;
    if (this.groups.length === c.maxGroups) {
      problems.push(`${where}: more than ${c.maxGroups} meters under control (limits.maxMeters)`);
      return null;
    }
    const map = findMeterMap(meter.model);
    if (!map) {
      problems.push(`${where}: no register map for meter type "${meter.model}"`);
      return null;
    }
    const scaling = resolveMeterScaling(meter);
    if (typeof scaling === "string") {
      problems.push(`${where}: ${scaling}`);
      return null;
    }
    const transport = this.transportFor(meter.link, where, problems);
    if (!transport) return null;
    const core = new ControlCore(meter.id, c.maxDevicesPerGroup, c.options, this.peakStoreFor ? this.peakStoreFor(meter.id) : null, this.solver);
    core.alarmListener = this;
    const group = new ControlGroup(core, c.maxDevicesPerGroup, this.hal.clock, c);
    group.meter = new MeterDriver(meter.id, map, meter.link.unit, transport.transport, scaling, group, this.floatScratch);
    this.groups.push(group);
    // Fast block every cycle plus at most one slow block.
    if (transport.baud > 0) transport.load.meterMs += readsPerCycleMs(transport.baud, map.blocks, c.rtu.turnaroundMs);
    return group;
  }

  private plan(entry: TransportEntry, driver: DeviceDriver): void {
    if (entry.baud <= 0) return;
    const turnaround = this.config.rtu.turnaroundMs;
    entry.load.deviceReadMs += readsPerCycleMs(entry.baud, driver.map.blocks, turnaround);
    entry.load.devices++;
    entry.load.writeMs += rtuWriteMs(entry.baud, driver.map.command.count, driver.map.command.single === true, turnaround);
  }

  /** Fit every RTU bus's cycle to the period (bus-plan.ts); the loop's period is the longest any bus needs. */
  private fitBuses(problems: string[]): void {
    const configured = this.config.options.periodMs;
    let period = configured;
    for (const entry of this.transports) {
      if (entry.baud <= 0) continue;
      const schedule = scheduleBus(entry.load, configured, this.config.busShare ?? DEFAULT_BUS_SHARE);
      entry.plannedMs = schedule.cycleMs;
      entry.readEvery = schedule.readEvery;
      entry.writesPerCycle = schedule.writesPerCycle;
      if (schedule.periodMs > period) period = schedule.periodMs;
      const full = cycleMs(entry.load, 1);
      if (schedule.periodMs > configured) {
        problems.push(
          `bus ${entry.key}: a cycle needs ${full.toFixed(1)} ms of bus time at ${entry.baud} baud, more than the ${configured} ms period allows; ` +
            `device reads every ${schedule.readEvery} cycles and the period stretched to ${schedule.periodMs} ms`,
        );
      } else if (schedule.readEvery > 1 || schedule.writesPerCycle < entry.load.devices) {
        this.hal.log.write(
          LogLevel.Info,
          "control",
          `bus ${entry.key}: a cycle needs ${full.toFixed(1)} ms at ${entry.baud} baud; device reads spread over ${schedule.readEvery} cycles, ` +
            `at most ${schedule.writesPerCycle} of ${entry.load.devices} writes per cycle (${schedule.cycleMs.toFixed(1)} ms per cycle)`,
        );
      }
    }
    this.periodMs = period;
  }

  private transportFor(link: LinkSpec, where: string, problems: string[]): TransportEntry | null {
    const c = this.config;
    if (!(link.unit >= 0 && link.unit <= 255 && Number.isInteger(link.unit))) {
      problems.push(`${where}: slave id must be 0..255, got ${link.unit}`);
      return null;
    }
    let key: string;
    if (link.proto === "tcp") {
      if (!link.host || !(link.port !== undefined && link.port >= 1 && link.port <= 65535)) {
        problems.push(`${where}: Modbus TCP needs host and port 1..65535`);
        return null;
      }
      key = `tcp:${link.host}:${link.port}`;
    } else if (link.proto === "rtu") {
      key = `rtu:${String(link.serialPort ?? c.serialPort)}`;
    } else {
      problems.push(`${where}: unknown link protocol "${String((link as { proto: unknown }).proto)}"`);
      return null;
    }
    const existing = this.transports.find((t) => t.key === key);
    if (existing) {
      const baud = link.proto === "rtu" && link.baud ? link.baud : existing.baud;
      if (link.proto === "rtu" && baud !== existing.baud) {
        problems.push(`${where}: baud ${baud} differs from ${existing.baud} already used on ${key}`);
        return null;
      }
      return existing;
    }
    if (this.transports.length === c.maxTransports) {
      problems.push(`${where}: more than ${c.maxTransports} buses and TCP links`);
      return null;
    }
    let entry: TransportEntry;
    if (link.proto === "tcp") {
      const client = new ModbusTcpClient(this.hal.clock, this.hal.tcp, {
        host: link.host as string,
        port: link.port as number,
        responseTimeoutMs: c.tcp.responseTimeoutMs,
        retries: c.tcp.retries,
        queueCapacity: c.queueCapacity,
        reconnectMs: c.tcp.reconnectMs,
        name: `${link.host}_${link.port}`,
        counters: this.counters,
      });
      entry = { key, transport: client, plannedMs: 0, baud: 0, load: emptyLoad(), readEvery: 1, writesPerCycle: Infinity };
    } else {
      const baud = link.baud && link.baud > 0 ? link.baud : c.baud;
      const port = link.serialPort ?? c.serialPort;
      const master = new RtuMaster(this.hal.clock, {
        baud,
        responseTimeoutMs: c.rtu.responseTimeoutMs,
        retries: c.rtu.retries,
        queueCapacity: c.queueCapacity,
        name: `rtu${String(port)}`,
        counters: this.counters,
      });
      master.attach(this.hal.openSerial({ port, baud }, master));
      entry = { key, transport: master, plannedMs: 0, baud, load: emptyLoad(), readEvery: 1, writesPerCycle: Infinity };
    }
    this.transports.push(entry);
    return entry;
  }

  /** Planned bus time per cycle of every RTU bus (ms). */
  busPlan(): BusStatus[] {
    const plan: BusStatus[] = [];
    for (const entry of this.transports) {
      if (entry.baud > 0) {
        plan.push({ key: entry.key, plannedMs: entry.plannedMs, readEvery: entry.readEvery, writesPerCycle: entry.writesPerCycle, periodMs: this.periodMs });
      }
    }
    return plan;
  }

  /** Totals over the groups (status, scenario metrics). */
  get forcedDecisions(): number {
    return this.groupTotal("forcedDecisions");
  }

  get lateDeviceReads(): number {
    return this.groupTotal("lateDeviceReads");
  }

  get deferredWrites(): number {
    return this.groupTotal("deferredWrites");
  }

  get plannedReadSkips(): number {
    return this.groupTotal("plannedReadSkips");
  }

  private groupTotal(counter: "forcedDecisions" | "lateDeviceReads" | "deferredWrites" | "plannedReadSkips"): number {
    let total = 0;
    for (let i = 0; i < this.groups.length; i++) total += this.groups[i][counter];
    return total;
  }

  /**
   * The transport of `link`, opened when no strategy uses it yet (a scheduled action on a device outside control):
   * one owner per bus. The entry is live (its plannedMs follows reconfigurations); a string says why there is none.
   */
  linkTransport(link: LinkSpec): { readonly transport: ModbusTransport; readonly plannedMs: number; readonly baud: number } | string {
    const problems: string[] = [];
    return this.transportFor(link, `link ${link.proto} unit ${link.unit}`, problems) ?? problems[0];
  }

  transport(key: string): ModbusTransport | null {
    const entry = this.transports.find((t) => t.key === key);
    return entry ? entry.transport : null;
  }

  /** A snapshot for status reports (allocates: report rate, not tick rate). */
  status(): ControlStatus {
    return {
      cycles: this.cycles,
      lateCycles: this.lateCycles,
      busOverruns: this.busOverruns,
      problems: this.problems.slice(),
      buses: this.busPlan(),
      periodMs: this.periodMs,
      forcedDecisions: this.forcedDecisions,
      lateDeviceReads: this.lateDeviceReads,
      plannedReadSkips: this.plannedReadSkips,
      deferredWrites: this.deferredWrites,
      groups: this.groups.map((group) => {
        const core = group.core;
        return {
          meterId: core.meterId,
          alarms: core.alarms,
          safe: core.safe,
          gridW: core.gridW,
          baseW: core.baseW,
          hiW: core.hiW,
          loW: core.loW,
          thresholdW: core.thresholdW,
          allowedImportW: core.allowedImportW,
          demandW: core.window.lastDemandW,
          peakW: core.peak.peakW,
          decisionLatencyMs: group.lastDecisionLatencyMs,
          devices: group.devices.map((_driver, i) => {
            const d = core.devices[i];
            return { id: d.id, actualW: d.actualW, commandW: d.commandW, socPct: d.socPct, excluded: d.excluded, notFollowing: d.notFollowing, offline: d.offline };
          }),
        };
      }),
    };
  }
}

export function alarmName(alarm: number): string {
  switch (alarm) {
    case Alarm.MeterStale:
      return "meter stale (safe state)";
    case Alarm.NotFollowing:
      return "device not following its command";
    case Alarm.ExportShort:
      return "import margin cannot be kept (export)";
    case Alarm.DemandShort:
      return "demand threshold cannot be kept";
    case Alarm.DeviceOffline:
      return "device offline";
    default:
      return "unknown alarm";
  }
}

/** Bus time of the blocks a driver reads in one cycle: every "cycle" block, plus the largest "slow" one (slow blocks take turns). */
function readsPerCycleMs(baud: number, blocks: readonly { readonly count: number; readonly when?: string }[], turnaroundMs: number): number {
  let ms = 0;
  let slowMax = 0;
  for (const block of blocks) {
    const t = rtuReadMs(baud, block.count, turnaroundMs);
    if (block.when === "slow") slowMax = Math.max(slowMax, t);
    else if (block.when !== "init") ms += t;
  }
  return ms + slowMax;
}
