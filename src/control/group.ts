/**
 * One control group on the wire: the meter and device drivers of the strategies sharing a meter, feeding the
 * decision core. A cycle reads the meter and every device (in parallel across transports, one at a time per bus),
 * decides as soon as the last read has finished, and writes the commands that changed (or are due for keep-alive).
 */
import type { DeviceDriver, DeviceListener } from "../devices/device";
import { MeterReading, type MeterDriver, type MeterListener } from "../devices/meter";
import type { ControlCore } from "./core";
import type { StrategySettings } from "./strategy-input";

export interface GroupWriteOptions {
  /** Smallest change worth a write, W. */
  writeDeadbandW: number;
  /** Rewrite an unchanged command at least this often (device revert timers, lost writes). */
  keepaliveMs: number;
}

/** Columns of ControlGroup.perDevice. */
const SENT_W = 0;
const SENT_AT_MS = 1;
const SENT_OK = 2;
const IN_CYCLE = 3;
/** The bus plan's spread: the device is read every this many cycles (1: every cycle; src/control/bus-plan.ts). */
const READ_EVERY = 4;
const COLUMNS = 5;

export class ControlGroup implements MeterListener, DeviceListener {
  meter!: MeterDriver;
  readonly devices: DeviceDriver[] = [];
  readonly strategies: StrategySettings[] = [];
  /** Drivers whose reads of this cycle are still running (plus a hold while starting). */
  private pending = 0;
  private meterInCycle = false;
  /**
   * Per device slot i, in one array (a typed array is about 7 XS slots): at SENT_W + i the command last written (W,
   * NaN: none), at SENT_AT_MS + i when, at SENT_OK + i 1 when the device acknowledged it, at IN_CYCLE + i 1 while
   * its read of this cycle runs, at READ_EVERY + i the bus plan's spread. Each column is `capacity` long.
   */
  private readonly perDevice: Float64Array;
  private readonly capacity: number;
  /** Cycles decided without some device's read (it was still running when the next cycle came). */
  forcedDecisions = 0;
  /** Device reads skipped because the previous one was still running. */
  lateDeviceReads = 0;
  /** Device reads left out by the bus plan (a device read every k cycles, on its turn). */
  plannedReadSkips = 0;
  /** Writes put off to the next cycle because more commands changed than the bus plan lets a cycle send. */
  deferredWrites = 0;
  /** Most writes a cycle sends (the bus plan of the busiest bus among this group's devices). */
  private maxWrites = Infinity;
  /** Some device is read only on its turn (the bus plan spreads reads): startCycle checks turns only then. */
  private spread = false;
  /** Cycles started: whose turn it is under the bus plan. */
  private cycleCount = 0;

  private cycleStartMs = 0;
  private alignMs = 0;
  /** Cycles that could not start because the previous one was still on the bus. */
  busOverruns = 0;
  /** Longest time from cycle start to decision, ms. */
  maxDecisionLatencyMs = 0;
  lastDecisionLatencyMs = 0;
  writes = 0;
  /** Commands sent, per device, whose sign differs from the previous one (oscillation figure). */
  signChanges = 0;
  /** Sum of |change| of the commands written, W (how much the setpoints move). */
  travelW = 0;

  constructor(
    readonly core: ControlCore,
    capacity: number,
    private readonly clock: { monotonicMs(): number },
    private readonly writeOptions: GroupWriteOptions,
  ) {
    this.capacity = capacity;
    const perDevice = new Float64Array(COLUMNS * capacity);
    perDevice.fill(NaN, SENT_W * capacity, (SENT_W + 1) * capacity);
    perDevice.fill(-Infinity, SENT_AT_MS * capacity, (SENT_AT_MS + 1) * capacity);
    perDevice.fill(1, READ_EVERY * capacity, (READ_EVERY + 1) * capacity);
    this.perDevice = perDevice;
  }

  /**
   * The bus plan for device slot `index` (configuration rate): read every `every` cycles, staggered by its index;
   * its bus lets a cycle send `writes` commands (the group takes the smallest of its devices' buses).
   */
  setBusPlan(index: number, every: number, writes: number): void {
    this.perDevice[READ_EVERY * this.capacity + index] = every >= 1 ? every : 1;
    if (every > 1) this.spread = true;
    if (writes >= 1 && writes < this.maxWrites) this.maxWrites = writes;
  }

