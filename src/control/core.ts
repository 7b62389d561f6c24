/**
 * The decision of one control group (one meter and the devices its strategies act on), free of I/O: inputs are
 * written into fields (meter sample, device actuals), `decide` turns them into one command per device. Cycle-by-cycle
 * tests drive this class directly, as OpenEMS tests drive a controller.
 *
 * Sign conventions: grid W > 0 import. ESS W > 0 discharge. PV command = production limit. Charger command =
 * consumption limit. Internally devices are in G units (W they lower grid import): ESS W, PV W, charger -W.
 *
 * Constraints (each a bound on G, the devices' summed contribution; B = grid + sum of actual contributions is what
 * the grid would import with every device at zero):
 *   anti-backflow, total:    G <= B - margin                       (import stays >= margin)
 *   anti-backflow, phase:    G <= 3 x min_phase(B_phase - margin)   (devices split evenly over the phases)
 *   demand:                  G >= B - A, A = import allowed by the 15-minute window (demand.ts) at the threshold
 * Anti-backflow wins when both cannot hold.
 */
import { DemandWindow, PeakTracker } from "./demand";
import { Kind, Solver, SolverSlot } from "./solver";
import type { PeakDemandStore } from "./strategy-input";
import { deepFreeze } from "../core/freeze";

export interface ControlOptions {
  /** Control cycle period. */
  periodMs: number;
  /** No fresh meter reading for this long: safe state. */
  staleMs: number;
  /** Margin kept inside a bound after tightening (noise immunity). */
  hysteresisW: number;
  /** Smallest relaxing move worth making. */
  deadbandW: number;
  /** Relaxing speed, % of rated power per second, by device kind. */
  essRampPctPerS: number;
  pvRampPctPerS: number;
  chargerRampPctPerS: number;
  /** A device further than max(this W, this % of rated) from its command is off track... */
  followToleranceW: number;
  followTolerancePct: number;
  /** ...for this long: "not following" alarm, excluded from the solver (ESS and PV). */
  followTimeoutMs: number;
  /** The same for chargers: the car, not the charger, sets how fast consumption follows a lower limit (IEC 61851 allows seconds). */
  chargerFollowTimeoutMs: number;
  /**
   * An excluded ESS is tried again after this long, on probation: for one followTimeoutMs the solver still does not
   * count on it, and it is sent a small test step (1.5 tolerances, toward more import when anti-backflow is on,
   * toward less import when only demand control is). Following it clears the alarm; ignoring it excludes it again.
   * PV and chargers are simply re-included.
   */
  retryExcludedMs: number;
  /** PV limit while the meter is stale (0: curtail completely). */
  safePvLimitW: number;
  /** Demand is held this % below the threshold (meter accuracy, lag). */
  demandSafetyPct: number;
  /** Persist the month's peak when it rose by at least this much. */
  peakPersistStepW: number;
}

export const DEFAULT_CONTROL_OPTIONS: ControlOptions = deepFreeze({
  periodMs: 250,
  staleMs: 2000,
  hysteresisW: 1000,
  deadbandW: 200,
  essRampPctPerS: 10,
  pvRampPctPerS: 10,
  chargerRampPctPerS: 10,
  followToleranceW: 1000,
  followTolerancePct: 5,
  followTimeoutMs: 2000,
  chargerFollowTimeoutMs: 10_000,
  retryExcludedMs: 30_000,
  safePvLimitW: 0,
  demandSafetyPct: 2,
  peakPersistStepW: 1000,
});

/** Alarm bits of a group. */
export const Alarm = deepFreeze({
  /** No fresh meter reading within staleMs: safe state. */
  MeterStale: 1,
  /** A device does not do what it is told (excluded from the solver while it lasts). */
  NotFollowing: 2,
  /** Even with every device at its limit the import margin cannot be kept. */
  ExportShort: 4,
  /** Even with every device at its limit the demand threshold cannot be kept. */
  DemandShort: 8,
  /** A device's actual power has not been read within staleMs. */
  DeviceOffline: 16,
} as const);

/** Least time a demand overdraw is corrected over (see DemandWindow.allowedImportW). */
const DEMAND_SPREAD_MS = 10_000;

