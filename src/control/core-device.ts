/**
 * One device as the decision core sees it (core.ts for the whole): its ratings, the inputs refreshed before each
 * decision (actual power, SoC, schedule base, acknowledged command), the command decided, and the tracking that
 * excludes a device that does not follow (with its retry on probation). Fills its solver slot before the solve
 * (`prepare`) and reads the result after it (`finish`).
 */
import type { ControlOptions } from "./options";
import { Kind, SolverSlot } from "./solver";

/**
 * A CoreDevice is its own solver slot (it extends SolverSlot rather than owning one): one object per device instead
 * of two, and kind and SoC held once (~4 XS slots less per device).
 */
export class CoreDevice extends SolverSlot {
  id = 0;
  ratedW = 0;
  maxChargeW = 0;
  maxDischargeW = 0;
  minLimitW = 0;
  /**
   * The phases the device feeds, as a mask (1 = L1/A, 2 = L2/B, 4 = L3/C), its power split evenly over them: 7 for a
   * three-phase device (the default), 1, 2 or 4 for a single-phase one. The per-phase bound uses it (core.ts).
   */
  phases = 7;
  // Inputs, refreshed by the I/O side before each decision.
  actualW = NaN;
  actualAtMs = -Infinity;
  /** The reading before `actualW`, and its time: for the power at the meter's sample time and the PV feed-forward. */
  prevActualW = NaN;
  prevActualAtMs = -Infinity;
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
  /** PV: the production when the safe state began (NaN: not in it), the estimate of what is available after it. */
  recoverW = NaN;
  private recoverAvailableW = NaN;
  private binding = false;

  configure(id: number, kind: Kind, ratedW: number, maxChargeW: number, maxDischargeW: number, socMinPct: number, socMaxPct: number, minLimitW: number, exportRole: boolean, demandRole: boolean, rampPctPerS: number, phases = 7): void {
    if (!(phases >= 1 && phases <= 7 && (phases | 0) === phases)) throw new RangeError(`device ${id}: phases must be a mask 1..7 (1 A, 2 B, 4 C), got ${phases}`);
    this.id = id;
    this.phases = phases;
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
    slot.releasePerS = 0;
    slot.cmd = NaN;
    this.actualW = NaN;
    this.actualAtMs = -Infinity;
    this.prevActualW = NaN;
    this.prevActualAtMs = -Infinity;
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
    this.recoverW = NaN;
    this.recoverAvailableW = NaN;
  }

  /** ESS: how fast charging may fall back toward 0, % of rated power per second (options.essChargeReleasePctPerS). */
  setChargeRelease(pctPerS: number): void {
    this.slot.releasePerS = this.kind === Kind.Ess ? (pctPerS / 100) * this.ratedW : 0;
  }

  /** The fraction of the device's power on phase `p` (0..2): 0, or 1 / the number of phases it feeds. */
  phaseShare(p: number): number {
    const m = this.phases;
    if (((m >> p) & 1) === 0) return 0;
    return 1 / ((m & 1) + ((m >> 1) & 1) + ((m >> 2) & 1));
  }

  /** The device's solver slot: itself (kept so the I/O side and the decision read as before). */
  get slot(): SolverSlot {
    return this;
  }

  /** A new reading of the device's actual power (W) taken at `atMs`; the one before is kept for its slope. */
  reading(watts: number, atMs: number): void {
    if (atMs === this.actualAtMs) return;
    this.prevActualW = this.actualW;
    this.prevActualAtMs = this.actualAtMs;
    this.actualW = watts;
    this.actualAtMs = atMs;
  }

  /**
   * The device's power at `atMs` (the meter's sample time). A device read after the meter (the next request on the
   * bus) has moved on since the grid was measured; during a fast swing that difference made the first corrections
   * overshoot (a battery swinging from discharge to charge after a load drop: 11 % beyond the correction needed, 8 %
   * with this). Between its last two readings the power is interpolated; a reading older than the meter's is used
   * as it is (carrying it forward along its slope was measured to overshoot more), unless the device acknowledged a
   * command after that reading (below).
   *
   * A reading taken before the device acknowledged its last command says what it did before it: on a slow bus,
   * where each device is read only every few cycles (bus-plan.ts), such a reading stood for up to a second while the
   * battery had long followed its new setpoint, and the decision counted the old power (a 70 % load drop at 9600
   * baud: export episodes after the first correction, 18-22 % overshoot). Then the power at `atMs` is taken to move
   * from the reading to the acknowledged command over `plantLagMs` (ControlOptions): a battery's setpoint; a PV or
   * charger limit only when it is below the reading (a limit above it says nothing of what the sun or the car
   * gives). A device that does not follow is caught by checkFollowing on its next real reading.
   */
  actualAt(atMs: number, plantLagMs: number): number {
    const w = this.actualW;
    const t = this.actualAtMs;
    const ackedAt = this.ackedAtMs;
    if (ackedAt > t && atMs >= ackedAt && w === w) {
      const target = this.expectedW(this.ackedW);
      if (target === target && (this.kind === Kind.Ess || target < w)) {
        const f = plantLagMs > 0 ? (atMs - ackedAt) / plantLagMs : 1;
        return f >= 1 ? target : w + (target - w) * f;
      }
    }
    if (!(atMs < t) || w !== w) return w;
    const w0 = this.prevActualW;
    const t0 = this.prevActualAtMs;
    if (w0 !== w0) return w;
    if (atMs <= t0) return w0;
    return w0 + ((w - w0) * (atMs - t0)) / (t - t0);
  }

