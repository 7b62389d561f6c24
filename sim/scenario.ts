/**
 * Scenario runner: builds the simulated site of a scenario JSON (sim/scenarios/*.json), the gateway with its control
 * loop on the simulated HAL, runs it on the SimLoop as fast as the host allows, and returns the control metrics.
 *
 *   const metrics = runScenario(JSON.parse(text));   // `npm start -- --scenario FILE --speed max --json`
 *
 * The metrics are measured on the simulated physics (the true grid power at every step), not on what the gateway
 * believes: export energy, export above the threshold (worst excess, seconds, longest episode), the worst 15-minute
 * sliding demand against the month's limit, setpoint sign changes per hour, tick/bus overruns, safe-state timing.
 */
import { Gateway } from "../src/app/gateway";
import { resolveConfig } from "../src/config/gateway-config";
import { Counters } from "../src/core/counters";
import { Alarm, DEFAULT_CONTROL_OPTIONS, type ControlOptions } from "../src/control/core";
import { ControlLoop, DEFAULT_LOOP_CONFIG, type ControlLoopConfig } from "../src/control/loop";
import { StaticStrategySource, monthKeyOf, parsePhases, type BaseSetpointSource, type ControlStrategy, type DeviceSpec, type LinkSpec, type PeakDemandStore } from "../src/control/strategy-input";
import { createSimHal } from "../hal/sim/index";
import { CommandTrack, stepTimesMs } from "./overshoot";
import { SimSite, type SimDeviceSpec, type SimLinkSpec, type SiteSpec } from "./site/site";
import { Trace, type TraceSpec } from "./site/trace";

/** A strategy in the spec-000 vocabulary (powers in kW), with the devices named by their ids in the site. */
export interface ScenarioStrategy {
  id: number;
  device_type: 2 | 3 | 4;
  devices: number[];
  streaming_status?: number;
  streaming_condition?: number;
  individual_phase_streaming_status?: number;
  individual_phase_streaming_condition?: number;
  over_demand_status?: number;
  over_demand_condition?: number[];
  dynamic_demand_status?: number;
  dynamic_demand?: number;
  dynamic_demand_percentage?: number;
  /** Meter direction as the platform would send it (default: 2 when the site's meter is reversed, else 1). */
  direction?: number;
}

export type ScenarioFault =
  | { atS: number; kind: "meterSilent" | "meterBack" }
  | { atS: number; kind: "ignoreCommands" | "obeyCommands" | "deviceSilent" | "deviceBack"; device: number };

export interface Scenario {
  name: string;
  description?: string;
  durationS: number;
  /** ISO-8601 UTC start of the simulated wall clock (default 2026-06-15T02:00:00Z, 10:00 in China). */
  startWall?: string;
  seed?: number;
  /** Export above this counts in the metrics (W); default 0: any export. */
  exportThresholdW?: number;
  /** Site UTC offset for the month of the limits (default +480, China). */
  utcOffsetMinutes?: number;
  control?: Partial<ControlOptions> & { writeDeadbandW?: number; keepaliveMs?: number; rtuResponseTimeoutMs?: number };
  site: SiteSpec;
  strategies: ScenarioStrategy[];
  faults?: ScenarioFault[];
  /** A persisted peak to start from (dynamic demand). */
  storedPeak?: { monthKey: number; peakW: number };
  /** ESS schedule setpoints over time, by device id (W, discharge > 0). */
  essBase?: Record<string, TraceSpec>;
}

