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
 *   anti-backflow, phase:    G <= C + min_phase((P_phase - margin) / s_phase)
 *                            (C = sum of actual contributions, P_phase the phase's measured import, s_phase the share of
 *                            a change of G that lands on that phase: 1/3 when the devices that move are three-phase,
 *                            1 for a single-phase device on it, 0 for a phase none of them feeds; see phaseBound)
 *   demand:                  G >= B - A, A = import allowed by the 15-minute window (demand.ts) at the threshold
 * Anti-backflow wins when both cannot hold.
 */
import { DemandWindow, PeakTracker } from "./demand";
import { Kind, Solver } from "./solver";
import { CoreDevice } from "./core-device";
import { Alarm, type ControlOptions } from "./options";
import type { PeakDemandStore } from "./strategy-input";

export { Alarm, DEFAULT_CONTROL_OPTIONS, type ControlOptions } from "./options";
export { CoreDevice } from "./core-device";

/** Least time a demand overdraw is corrected over (see DemandWindow.allowedImportW). */
const DEMAND_SPREAD_MS = 10_000;
/** Time constant of the base the demand bound uses (DemandWindow.smoothBaseW): load noise does not move the battery. */
const DEMAND_BASE_TAU_MS = 20_000;
/** A base change above this % of the demand target is a load step, not noise: the demand bound takes it at once. */
const DEMAND_BASE_JUMP_PCT = 5;

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
  alarmListener: AlarmListener | null = null;

  // Meter inputs.
  gridW = NaN;
  readonly phaseW = new Float64Array(3).fill(NaN);
  meterAtMs = -Infinity;

  // Status of the last decision.
  alarms = 0;
  /** The commands of the last decision were the safe state's (meter stale, or a missed read: `holding`). */
  safe = false;
  /** A meter read failed since the last good one (holdOnMissedRead). */
  private missedSinceSample = false;
  /** Decisions made in the safe state's commands because of a missed read, before the meter was stale. */
  missedReadHolds = 0;
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
    this.count++;
    return device;
  }

  /** The meter's read of this cycle failed (timeout, exception, garbage): see ControlOptions.holdOnMissedRead. */
  meterMissed(): void {
    this.missedSinceSample = true;
  }

  /** Record a fresh meter reading (W, import positive) taken at `nowMs`; `timeMs` is wall-aligned for the window. */
  meterSample(nowMs: number, timeMs: number, totalW: number, phaseA: number, phaseB: number, phaseC: number): void {
    this.gridW = totalW;
    this.phaseW[0] = phaseA;
    this.phaseW[1] = phaseB;
    this.phaseW[2] = phaseC;
    this.meterAtMs = nowMs;
    this.missedSinceSample = false;
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

    const stale = !(nowMs - this.meterAtMs <= options.staleMs) || this.gridW !== this.gridW;
    const holding = !stale && options.holdOnMissedRead && this.missedSinceSample;
    // Back from the safe state: release PV and chargers before their inputs are prepared for this decision.
    if (this.safe && !stale && !holding) this.leaveSafeState();
    this.safe = stale || holding;

    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      d.offline = nowMs - d.actualAtMs > options.staleMs;
      if (d.offline) alarms |= Alarm.DeviceOffline;
      const change = d.checkFollowing(nowMs, options);
      if (change !== 0 && this.alarmListener) this.alarmListener.onAlarm(this, Alarm.NotFollowing, change > 0, d.id);
      if (d.notFollowing) alarms |= Alarm.NotFollowing;
      d.prepare(nowMs, dtMs, options);
    }

    if (stale || holding) {
      if (stale) alarms |= Alarm.MeterStale;
      else this.missedReadHolds++;
      this.enterSafeState();
      this.setAlarms(alarms);
      return;
    }

    // What the grid would import with every device at zero.
    let contribution = 0;
    let allThreePhase = true;
    let chargerInDemand = false;
    for (let i = 0; i < this.count; i++) {
      const d = this.devices[i];
      // Each device's power when the grid was measured, not when the device was read (CoreDevice.actualAt).
      const w = d.actualAt(this.meterAtMs, options.plantLagMs);
      // (d.g inlined: this loop runs every cycle for every device.)
      if (w === w) contribution += d.kind === Kind.Charger ? -w : w;
      if (d.phases !== 7) allThreePhase = false;
      if (d.kind === Kind.Charger && d.demandRole) chargerInDemand = true;
    }
    const base = this.gridW + contribution;
    this.baseW = base;
    let hi = Infinity;
    if (s.antiBackflow) hi = base - s.marginW;
    if (s.phaseAntiBackflow) {
      for (let p = 0; p < 3; p++) {
        // Three-phase devices only (the usual site): a third of any change lands on each phase, nothing to weigh.
        const share = allThreePhase ? 1 / 3 : this.marginalShare(p);
        // A phase that no movable device feeds cannot be helped by them: no bound from it (curtailing would not help).
        if (!(share > 0)) continue;
        const phaseBound = contribution + (this.phaseW[p] - s.phaseMarginW) / share;
        if (phaseBound < hi) hi = phaseBound;
      }
    }
    let lo = -Infinity;
    if (s.overDemand) {
      const threshold = this.peak.thresholdW(s.demandLimitW, s.dynamicDemand, s.dynamicDemandPct, s.dynamicDemandSeedW);
      this.thresholdW = threshold;
      const target = threshold * (1 - options.demandSafetyPct / 100);
      this.allowedImportW = this.window.allowedImportW(timeMs, target, DEMAND_SPREAD_MS);
      // Chargers keep the raw base: their limit is released and retaken when the bound sits at their preference,
      // and a smoothed bound makes that toggle (charger-demand: 3.4 x the limit travel). See smoothBaseW.
      lo = (chargerInDemand ? base : this.window.smoothBaseW(base, timeMs, DEMAND_BASE_TAU_MS, (DEMAND_BASE_JUMP_PCT / 100) * target)) - this.allowedImportW;
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

    const result = this.solver.solve(this.devices, this.count, lo, hi, dtMs, options.hysteresisW, options.deadbandW);
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
   * The bus carries only some of this decision's writes (ControlGroup, the bus plan's writes per cycle): the devices
   * of `heldMask` (bit i: device i) keep the command they were last sent (`sent[sentAt + i]`, W, NaN: never sent).
   * What they were to move is moved onto the devices of `sendMask`, within their ranges, so the commands that go
   * out make the sum the decision planned: sending only the largest change (the others a cycle later) corrected a
   * 70 % load drop at 9600 baud, one write per cycle, over three cycles (2.4 periods of export), and rebalancing
   * two batteries afterwards charged 21 kW from the grid. A difference below the hysteresis is left to later cycles,
   * as before: two devices would otherwise hold each other's small offsets for good (one charging what the other
   * discharges). Only in cycles with deferred writes.
   */
  holdUnsent(sendMask: number, heldMask: number, sent: Float64Array, sentAt: number, nowMs: number): void {
    let shortfall = 0;
    for (let i = 0; i < this.count; i++) {
      if ((heldMask & (1 << i)) === 0) continue;
      const w = sent[sentAt + i];
      if (w !== w) continue;
      const d = this.devices[i];
      shortfall += d.next - d.givenG(w);
    }
    // Less than the hysteresis is not worth moving.
    const h = this.options.hysteresisW;
    if (shortfall < h && shortfall > -h) return;
    // Taken up only if the commands that go out still move their devices by at least the hysteresis: otherwise two
    // devices trade offsets for good, each cycle's write undoing its own move (a battery and a PV limit in
    // phase-backflow, two batteries' small offsets in two-ess-demand), and the deferred writes go out plainly.
    if (this.takeUp(sendMask, shortfall, sent, sentAt, nowMs, false) < h) return;
    // The held devices' previous commands become what they really have, for the next decision.
    for (let i = 0; i < this.count; i++) if ((heldMask & (1 << i)) !== 0 && sent[sentAt + i] === sent[sentAt + i]) this.devices[i].keepSent(sent[sentAt + i]);
    this.takeUp(sendMask, shortfall, sent, sentAt, nowMs, true);
  }

  /**
   * Spread `shortfall` (G) over the devices of `sendMask`, each within its range and never the other way from what
   * it was last sent (a battery is not turned around to take up another's part); `apply`: set their commands.
   * Returns how far the devices move from their last sent commands, in all (G).
   */
  private takeUp(sendMask: number, shortfall: number, sent: Float64Array, sentAt: number, nowMs: number, apply: boolean): number {
    let moved = 0;
    for (let i = 0; i < this.count; i++) {
      if ((sendMask & (1 << i)) === 0) continue;
      const d = this.devices[i];
      if (d.fixed) continue;
      let next = d.next + shortfall;
      if (next < d.gMin) next = d.gMin;
      if (next > d.gMax) next = d.gMax;
      const w = sent[sentAt + i];
      if (w === w) {
        const g = d.givenG(w);
        if (d.next >= g ? next < g : next > g) next = g;
        moved += next > g ? next - g : g - next;
      } else moved += Infinity;
      shortfall -= next - d.next;
      if (apply) {
        d.next = next;
        d.finish(nowMs, this.options);
      }
    }
    return moved;
  }

  /**
   * Of a change of the devices' sum G, the fraction that lands on phase `p`: the phase shares of the devices that
   * would make it, weighted by the room each has to lower G (its command down to its minimum). They are those of the
   * first kind in the solver's reduce order (ESS, PV, chargers) that has room, as the solver moves them first; when
   * none has room, every export-role device by its range. With three-phase devices only this is 1/3 (the bound is
   * then C + 3 (P_phase - margin)); a single-phase PV inverter alone gives 1 on its phase, so its limit moves by the
   * phase's excess, not three times it (which made it hunt).
   */
  private marginalShare(p: number): number {
    for (let k = 0; k <= 3; k++) {
      let room = 0;
      let onPhase = 0;
      for (let i = 0; i < this.count; i++) {
        const d = this.devices[i];
        const slot = d.slot;
        if (slot.fixed || !slot.exportRole) continue;
        let r: number;
        if (k < 3) {
          if (d.kind !== k) continue;
          r = slot.effectiveCmd() - slot.gMin;
        } else {
          r = slot.gMax - slot.gMin;
        }
        if (!(r > 1e-6)) continue;
        room += r;
        onPhase += r * d.phaseShare(p);
      }
      if (room > 1e-6) return onPhase / room;
    }
    return 0;
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
        if (d.recoverW !== d.recoverW) d.recoverW = d.actualW === d.actualW ? d.actualW : 0;
        d.force(this.options.safePvLimitW < d.ratedW ? this.options.safePvLimitW : d.ratedW, false);
      } else if (d.commandW !== d.commandW) {
        d.force(d.ratedW, true);
      }
    }
  }

  /**
   * The meter answers again: PV starts from the production it had when the safe state began, as its limit and as
   * what it can give, so the first decision puts the battery where the bounds need it at once (a tightening) and
   * production is back within a period or two rather than after a ramp from the safe limit.
   */
  private leaveSafeState(): void {
    for (let i = 0; i < this.count; i++) this.devices[i].resume();
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