export class CoreDevice {
  readonly slot = new SolverSlot();
  id = 0;
  kind: Kind = Kind.Ess;
  ratedW = 0;
  maxChargeW = 0;
  maxDischargeW = 0;
  minLimitW = 0;
  // Inputs, refreshed by the I/O side before each decision.
  actualW = NaN;
  actualAtMs = -Infinity;
  socPct = NaN;
  /** ESS schedule setpoint (W); NaN means none (0 W). */
  baseW = NaN;
  /** The last command the device acknowledged, and when (-Infinity: none yet). */
  ackedW = NaN;
  ackedAtMs = -Infinity;
  // Outputs.
  commandW = NaN;
  /** PV/charger: no limit needed (the command is the rated power). */
  unlimited = true;
  // Tracking state.
  offTrackSinceMs = NaN;
  excluded = false;
  excludedAtMs = -Infinity;
  probationUntilMs = -Infinity;
  /** Direction of the probation test step in G units (-1 more import, +1 less), set by the core. */
  probeSign = -1;
  notFollowing = false;
  offline = false;
  private binding = false;

  configure(id: number, kind: Kind, ratedW: number, maxChargeW: number, maxDischargeW: number, socMinPct: number, socMaxPct: number, minLimitW: number, exportRole: boolean, demandRole: boolean, rampPctPerS: number): void {
    this.id = id;
    this.kind = kind;
    this.ratedW = ratedW;
    this.maxChargeW = maxChargeW;
    this.maxDischargeW = maxDischargeW;
    this.minLimitW = minLimitW;
    const slot = this.slot;
    slot.kind = kind;
    slot.exportRole = exportRole;
    slot.demandRole = demandRole;
    slot.socMinPct = socMinPct;
    slot.socMaxPct = socMaxPct;
    slot.rampPerS = (rampPctPerS / 100) * ratedW;
    slot.cmd = NaN;
    this.actualW = NaN;
    this.actualAtMs = -Infinity;
    this.socPct = NaN;
    this.baseW = NaN;
    this.ackedW = NaN;
    this.ackedAtMs = -Infinity;
    this.commandW = NaN;
    this.unlimited = kind !== Kind.Ess;
    this.offTrackSinceMs = NaN;
    this.excluded = false;
    this.excludedAtMs = -Infinity;
    this.probationUntilMs = -Infinity;
    this.notFollowing = false;
    this.offline = false;
    this.binding = false;
  }

  /** Contribution in G units of a device power in W. */
  g(watts: number): number {
    return this.kind === Kind.Charger ? -watts : watts;
  }

  /** Fill the solver slot's range and preference from the latest inputs. */
  prepare(nowMs: number, dtMs: number): void {
    const slot = this.slot;
    slot.socPct = this.socPct;
    slot.fixed = this.excluded || this.offline || (this.kind === Kind.Ess && nowMs < this.probationUntilMs);
    const actual = this.actualW === this.actualW ? this.actualW : 0;
    if (slot.fixed) {
      const held = this.g(actual);
      slot.gMin = held;
      slot.gMax = held;
      slot.pref = held;
      return;
    }
    const probe = slot.rampPerS * (dtMs / 1000);
    const tolerance = this.ratedW * 0.02 > 200 ? this.ratedW * 0.02 : 200;
    switch (this.kind) {
      case Kind.Ess: {
        const soc = this.socPct;
        slot.gMax = soc === soc && soc <= slot.socMinPct ? 0 : this.maxDischargeW;
        slot.gMin = soc === soc && soc >= slot.socMaxPct ? 0 : -this.maxChargeW;
        const base = this.baseW === this.baseW ? this.baseW : 0;
        slot.pref = base < slot.gMin ? slot.gMin : base > slot.gMax ? slot.gMax : base;
        break;
      }
      case Kind.Pv: {
        // What the panels could give: the production, or a little more than the limit when the limit binds (probe).
        const limit = this.unlimited ? Infinity : slot.cmd;
        this.binding = !this.unlimited && actual >= limit - tolerance;
        let available = this.binding ? (actual > limit ? actual : limit) + probe : actual;
        if (available > this.ratedW) available = this.ratedW;
        if (available < 0) available = 0;
        slot.gMin = 0;
        slot.gMax = available;
        slot.pref = available;
        break;
      }
      case Kind.Charger: {
        const limit = this.unlimited ? Infinity : -slot.cmd;
        this.binding = !this.unlimited && actual >= limit - tolerance;
        let wanted = this.binding ? (actual > limit ? actual : limit) + probe : actual;
        if (wanted > this.ratedW) wanted = this.ratedW;
        if (wanted < 0) wanted = 0;
        slot.gMin = -wanted;
        slot.gMax = -(this.minLimitW < wanted ? this.minLimitW : wanted);
        slot.pref = -wanted;
        break;
      }
    }
    if (slot.cmd !== slot.cmd) slot.cmd = this.kind === Kind.Ess ? this.g(actual) : slot.pref;
  }