  /** Reads of the current cycle still running. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Merge the strategies' settings into the core (every cycle: limit and month may change in place). */
  refreshSettings(): void {
    const s = this.core.settings;
    s.antiBackflow = false;
    s.marginW = 0;
    s.phaseAntiBackflow = false;
    s.phaseMarginW = 0;
    s.overDemand = false;
    s.demandLimitW = Infinity;
    s.dynamicDemand = false;
    s.dynamicDemandPct = 100;
    s.dynamicDemandSeedW = 0;
    s.monthKey = 0;
    const list = this.strategies;
    for (let i = 0; i < list.length; i++) {
      const st = list[i];
      if (st.antiBackflow) {
        s.antiBackflow = true;
        if (st.antiBackflowMarginW > s.marginW) s.marginW = st.antiBackflowMarginW;
      }
      if (st.phaseAntiBackflow) {
        s.phaseAntiBackflow = true;
        if (st.phaseMarginW > s.phaseMarginW) s.phaseMarginW = st.phaseMarginW;
      }
      // A zero limit means "not set for this month": demand control stays off rather than draining the battery.
      if (st.overDemand && st.demandLimitW > 0) {
        s.overDemand = true;
        if (st.demandLimitW < s.demandLimitW) s.demandLimitW = st.demandLimitW;
        if (st.dynamicDemand) {
          s.dynamicDemand = true;
          if (st.dynamicDemandPct < s.dynamicDemandPct) s.dynamicDemandPct = st.dynamicDemandPct;
          if (st.dynamicDemandSeedW > s.dynamicDemandSeedW) s.dynamicDemandSeedW = st.dynamicDemandSeedW;
        }
      }
      if (st.monthKey > s.monthKey) s.monthKey = st.monthKey;
    }
    if (!s.overDemand) s.demandLimitW = 0;
  }

  /**
   * Start a cycle; false when the meter is still being read from the previous one (a bus overrun, counted). Devices
   * still reading from the previous cycle (a slow TCP link, a connect attempt) do not hold the site hostage: the
   * previous cycle is decided now with their last data, and they are skipped this cycle (`lateDeviceReads`).
   */
  startCycle(nowMs: number, alignMs: number): boolean {
    if (this.meter.busy) {
      this.busOverruns++;
      return false;
    }
    if (this.pending > 0) {
      this.pending = 0;
      this.forcedDecisions++;
      this.decide();
    }
    this.cycleStartMs = nowMs;
    this.alignMs = alignMs;
    this.refreshSettings();
    // One hold until every driver has been started, and each driver counted before it starts: a transport that
    // completes synchronously then still finds its count, and cannot end the cycle early.
    this.pending = 1;
    this.pending++;
    this.meterInCycle = true;
    if (!this.meter.startCycle() && this.meterInCycle) {
      this.meterInCycle = false;
      this.pending--;
    }
    // The decision waits for the devices' reads too: it needs their actual power of now (measured: deciding on the
    // meter alone, with the devices' previous readings, doubled the export after a load drop).
    const turn = this.cycleCount++;
    for (let i = 0; i < this.devices.length; i++) {
      const device = this.devices[i];
      // Not this device's turn under the bus plan: its last reading (with its time) stands.
      if (this.spread) {
        const every = this.perDevice[READ_EVERY * this.capacity + i];
        if (every > 1 && (turn + i) % every !== 0) {
          this.plannedReadSkips++;
          continue;
        }
      }
      if (device.busy) {
        this.lateDeviceReads++;
        continue;
      }
      this.pending++;
      const inCycle = IN_CYCLE * this.capacity + i;
      this.perDevice[inCycle] = 1;
      if (!device.startCycle() && this.perDevice[inCycle] === 1) {
        this.perDevice[inCycle] = 0;
        this.pending--;
      }
    }
    this.readDone();
    return true;
  }

  onMeterRead(meter: MeterDriver, fresh: boolean): void {
    if (!fresh) this.core.meterMissed();
    if (fresh) {
      const at = meter.powerAtMs;
      const r = meter.readings;
      this.core.meterSample(at, at + this.alignMs, meter.totalW, r[MeterReading.PhaseW], r[MeterReading.PhaseW + 1], r[MeterReading.PhaseW + 2]);
    }
    if (this.meterInCycle) {
      this.meterInCycle = false;
      this.readDone();
    }
  }

