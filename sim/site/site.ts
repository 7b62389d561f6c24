/**
 * The simulated site: load, PV inverters, batteries and chargers stepped every `stepMs` on the SimLoop, a grid
 * meter computed from them, and every device answering real Modbus frames (RTU on the SimSerialBus at its baud, or
 * TCP on the SimNetwork). Faults: a meter that goes silent, devices that ignore commands or go silent.
 */
import type { SeededRandom } from "../../hal/sim/random";
import type { SimLoop } from "../../hal/sim/loop";
import type { SimSerialBus } from "../../hal/sim/serial";
import type { SimNetwork } from "../../hal/sim/tcp";
import { SimGenericLimited, SimGenericPcs, SimSunSpecPcs, SimSunSpecPv, type SimFrontEnd } from "./frontends";
import { createSimMeter, type MeterSample, type SimMeter } from "./meters";
import type { SimModbusSlave } from "./modbus-slave";
import { SimBattery, SimCharger, SimPv, addToPhases, type PhaseSpec } from "./physics";
import { serveModbusTcp } from "./tcp-server";
import { Trace, type TraceSpec } from "./trace";

export interface SimLinkSpec {
  /** "rtu" (default): on the RS-485 bus; "tcp": at host:port on the simulated LAN. */
  link?: "rtu" | "tcp";
  unit: number;
  host?: string;
  port?: number;
  /** Slave turnaround, ms. */
  turnaroundMs?: number;
}

export interface SimDeviceSpec extends SimLinkSpec {
  id: number;
  /** Register map (see src/devices/device-maps.ts). */
  map: string;
  ratedW: number;
  tauMs?: number;
  /** How it is wired: -1 (default) all three phases evenly, else 0, 1 or 2 (A, B, C). */
  phase?: PhaseSpec;
  /**
   * Not the site but the gateway's configuration of it: the phases the gateway is told the device feeds (DeviceSpec
   * phases, "A".."ABC"); by default what it is wired to. A scenario can configure it wrongly on purpose.
   */
  phases?: string;
}

export interface SimEssSpec extends SimDeviceSpec {
  capacityWh: number;
  socPct: number;
  maxChargeW?: number;
  maxDischargeW?: number;
  socMinPct?: number;
  socMaxPct?: number;
  /** Schedule setpoint (W, discharge > 0) the ESS would follow without constraints. */
  baseW?: number;
}

export interface SimPvSpec extends SimDeviceSpec {
  /** Available power (irradiance x array), W. */
  trace: TraceSpec;
}

export interface SimChargerSpec extends SimDeviceSpec {
  /** What the cars want, W. */
  trace: TraceSpec;
  minLimitW?: number;
}

export interface SiteSpec {
  /** RS-485 baud of the bus. */
  baud?: number;
  /** Physics step, ms. */
  stepMs?: number;
  tcpLatencyMs?: number;
  meter: SimLinkSpec & {
    id: number;
    model: string;
    /** Transformers: the meter reads secondary values. */
    pt?: number;
    ct?: number;
    /** The meter is installed reversed (the strategy must then say direction 2). */
    reversed?: boolean;
  };
  load: TraceSpec & { phaseSplit?: [number, number, number] };
  /** Phase voltage at the meter, V, over time (default a steady 230 V): trigger conditions on Ua see it. */
  voltage?: TraceSpec;
  ess?: SimEssSpec[];
  pv?: SimPvSpec[];
  chargers?: SimChargerSpec[];
}

export interface SiteEnv {
  loop: SimLoop;
  bus: SimSerialBus;
  network: SimNetwork;
  random: SeededRandom;
}

/** Called after every physics step (metrics). */
export interface SiteObserver {
  onStep(site: SimSite, nowMs: number, dtMs: number): void;
}

export class SimSite {
  readonly stepMs: number;
  readonly loadTrace: Trace;
  readonly voltageTrace: Trace | null;
  readonly phaseSplit: Float64Array;
  readonly batteries: { spec: SimEssSpec; model: SimBattery; front: SimFrontEnd }[] = [];
  readonly pvs: { spec: SimPvSpec; model: SimPv; front: SimFrontEnd; trace: Trace }[] = [];
  readonly chargers: { spec: SimChargerSpec; model: SimCharger; front: SimFrontEnd; trace: Trace }[] = [];
  readonly meter: SimMeter;
  /** True grid power, W (import > 0), total and per phase, after the last step. */
  gridW = 0;
  readonly gridPhaseW = new Float64Array(3);
  loadW = 0;
  observer: SiteObserver | null = null;
  private readonly sample: MeterSample;
  importWh = 0;
  exportWh = 0;
  private readonly startMs: number;
  private readonly slaves: SimModbusSlave[] = [];