  /** Turn the solver's `next` into the command in W; remember it as the next cycle's previous command. */
  finish(nowMs: number, options: ControlOptions): void {
    const slot = this.slot;
    const next = slot.next;
    if (this.kind === Kind.Ess) {
      const actual = this.actualW === this.actualW ? this.actualW : 0;
      if (this.excluded || this.offline) this.commandW = actual;
      else if (nowMs < this.probationUntilMs) this.commandW = actual + this.probeSign * 1.5 * this.tolerance(options);
      else this.commandW = next;
      slot.cmd = this.commandW;
      return;
    }
    if (slot.fixed) {
      // Hold whatever it was told last; nothing new can help.
      return;
    }
    const atPref = this.kind === Kind.Pv ? next >= slot.pref - 1 : next <= slot.pref + 1;
    this.unlimited = !this.binding && atPref;
    if (this.unlimited) {
      this.commandW = this.ratedW;
      slot.cmd = this.g(this.ratedW);
    } else {
      this.commandW = this.kind === Kind.Pv ? (next > 0 ? next : 0) : -next;
      slot.cmd = next;
    }
  }

  /** Force a command (safe state): `watts` as the device's own command. */
  force(watts: number, unlimited: boolean): void {
    this.commandW = watts;
    this.unlimited = unlimited;
    this.slot.cmd = this.g(watts);
  }

  /**
   * Does the device do what it was told? ESS: actual near the (feasible) acknowledged setpoint. PV, charger: actual
   * not above the acknowledged limit. Off track for followTimeoutMs -> excluded and alarmed; retried later.
   * Returns +1 when the alarm was raised, -1 when cleared, 0 otherwise.
   */
  tolerance(options: ControlOptions): number {
    const pctTol = (options.followTolerancePct / 100) * this.ratedW;
    return options.followToleranceW > pctTol ? options.followToleranceW : pctTol;
  }

  checkFollowing(nowMs: number, options: ControlOptions): number {
    if (this.ackedAtMs === -Infinity || this.actualW !== this.actualW || this.offline) return 0;
    const tolerance = this.tolerance(options);
    let offTrack: boolean;
    if (this.kind === Kind.Ess) {
      let expected = this.ackedW;
      const soc = this.socPct;
      if (expected > 0 && soc === soc && soc <= this.slot.socMinPct) expected = 0;
      if (expected < 0 && soc === soc && soc >= this.slot.socMaxPct) expected = 0;
      if (expected > this.maxDischargeW) expected = this.maxDischargeW;
      if (expected < -this.maxChargeW) expected = -this.maxChargeW;
      offTrack = this.actualW - expected > tolerance || expected - this.actualW > tolerance;
    } else {
      offTrack = this.actualW > this.ackedW + tolerance;
    }
    let change = 0;
    if (this.excluded) {
      if (nowMs - this.excludedAtMs >= options.retryExcludedMs) {
        this.excluded = false;
        this.offTrackSinceMs = NaN;
        if (this.kind === Kind.Ess) this.probationUntilMs = nowMs + options.followTimeoutMs + options.periodMs;
      }
      return 0;
    }
    if (offTrack) {
      if (this.offTrackSinceMs !== this.offTrackSinceMs) this.offTrackSinceMs = nowMs;
      else if (nowMs - this.offTrackSinceMs >= (this.kind === Kind.Charger ? options.chargerFollowTimeoutMs : options.followTimeoutMs)) {
        this.excluded = true;
        this.excludedAtMs = nowMs;
        if (!this.notFollowing) change = 1;
        this.notFollowing = true;
      }
    } else {
      // Back on track after having been off it, or on track with the probation test step: it follows again.
      const probeAcked = nowMs < this.probationUntilMs && this.ackedAtMs > this.probationUntilMs - options.followTimeoutMs - options.periodMs;
      if (this.notFollowing && (this.offTrackSinceMs === this.offTrackSinceMs || probeAcked)) {
        this.notFollowing = false;
        change = -1;
      }
      this.offTrackSinceMs = NaN;
    }
    return change;
  }
}