  onDeviceRead(device: DeviceDriver, actualW: number, actualAtMs: number, socPct: number): void {
    const d = this.core.devices[device.tag];
    d.reading(actualW, actualAtMs);
    d.socPct = socPct;
    const inCycle = IN_CYCLE * this.capacity + device.tag;
    if (this.perDevice[inCycle] === 1) {
      this.perDevice[inCycle] = 0;
      this.readDone();
    }
  }

  onDeviceCommandDone(device: DeviceDriver, ok: boolean): void {
    this.perDevice[SENT_OK * this.capacity + device.tag] = ok ? 1 : 0;
    if (ok) {
      const d = this.core.devices[device.tag];
      d.ackedW = device.ackedW;
      d.ackedAtMs = device.ackedAtMs;
    }
  }

  private readDone(): void {
    if (this.pending <= 0) return;
    this.pending--;
    if (this.pending === 0) this.decide();
  }

  private decide(): void {
    const now = this.clock.monotonicMs();
    const latency = now - this.cycleStartMs;
    this.lastDecisionLatencyMs = latency;
    if (latency > this.maxDecisionLatencyMs) this.maxDecisionLatencyMs = latency;
    const core = this.core;
    core.decide(now, now + this.alignMs);
    const o = this.writeOptions;
    const perDevice = this.perDevice;
    const cap = this.capacity;
    const n = this.devices.length;
    // What needs sending: each changed command, or a keep-alive that is due (bit i of `wanted`; at most 8 devices
    // per group, maxDevicesPerGroup).
    let wanted = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const w = core.devices[i].commandW;
      if (w !== w) continue;
      const last = perDevice[SENT_W * cap + i];
      const changed = last !== last || w - last >= o.writeDeadbandW || last - w >= o.writeDeadbandW;
      if (!changed && perDevice[SENT_OK * cap + i] === 1 && now - perDevice[SENT_AT_MS * cap + i] < o.keepaliveMs) continue;
      wanted |= 1 << i;
      count++;
    }
    if (count === 0) return;
    if (count <= this.maxWrites) {
      for (let i = 0; i < n; i++) if (wanted & (1 << i)) this.send(i, core.devices[i].commandW, now);
      return;
    }
    // More than the bus plan lets a cycle send: the largest changes go first (never written: first of all; a due
    // keep-alive: last); the rest stay unsent and are wanted again next cycle.
    this.deferredWrites += count - this.maxWrites;
    const all = wanted;
    let chosen = 0;
    for (let sends = this.maxWrites; sends > 0; sends--) {
      let best = -1;
      let bestChange = -1;
      for (let i = 0; i < n; i++) {
        if (!(wanted & (1 << i))) continue;
        const w = core.devices[i].commandW;
        const last = perDevice[SENT_W * cap + i];
        const change = last !== last ? Infinity : w > last ? w - last : last - w;
        if (change > bestChange) {
          best = i;
          bestChange = change;
        }
      }
      wanted &= ~(1 << best);
      chosen |= 1 << best;
    }
    // The commands that go out take up what the unsent ones were to do (ControlCore.holdUnsent).
    core.holdUnsent(chosen, all & ~chosen, perDevice, SENT_W * cap, now);
    for (let i = 0; i < n; i++) if (chosen & (1 << i)) this.send(i, core.devices[i].commandW, now);
  }

  /** Write command `w` to device slot `i`; a refused send (transport queue full) keeps the last acknowledgement. */
  private send(i: number, w: number, now: number): void {
    const perDevice = this.perDevice;
    const cap = this.capacity;
    const last = perDevice[SENT_W * cap + i];
    // Not acknowledged until the device says so; cleared before sending, since a transport may answer inside it.
    const wasOk = perDevice[SENT_OK * cap + i];
    perDevice[SENT_OK * cap + i] = 0;
    if (this.devices[i].command(w)) {
      if (last === last) {
        if ((last > 0 && w < 0) || (last < 0 && w > 0)) this.signChanges++;
        this.travelW += w > last ? w - last : last - w;
      }
      perDevice[SENT_W * cap + i] = w;
      perDevice[SENT_AT_MS * cap + i] = now;
      this.writes++;
    } else {
      perDevice[SENT_OK * cap + i] = wasOk;
    }
  }
}