  constructor(
    readonly spec: SiteSpec,
    readonly env: SiteEnv,
  ) {
    this.stepMs = spec.stepMs ?? 20;
    this.startMs = env.loop.monotonicMs();
    this.loadTrace = new Trace(spec.load, env.random, "site.load");
    this.voltageTrace = spec.voltage ? new Trace(spec.voltage, env.random, "site.voltage") : null;
    const split = spec.load.phaseSplit ?? [1 / 3, 1 / 3, 1 / 3];
    const sum = split[0] + split[1] + split[2];
    this.phaseSplit = Float64Array.from([split[0] / sum, split[1] / sum, split[2] / sum]);
    const m = spec.meter;
    this.meter = createSimMeter(m.model, { unit: m.unit, pt: m.pt ?? 1, ct: m.ct ?? 1, reversed: m.reversed ?? false });
    this.connect(this.meter.slave, m, "site.meter");
    (spec.ess ?? []).forEach((e, i) => {
      const where = `site.ess[${i}]`;
      const model = new SimBattery({
        capacityWh: e.capacityWh,
        socPct: e.socPct,
        maxChargeW: e.maxChargeW ?? e.ratedW,
        maxDischargeW: e.maxDischargeW ?? e.ratedW,
        tauMs: e.tauMs ?? 80,
        phase: e.phase,
      });
      let front: SimFrontEnd;
      if (e.map === "sunspec-704") front = new SimSunSpecPcs(e.unit, model);
      else if (e.map === "generic-pcs") front = new SimGenericPcs(e.unit, model);
      else throw new Error(`${where}.map: "${e.map}" has no simulated PCS (sunspec-704, generic-pcs)`);
      this.connect(front.slave, e, where);
      this.batteries.push({ spec: e, model, front });
    });
    (spec.pv ?? []).forEach((p, i) => {
      const where = `site.pv[${i}]`;
      const model = new SimPv(p.ratedW, p.tauMs ?? 200, p.phase);
      let front: SimFrontEnd;
      if (p.map === "sunspec-123") front = new SimSunSpecPv(p.unit, model);
      else if (p.map === "generic-pv") front = new SimGenericLimited(p.unit, model, 0x3000, 0x3100);
      else throw new Error(`${where}.map: "${p.map}" has no simulated PV inverter (sunspec-123, generic-pv)`);
      this.connect(front.slave, p, where);
      this.pvs.push({ spec: p, model, front, trace: new Trace(p.trace, env.random, `${where}.trace`) });
    });
    (spec.chargers ?? []).forEach((c, i) => {
      const where = `site.chargers[${i}]`;
      const model = new SimCharger(c.ratedW, c.tauMs ?? 1000, c.phase);
      if (c.map !== "generic-charger" && c.map !== "generic-charger-current") throw new Error(`${where}.map: "${c.map}" has no simulated charger`);
      const front = new SimGenericLimited(c.unit, model, 0x4000, 0x4100, 0x4010);
      this.connect(front.slave, c, where);
      this.chargers.push({ spec: c, model, front, trace: new Trace(c.trace, env.random, `${where}.trace`) });
    });
    this.sample = {
      phaseW: new Float64Array(3),
      voltageV: Float64Array.from([230, 230, 230]),
      currentA: new Float64Array(3),
      importKwh: 0,
      exportKwh: 0,
      demandW: 0,
    };
    this.step(0);
    const timer = env.loop.createTimer(() => this.step(this.stepMs));
    timer.start(this.stepMs, this.stepMs);
  }

  /** All simulated slaves (meter first), for fault injection. */
  get allSlaves(): readonly SimModbusSlave[] {
    return this.slaves;
  }

  private connect(slave: SimModbusSlave, link: SimLinkSpec, where: string): void {
    slave.turnaroundMs = link.turnaroundMs ?? 10;
    this.slaves.push(slave);
    if ((link.link ?? "rtu") === "rtu") {
      this.env.bus.attach(slave);
    } else {
      if (!link.host || !link.port) throw new Error(`${where}: a tcp link needs host and port`);
      serveModbusTcp(this.env.network, link.host, link.port, [slave]);
    }
  }

  /** Advance the physics by `dtMs` and refresh every register. */
  private step(dtMs: number): void {
    const now = this.env.loop.monotonicMs();
    const t = now - this.startMs;
    const phases = this.gridPhaseW;
    const load = this.loadTrace.at(t);
    this.loadW = load;
    for (let p = 0; p < 3; p++) phases[p] = load * this.phaseSplit[p];
    for (let i = 0; i < this.batteries.length; i++) {
      const b = this.batteries[i];
      if (dtMs > 0) b.model.step(dtMs);
      addToPhases(phases, -b.model.actualW, b.model.phase);
    }
    for (let i = 0; i < this.pvs.length; i++) {
      const p = this.pvs[i];
      p.model.availableW = p.trace.at(t);
      if (dtMs > 0) p.model.step(dtMs);
      addToPhases(phases, -p.model.actualW, p.model.phase);
    }
    for (let i = 0; i < this.chargers.length; i++) {
      const c = this.chargers[i];
      c.model.demandW = c.trace.at(t);
      if (dtMs > 0) c.model.step(dtMs);
      addToPhases(phases, c.model.actualW, c.model.phase);
    }
    this.gridW = phases[0] + phases[1] + phases[2];
    const wh = (this.gridW * dtMs) / 3_600_000;
    if (wh > 0) this.importWh += wh;
    else this.exportWh -= wh;
    const s = this.sample;
    const volts = this.voltageTrace ? this.voltageTrace.at(t) : 230;
    for (let p = 0; p < 3; p++) {
      s.phaseW[p] = phases[p];
      s.voltageV[p] = volts;
      s.currentA[p] = Math.abs(phases[p]) / volts;
    }
    s.importKwh = this.importWh / 1000;
    s.exportKwh = this.exportWh / 1000;
    this.meter.update(s);
    for (let i = 0; i < this.batteries.length; i++) this.batteries[i].front.refresh(now);
    for (let i = 0; i < this.pvs.length; i++) this.pvs[i].front.refresh(now);
    for (let i = 0; i < this.chargers.length; i++) this.chargers[i].front.refresh(now);
    if (this.observer && dtMs > 0) this.observer.onStep(this, now, dtMs);
  }
}