/** Settings of a group, merged from the strategies on its meter (see loop.ts for the merge rules). */
export class GroupSettings {
  antiBackflow = false;
  marginW = 0;
  phaseAntiBackflow = false;
  phaseMarginW = 0;
  overDemand = false;
  demandLimitW = 0;
  dynamicDemand = false;
  dynamicDemandPct = 0;
  dynamicDemandSeedW = 0;
  monthKey = 0;
}

export interface AlarmListener {
  /** `alarm` (an Alarm bit) was raised (`raised`) or cleared; `deviceId` is -1 for group alarms. */
  onAlarm(core: ControlCore, alarm: number, raised: boolean, deviceId: number): void;
}

export class ControlCore {
  readonly settings = new GroupSettings();
  readonly devices: CoreDevice[] = [];
  count = 0;
  /** Most devices the group takes (addDevice returns null beyond). */
  readonly capacity: number;
  readonly window = new DemandWindow();
  readonly peak: PeakTracker;
  private readonly solver: Solver;
  private readonly slots: SolverSlot[] = [];
  alarmListener: AlarmListener | null = null;

  // Meter inputs.
  gridW = NaN;
  readonly phaseW = new Float64Array(3).fill(NaN);
  meterAtMs = -Infinity;

  // Status of the last decision.
  alarms = 0;
  safe = false;
  baseW = NaN;
  hiW = Infinity;
  loW = -Infinity;
  thresholdW = NaN;
  allowedImportW = Infinity;
  lastDecisionMs = NaN;
  decisions = 0;
  tightenings = 0;
  conflicts = 0;
  exportShortW = 0;
  demandShortW = 0;

  /**
   * `solver`: scratch for the decision, which may be shared by every group of a loop (a decision runs to completion,
   * and the result is read before the next one starts); its capacity must be at least `capacity`.
   */
  constructor(
    readonly meterId: number,
    capacity: number,
    readonly options: ControlOptions,
    store: PeakDemandStore | null,
    solver: Solver | null = null,
  ) {
    this.capacity = capacity;
    if (solver !== null && solver.capacity < capacity) throw new RangeError(`ControlCore: solver for ${solver.capacity} devices, group of ${capacity}`);
    this.solver = solver ?? new Solver(capacity);
    this.peak = new PeakTracker(store, options.peakPersistStepW);
  }

  /** Add a device (at configuration); returns it for its settings, or null when the group is full. */
  addDevice(): CoreDevice | null {
    // Made here, not preallocated for the whole capacity: a group holds only the devices it has (each CoreDevice
    // and its SolverSlot are ~40 XS slots, and a group usually has one or two of its up to `capacity` devices).
    if (this.count === this.capacity) return null;
    const device = new CoreDevice();
    this.devices.push(device);
    this.slots.push(device.slot);
    this.count++;
    return device;
  }

  /** Record a fresh meter reading (W, import positive) taken at `nowMs`; `timeMs` is wall-aligned for the window. */
  meterSample(nowMs: number, timeMs: number, totalW: number, phaseA: number, phaseB: number, phaseC: number): void {
    this.gridW = totalW;
    this.phaseW[0] = phaseA;
    this.phaseW[1] = phaseB;
    this.phaseW[2] = phaseC;
    this.meterAtMs = nowMs;
    const s = this.settings;
    this.peak.setMonth(s.monthKey);
    const threshold = this.peak.thresholdW(s.demandLimitW, s.dynamicDemand, s.dynamicDemandPct, s.dynamicDemandSeedW);
    if (this.window.sample(timeMs, totalW, threshold) > 0 && this.window.lastDemandW === this.window.lastDemandW) {
      this.peak.observe(this.window.lastDemandW);
    }
  }