export interface ScenarioMetrics {
  name: string;
  durationS: number;
  controlPeriodMs: number;
  exportThresholdW: number;
  exportEnergyKwh: number;
  maxExportW: number;
  maxExportAboveThresholdW: number;
  secondsAboveThreshold: number;
  longestAboveThresholdS: number;
  /** Separate stretches of export above the threshold, and the longest one in control periods. */
  exportEpisodes: number;
  longestAboveThresholdPeriods: number;
  /** Worst export on any single phase, W, and seconds with any phase exporting above the threshold / 3. */
  maxPhaseExportW: number;
  secondsPhaseAboveThreshold: number;
  /** Worst 15-minute sliding demand of the run (W) and the month's limit (W; 0 without demand control). */
  maxDemandW: number;
  demandLimitW: number;
  /** max(0, maxDemandW - demandLimitW). */
  demandExcessW: number;
  /** Worst demand relative to the limit, % (100 = at the limit). */
  maxDemandPctOfLimit: number;
  setpointSignChangesPerHour: number;
  /** Sum of |change| of ESS and limit commands written, kW per hour. */
  setpointTravelKwPerHour: number;
  setpointWrites: number;
  /** Mean |change| of the commands written, W (how much each write moves a setpoint). */
  meanSetpointChangeW: number;
  tickOverruns: number;
  busOverruns: number;
  /** The period cycles ran at: the configured one, or what the bus plan stretched it to (src/control/bus-plan.ts). */
  effectivePeriodMs: number;
  /** Cycles decided without some device's read; device reads skipped because the previous one still ran; device reads the bus plan left out. */
  forcedDecisions: number;
  lateDeviceReads: number;
  plannedReadSkips: number;
  /** Command writes the bus plan put off to the next cycle (more changed than a cycle may send). */
  deferredWrites: number;
  lateCycles: number;
  controlCycles: number;
  maxDecisionLatencyMs: number;
  /** Time from the first "meterSilent" fault to the safe state, ms (-1: no such fault or never safe). */
  safeStateAfterMs: number;
  /** Time from the first "ignoreCommands" fault to the not-following alarm, ms (-1: none). */
  notFollowingAlarmAfterMs: number;
  /** Batteries charging from the grid: the peak (W) and the energy (kWh). */
  maxGridChargingW: number;
  gridChargingKwh: number;
  /** Worst overshoot of the batteries' total command after a step of the load or the PV, % of the correction needed (sim/overshoot.ts). */
  maxOvershootPct: number;
  /** Largest |ESS command| sent, W (wind-up check). */
  maxAbsEssCommandW: number;
  pvCurtailedKwh: number;
  essDischargedKwh: number;
  essChargedKwh: number;
  finalSocPct: number;
  alarmsRaised: number;
  configProblems: number;
}

export interface ScenarioOptions {
  /** Override the duration (s). */
  durationS?: number;
  /** Echo the gateway log. */
  echo?: (line: string) => void;
  /** Called once everything is built, before the run: tests inspect or tweak the internals. */
  onBuilt?: (parts: { site: SimSite; loop: ControlLoop; gateway: Gateway; sim: ReturnType<typeof createSimHal> }) => void;
  /** Called every simulated second (progress display, traces). */
  onSecond?: (second: number, site: SimSite, loop: ControlLoop) => void;
}