  /** How fast the actual power rose between the last two readings, W per ms; 0 when it fell or is not known. */
  risePerMs(): number {
    const dt = this.actualAtMs - this.prevActualAtMs;
    if (!(dt > 0 && dt < Infinity) || this.prevActualW !== this.prevActualW) return 0;
    const rise = (this.actualW - this.prevActualW) / dt;
    return rise > 0 ? rise : 0;
  }

  /** Contribution in G units of a device power in W. */
  g(watts: number): number {
    return this.kind === Kind.Charger ? -watts : watts;
  }

  /** Fill the solver slot's range and preference from the latest inputs. */
  prepare(nowMs: number, dtMs: number, options: ControlOptions): void {
    const slot = this.slot;
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
        // Feed-forward of a rising production (a ramp, the sun back after a cloud): what it will be when this cycle's
        // commands have taken effect, one period on, along the slope of its last two readings. Without it the loop
        // trails a ramp by a period, which at 16 kW/s is 4 kW, twice the usual margin. Falls are not anticipated
        // (the error would be toward export).
        if (!this.binding && options.pvFeedForward) available += this.risePerMs() * options.periodMs;
        // Just back from the safe state, curtailed production says nothing of what the panels can give: use what
        // they gave when it began, once.
        if (this.recoverAvailableW === this.recoverAvailableW) {
          if (this.recoverAvailableW > available) available = this.recoverAvailableW;
          this.recoverAvailableW = NaN;
        }
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

  /**
   * This decision's command was not written (the bus plan's writes per cycle, ControlGroup): the device goes on with
   * `sentW`, the command it was last sent (W in its own terms). Its slot's previous command becomes that again, so
   * the next decision starts from what the device really has (a PV or charger limit at its rating is "unlimited").
   */
  keepSent(sentW: number): void {
    this.commandW = sentW;
    if (this.kind !== Kind.Ess) this.unlimited = sentW >= this.ratedW - 1;
    this.slot.cmd = this.g(sentW);
  }

  /** What the device gives on command `w` (W in its own terms), in G units: a limit above what it can do has no effect. */
  givenG(w: number): number {
    const slot = this.slot;
    const g = this.kind === Kind.Charger ? -w : w;
    return g < slot.gMin ? slot.gMin : g > slot.gMax ? slot.gMax : g;
  }

  /** Leaving the safe state: PV restarts from the production it had when the safe state began (see prepare). */
  resume(): void {
    const before = this.recoverW;
    this.recoverW = NaN;
    if (this.kind !== Kind.Pv || before !== before) return;
    this.unlimited = false;
    this.slot.cmd = before;
    this.recoverAvailableW = before;
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

  /**
   * What an ESS does when it follows command `commandW`: the command within its power range, 0 where its state of
   * charge forbids the direction. Other kinds: the command (a limit) itself.
   */
  expectedW(commandW: number): number {
    if (this.kind !== Kind.Ess) return commandW;
    let expected = commandW;
    const soc = this.socPct;
    if (expected > 0 && soc === soc && soc <= this.slot.socMinPct) expected = 0;
    if (expected < 0 && soc === soc && soc >= this.slot.socMaxPct) expected = 0;
    if (expected > this.maxDischargeW) expected = this.maxDischargeW;
    if (expected < -this.maxChargeW) expected = -this.maxChargeW;
    return expected;
  }

  checkFollowing(nowMs: number, options: ControlOptions): number {
    if (this.ackedAtMs === -Infinity || this.actualW !== this.actualW || this.offline) return 0;
    const tolerance = this.tolerance(options);
    let offTrack: boolean;
    if (this.kind === Kind.Ess) {
      const expected = this.expectedW(this.ackedW);
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