  /** Decide every device's command for this cycle. */
  decide(nowMs: number, timeMs: number): void {
    const options = this.options;
    const s = this.settings;
    const dt = this.lastDecisionMs === this.lastDecisionMs ? nowMs - this.lastDecisionMs : options.periodMs;
    const dtMs = dt > 2 * options.periodMs ? 2 * options.periodMs : dt;
    this.lastDecisionMs = nowMs;
    this.decisions++;
    this.peak.setMonth(s.monthKey);
    let alarms = 0;

    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      d.offline = nowMs - d.actualAtMs > options.staleMs;
      if (d.offline) alarms |= Alarm.DeviceOffline;
      const change = d.checkFollowing(nowMs, options);
      if (change !== 0 && this.alarmListener) this.alarmListener.onAlarm(this, Alarm.NotFollowing, change > 0, d.id);
      if (d.notFollowing) alarms |= Alarm.NotFollowing;
      d.prepare(nowMs, dtMs);
    }

    const stale = !(nowMs - this.meterAtMs <= options.staleMs) || this.gridW !== this.gridW;
    this.safe = stale;
    if (stale) {
      alarms |= Alarm.MeterStale;
      this.enterSafeState();
      this.setAlarms(alarms);
      return;
    }

    // What the grid would import with every device at zero.
    let contribution = 0;
    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      if (d.actualW === d.actualW) contribution += d.g(d.actualW);
    }
    const base = this.gridW + contribution;
    this.baseW = base;
    let hi = Infinity;
    if (s.antiBackflow) hi = base - s.marginW;
    if (s.phaseAntiBackflow) {
      const third = contribution / 3;
      for (let p = 0; p < 3; p++) {
        const phaseBound = 3 * (this.phaseW[p] + third - s.phaseMarginW);
        if (phaseBound < hi) hi = phaseBound;
      }
    }
    let lo = -Infinity;
    if (s.overDemand) {
      const threshold = this.peak.thresholdW(s.demandLimitW, s.dynamicDemand, s.dynamicDemandPct, s.dynamicDemandSeedW);
      this.thresholdW = threshold;
      const target = threshold * (1 - options.demandSafetyPct / 100);
      this.allowedImportW = this.window.allowedImportW(timeMs, target, DEMAND_SPREAD_MS);
      lo = base - this.allowedImportW;
    } else {
      this.thresholdW = NaN;
      this.allowedImportW = Infinity;
    }
    if (lo > hi) {
      this.conflicts++;
      lo = hi;
    }
    this.hiW = hi;
    this.loW = lo;

    const result = this.solver.solve(this.slots, this.count, lo, hi, dtMs, options.hysteresisW, options.deadbandW);
    if (result.tightened) this.tightenings++;
    this.exportShortW = result.exportShortW;
    this.demandShortW = result.demandShortW;
    if (result.exportShortW > 0) alarms |= Alarm.ExportShort;
    if (result.demandShortW > 0) alarms |= Alarm.DemandShort;
    const probeSign = s.antiBackflow || s.phaseAntiBackflow ? -1 : 1;
    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      d.probeSign = probeSign;
      d.finish(nowMs, options);
    }
    this.setAlarms(alarms);
  }

  /**
   * The meter cannot be trusted: no ESS discharge (it could be feeding the grid), charging continues as commanded,
   * PV curtailed to safePvLimitW, chargers keep their limits (consumption cannot cause export).
   */
  private enterSafeState(): void {
    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      if (d.kind === Kind.Ess) {
        const c = d.slot.cmd === d.slot.cmd ? d.slot.cmd : 0;
        d.force(c < 0 ? c : 0, false);
      } else if (d.kind === Kind.Pv) {
        d.force(this.options.safePvLimitW < d.ratedW ? this.options.safePvLimitW : d.ratedW, false);
      } else if (d.commandW !== d.commandW) {
        d.force(d.ratedW, true);
      }
    }
  }

  private setAlarms(alarms: number): void {
    const changed = alarms ^ this.alarms;
    this.alarms = alarms;
    if (changed === 0 || !this.alarmListener) return;
    // NotFollowing is reported per device above; the others are group alarms.
    for (let bit = 1; bit <= Alarm.DeviceOffline; bit <<= 1) {
      if (bit === Alarm.NotFollowing || (changed & bit) === 0) continue;
      this.alarmListener.onAlarm(this, bit, (alarms & bit) !== 0, -1);
    }
  }
}