/** Parse an ISO UTC date-time to ms (no locale Date APIs). */
function parseUtc(text: string, where: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(text);
  if (!m) throw new Error(`${where}: must look like 2026-06-15T02:00:00Z, got "${text}"`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function linkOf(spec: SimLinkSpec): LinkSpec {
  return spec.link === "tcp" ? { proto: "tcp", unit: spec.unit, host: spec.host, port: spec.port } : { proto: "rtu", unit: spec.unit };
}

/**
 * The phases the gateway is told a site device feeds (DeviceSpec.phases): its `phases` text when the scenario gives
 * one (a configuration that may differ from the wiring), else what it is wired to (`phase`).
 */
function configuredPhases(device: SimDeviceSpec): number {
  if (device.phases !== undefined) {
    const mask = parsePhases(device.phases);
    if (typeof mask === "string") throw new Error(`site device ${device.id}: ${mask}`);
    return mask;
  }
  return device.phase === undefined || device.phase < 0 ? 7 : 1 << device.phase;
}

/** Build the control strategies the protocol side would hand the loop, from the scenario's spec-000 strategies. */
export function strategiesOf(scenario: Scenario, monthKey: number): ControlStrategy[] {
  const site = scenario.site;
  const devices = new Map<number, DeviceSpec>();
  for (const e of site.ess ?? []) {
    devices.set(e.id, { id: e.id, map: e.map, link: linkOf(e), ratedW: e.ratedW, maxChargeW: e.maxChargeW, maxDischargeW: e.maxDischargeW, socMinPct: e.socMinPct, socMaxPct: e.socMaxPct, phases: configuredPhases(e) });
  }
  for (const p of site.pv ?? []) devices.set(p.id, { id: p.id, map: p.map, link: linkOf(p), ratedW: p.ratedW, phases: configuredPhases(p) });
  for (const c of site.chargers ?? []) devices.set(c.id, { id: c.id, map: c.map, link: linkOf(c), ratedW: c.ratedW, minLimitW: c.minLimitW, phases: configuredPhases(c) });
  const month = monthKey % 100;
  return scenario.strategies.map((s, i) => {
    const where = `strategies[${i}]`;
    const list = s.devices.map((id) => {
      const device = devices.get(id);
      if (!device) throw new Error(`${where}.devices: no device ${id} in the site`);
      return device;
    });
    const monthly = s.over_demand_condition ?? [];
    if (s.over_demand_status === 1 && monthly.length !== 12) throw new Error(`${where}.over_demand_condition: needs 12 monthly values (kW)`);
    return {
      id: s.id,
      deviceType: s.device_type,
      meter: {
        id: site.meter.id,
        model: site.meter.model,
        link: linkOf(site.meter),
        pt: site.meter.pt,
        ct: site.meter.ct,
        direction: s.direction ?? (site.meter.reversed ? 2 : 1),
      },
      devices: list,
      antiBackflow: s.streaming_status === 1,
      antiBackflowMarginW: (s.streaming_condition ?? 0) * 1000,
      phaseAntiBackflow: s.individual_phase_streaming_status === 1,
      phaseMarginW: (s.individual_phase_streaming_condition ?? 0) * 1000,
      overDemand: s.over_demand_status === 1,
      demandLimitW: monthly.length === 12 ? monthly[month - 1] * 1000 : 0,
      dynamicDemand: s.dynamic_demand_status === 1,
      dynamicDemandPct: s.dynamic_demand_percentage ?? 100,
      dynamicDemandSeedW: (s.dynamic_demand ?? 0) * 1000,
      monthKey,
    };
  });
}

class MemoryPeakStore implements PeakDemandStore {
  saves = 0;
  constructor(public stored: { monthKey: number; peakW: number } | null) {}
  load() {
    return this.stored;
  }
  save(monthKey: number, peakW: number) {
    this.saves++;
    this.stored = { monthKey, peakW };
  }
}

/** Run one scenario (a parsed JSON object or its text) as fast as possible and return its metrics. */
export function runScenario(input: Scenario | string, options: ScenarioOptions = {}): ScenarioMetrics {
  const run = prepareScenario(input, options);
  run.advance(run.durationMs);
  return run.finish();
}

/**
 * A scenario built and ready, for hosts that pace it themselves (`--speed 1` on the PC: advance by the wall time
 * elapsed; `--speed max`: advance(durationMs) at once). `finish` stops the gateway and computes the metrics.
 */
export interface ScenarioRun {
  readonly durationMs: number;
  /** Simulated ms run so far. */
  readonly elapsedMs: number;
  advance(ms: number): void;
  finish(): ScenarioMetrics;
}

export function prepareScenario(input: Scenario | string, options: ScenarioOptions = {}): ScenarioRun {
  const scenario: Scenario = typeof input === "string" ? (JSON.parse(input) as Scenario) : input;
  if (!scenario || typeof scenario !== "object") throw new Error("scenario: must be a JSON object");
  if (typeof scenario.name !== "string") throw new Error("scenario.name: must be a string");
  const durationS = options.durationS ?? scenario.durationS;
  if (!(durationS > 0)) throw new Error("scenario.durationS: must be > 0");
  if (!scenario.site || !scenario.site.meter) throw new Error("scenario.site.meter: missing");
  if (!Array.isArray(scenario.strategies)) throw new Error("scenario.strategies: must be an array");
  const startWall = parseUtc(scenario.startWall ?? "2026-06-15T02:00:00Z", "scenario.startWall");
  const offset = scenario.utcOffsetMinutes ?? 480;
  const sim = createSimHal({ seed: scenario.seed ?? 1, wallStartMs: startWall, echo: options.echo, logCapacity: 400 });
  sim.network.latencyMs = scenario.site.tcpLatencyMs ?? 2;

  const c = scenario.control ?? {};
  const controlOptions: ControlOptions = { ...DEFAULT_CONTROL_OPTIONS };
  for (const key of Object.keys(DEFAULT_CONTROL_OPTIONS) as (keyof ControlOptions)[]) {
    const value = (c as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof DEFAULT_CONTROL_OPTIONS[key] === "boolean") {
      if (typeof value !== "boolean") throw new Error(`scenario.control.${key}: must be true or false`);
      (controlOptions as unknown as Record<string, boolean>)[key] = value;
    } else {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`scenario.control.${key}: must be a number`);
      (controlOptions as unknown as Record<string, number>)[key] = value;
    }
  }
  const loopConfig: ControlLoopConfig = {
    ...DEFAULT_LOOP_CONFIG,
    options: controlOptions,
    baud: scenario.site.baud ?? 9600,
    writeDeadbandW: c.writeDeadbandW ?? DEFAULT_LOOP_CONFIG.writeDeadbandW,
    keepaliveMs: c.keepaliveMs ?? DEFAULT_LOOP_CONFIG.keepaliveMs,
    rtu: { ...DEFAULT_LOOP_CONFIG.rtu, responseTimeoutMs: c.rtuResponseTimeoutMs ?? DEFAULT_LOOP_CONFIG.rtu.responseTimeoutMs },
  };

  const site = new SimSite(scenario.site, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
  const monthKey = monthKeyOf(startWall, offset);
  const strategies = strategiesOf(scenario, monthKey);
  const source = new StaticStrategySource(strategies);
  const store = new MemoryPeakStore(scenario.storedPeak ?? null);
  const baseTraces = new Map<number, Trace>();
  for (const e of scenario.site.ess ?? []) {
    const spec = scenario.essBase?.[String(e.id)];
    if (spec) baseTraces.set(e.id, new Trace(spec, null, `scenario.essBase.${e.id}`));
    else if (e.baseW !== undefined) baseTraces.set(e.id, new Trace({ points: [[0, e.baseW]] }, null, `site.ess.${e.id}.baseW`));
  }
  const base: BaseSetpointSource = {
    essBaseW(id: number): number {
      const trace = baseTraces.get(id);
      return trace ? trace.at(sim.loop.monotonicMs()) : NaN;
    },
  };

  const config = resolveConfig({ control: { periodMs: controlOptions.periodMs, tickBudgetMs: Math.max(1, Math.floor(controlOptions.periodMs / 4)), watchdogMs: 5000 } });
  const gateway = new Gateway(sim, config);
  const counters: Counters = gateway.counters;
  const loop = new ControlLoop(sim, source, loopConfig, counters, () => store, base);
  gateway.addService(loop);

  // The strategy provider's month rollover: limit and month follow the wall clock.
  const monthTimer = sim.loop.createTimer(() => {
    const key = monthKeyOf(sim.loop.wallMs(), offset);
    for (let i = 0; i < strategies.length; i++) {
      if (strategies[i].monthKey === key) continue;
      strategies[i].monthKey = key;
      const monthly = scenario.strategies[i].over_demand_condition;
      strategies[i].demandLimitW = monthly && monthly.length === 12 ? monthly[(key % 100) - 1] * 1000 : 0;
    }
  });
  monthTimer.start(1000, 1000);

  // Faults.
  let meterSilentAtMs = NaN;
  let ignoreAtMs = NaN;
  for (const fault of scenario.faults ?? []) {
    const timer = sim.loop.createTimer(() => applyFault(fault));
    timer.start(fault.atS * 1000);
  }
  function slaveOfDevice(id: number) {
    const all = [...site.batteries, ...site.pvs, ...site.chargers];
    const found = all.find((x) => x.spec.id === id);
    if (!found) throw new Error(`scenario.faults: no device ${id}`);
    return found;
  }
  function applyFault(fault: ScenarioFault): void {
    switch (fault.kind) {
      case "meterSilent":
        site.meter.slave.silent = true;
        if (meterSilentAtMs !== meterSilentAtMs) meterSilentAtMs = sim.loop.monotonicMs();
        break;
      case "meterBack":
        site.meter.slave.silent = false;
        break;
      case "ignoreCommands":
        slaveOfDevice(fault.device).model.ignoreCommands = true;
        if (ignoreAtMs !== ignoreAtMs) ignoreAtMs = sim.loop.monotonicMs();
        break;
      case "obeyCommands":
        slaveOfDevice(fault.device).model.ignoreCommands = false;
        break;
      case "deviceSilent":
        slaveOfDevice(fault.device).front.slave.silent = true;
        break;
      case "deviceBack":
        slaveOfDevice(fault.device).front.slave.silent = false;
        break;
      default:
        throw new Error(`scenario.faults: unknown kind "${(fault as { kind: string }).kind}"`);
    }
  }

  // Metrics on the true physics.
  const threshold = scenario.exportThresholdW ?? 0;
  const m = {
    exportWh: 0,
    maxExport: 0,
    maxAbove: 0,
    aboveMs: 0,
    episodes: 0,
    maxPhaseExport: 0,
    phaseAboveMs: 0,
    runMs: 0,
    longestMs: 0,
    minuteIndex: Math.floor(startWall / 60_000),
    minuteWms: 0,
    minuteMs: 0,
    minutes: [] as number[],
    maxDemand: 0,
    safeAfter: -1,
    notFollowingAfter: -1,
    maxAbsEss: 0,
    curtailedWh: 0,
    maxGridCharging: 0,
    gridChargingWh: 0,
  };
  const track = new CommandTrack(scenario.site.stepMs ?? 10, durationS * 1000);
  site.observer = {
    onStep(s, nowMs, dtMs) {
      const exportW = s.gridW < 0 ? -s.gridW : 0;
      m.exportWh += (exportW * dtMs) / 3_600_000;
      if (exportW > m.maxExport) m.maxExport = exportW;
      if (exportW > threshold) {
        if (m.runMs === 0) m.episodes++;
        m.aboveMs += dtMs;
        m.runMs += dtMs;
        if (exportW - threshold > m.maxAbove) m.maxAbove = exportW - threshold;
        if (m.runMs > m.longestMs) m.longestMs = m.runMs;
      } else {
        m.runMs = 0;
      }
      let worstPhase = 0;
      for (let p = 0; p < 3; p++) if (-s.gridPhaseW[p] > worstPhase) worstPhase = -s.gridPhaseW[p];
      if (worstPhase > m.maxPhaseExport) m.maxPhaseExport = worstPhase;
      if (worstPhase > threshold / 3) m.phaseAboveMs += dtMs;
      // 15-minute demand sliding every wall-clock minute, from the true import.
      const minute = Math.floor(sim.loop.wallMs() / 60_000);
      if (minute !== m.minuteIndex) {
        m.minutes.push(m.minuteMs > 0 ? m.minuteWms / 60_000 : 0);
        if (m.minutes.length >= 15) {
          let sum = 0;
          for (let i = m.minutes.length - 15; i < m.minutes.length; i++) sum += m.minutes[i];
          if (sum / 15 > m.maxDemand) m.maxDemand = sum / 15;
        }
        m.minuteIndex = minute;
        m.minuteWms = 0;
        m.minuteMs = 0;
      }
      m.minuteWms += (s.gridW > 0 ? s.gridW : 0) * dtMs;
      // Batteries charging from the grid (not from PV): what anti-backflow alone never needs, and what a cloud leaves
      // behind when the battery keeps absorbing PV that is gone.
      let charging = 0;
      for (let i = 0; i < s.batteries.length; i++) if (s.batteries[i].model.actualW < 0) charging -= s.batteries[i].model.actualW;
      const fromGrid = s.gridW > 0 ? (charging < s.gridW ? charging : s.gridW) : 0;
      if (fromGrid > m.maxGridCharging) m.maxGridCharging = fromGrid;
      m.gridChargingWh += (fromGrid * dtMs) / 3_600_000;
      m.minuteMs += dtMs;
      for (let i = 0; i < s.pvs.length; i++) {
        const p = s.pvs[i].model;
        // Only what the limit held back (not the inverter's own response lag).
        const lost = Math.min(p.availableW, p.ratedW) - Math.max(p.limitW, p.actualW);
        if (lost > 0) m.curtailedWh += (lost * dtMs) / 3_600_000;
      }
      const group = loop.groups[0];
      let essCommand = 0;
      if (group) {
        if (m.safeAfter < 0 && meterSilentAtMs === meterSilentAtMs && group.core.safe) m.safeAfter = nowMs - meterSilentAtMs;
        if (m.notFollowingAfter < 0 && ignoreAtMs === ignoreAtMs && (group.core.alarms & Alarm.NotFollowing) !== 0) m.notFollowingAfter = nowMs - ignoreAtMs;
        for (let i = 0; i < group.core.count; i++) {
          const d = group.core.devices[i];
          if (d.kind === 0 && d.commandW === d.commandW && Math.abs(d.commandW) > m.maxAbsEss) m.maxAbsEss = Math.abs(d.commandW);
          if (d.kind === 0 && d.commandW === d.commandW) essCommand += d.commandW;
        }
      }
      // One sample per physics step, so sample i is at i x stepMs.
      track.add(essCommand);
    },
  };

  if (options.onBuilt) options.onBuilt({ site, loop, gateway, sim });
  if (options.onSecond) {
    const onSecond = options.onSecond;
    let second = 0;
    const secondTimer = sim.loop.createTimer(() => onSecond(++second, site, loop));
    secondTimer.start(1000, 1000);
  }
  gateway.start();
  const startMs = sim.loop.monotonicMs();
  let finished: ScenarioMetrics | null = null;
  return {
    durationMs: durationS * 1000,
    get elapsedMs() {
      return sim.loop.monotonicMs() - startMs;
    },
    advance(ms: number): void {
      if (finished) throw new Error("scenario: already finished");
      const left = durationS * 1000 - (sim.loop.monotonicMs() - startMs);
      sim.loop.runFor(ms < left ? ms : left);
    },
    finish(): ScenarioMetrics {
      if (finished) return finished;
      gateway.stop();
      finished = collect();
      return finished;
    },
  };

  function collect(): ScenarioMetrics {
    const limitW = strategies.reduce((min, s) => (s.overDemand && s.demandLimitW > 0 && s.demandLimitW < min ? s.demandLimitW : min), Infinity);
    const demandLimitW = limitW === Infinity ? 0 : limitW;
    let signChanges = 0;
    let travel = 0;
    let writes = 0;
    let maxLatency = 0;
    for (const group of loop.groups) {
      signChanges += group.signChanges;
      travel += group.travelW;
      writes += group.writes;
      if (group.maxDecisionLatencyMs > maxLatency) maxLatency = group.maxDecisionLatencyMs;
    }
    let discharged = 0;
    let charged = 0;
    let socSum = 0;
    for (const b of site.batteries) {
      discharged += b.model.dischargedWh;
      charged += b.model.chargedWh;
      socSum += b.model.socPct;
    }
    const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
    return {
      name: scenario.name,
      durationS,
      controlPeriodMs: controlOptions.periodMs,
      exportThresholdW: threshold,
      exportEnergyKwh: round(m.exportWh / 1000, 4),
      maxExportW: round(m.maxExport, 1),
      maxExportAboveThresholdW: round(m.maxAbove, 1),
      secondsAboveThreshold: round(m.aboveMs / 1000),
      longestAboveThresholdS: round(m.longestMs / 1000),
      exportEpisodes: m.episodes,
      longestAboveThresholdPeriods: round(m.longestMs / loop.periodMs, 2),
      maxPhaseExportW: round(m.maxPhaseExport, 1),
      secondsPhaseAboveThreshold: round(m.phaseAboveMs / 1000),
      maxDemandW: round(m.maxDemand, 1),
      demandLimitW,
      demandExcessW: round(demandLimitW > 0 && m.maxDemand > demandLimitW ? m.maxDemand - demandLimitW : 0, 1),
      maxDemandPctOfLimit: demandLimitW > 0 ? round((100 * m.maxDemand) / demandLimitW, 2) : 0,
      setpointSignChangesPerHour: round(signChanges / (durationS / 3600), 2),
      setpointTravelKwPerHour: round(travel / 1000 / (durationS / 3600), 1),
      setpointWrites: writes,
      meanSetpointChangeW: writes > 0 ? round(travel / writes, 1) : 0,
      tickOverruns: gateway.status().overruns,
      busOverruns: loop.busOverruns,
      effectivePeriodMs: loop.periodMs,
      forcedDecisions: loop.forcedDecisions,
      lateDeviceReads: loop.lateDeviceReads,
      plannedReadSkips: loop.plannedReadSkips,
      deferredWrites: loop.deferredWrites,
      lateCycles: loop.lateCycles,
      controlCycles: loop.cycles,
      maxDecisionLatencyMs: round(maxLatency, 2),
      safeStateAfterMs: round(m.safeAfter, 1),
      notFollowingAlarmAfterMs: round(m.notFollowingAfter, 1),
      maxAbsEssCommandW: round(m.maxAbsEss, 1),
      maxOvershootPct: track.worstOvershootPct(stepTimesMs([scenario.site.load, ...(scenario.site.pv ?? []).map((p) => p.trace)])),
      maxGridChargingW: round(m.maxGridCharging, 1),
      gridChargingKwh: round(m.gridChargingWh / 1000, 4),
      pvCurtailedKwh: round(m.curtailedWh / 1000, 4),
      essDischargedKwh: round(discharged / 1000, 4),
      essChargedKwh: round(charged / 1000, 4),
      finalSocPct: site.batteries.length > 0 ? round(socSum / site.batteries.length, 2) : 0,
      alarmsRaised: counters.value("control_alarms_raised"),
      configProblems: loop.problems.length,
    };
  }
}
