/**
 * Combines the controllers' constraints into one command per device, without PID: each cycle the constraints give
 * bounds [lo, hi] on the devices' summed contribution G (W by which they lower grid import: ESS discharge, PV
 * production, minus charger consumption). Every device has a range [gMin, gMax] and a preferred value `pref` (what it
 * would do unconstrained). The solver
 *
 *   1. moves devices away from `pref` only as far as the bounds require, in priority order (reduce G: ESS, then PV
 *      curtailment, then chargers; raise G: ESS, then charger limits, then PV), several ESS sharing by available
 *      power weighted with state of charge;
 *   2. tightens at once: when the previous commands would break a bound, every device jumps to its new target, with
 *      a hysteresis margin inside the bound so measurement noise does not retrigger it each cycle;
 *   3. relaxes slowly: otherwise each device moves toward its target by at most its ramp rate per second, and not at
 *      all for changes smaller than the dead band. No integrator: a device that ignores its command cannot wind up.
 *
 * All state lives in preallocated slots and scratch arrays; solve() allocates nothing.
 */
import { deepFreeze } from "../core/freeze";

export const Kind = deepFreeze({ Ess: 0, Pv: 1, Charger: 2 } as const);
export type Kind = (typeof Kind)[keyof typeof Kind];

/** One device as the solver sees it (in G units: W lowering grid import). Filled by the control core each cycle. */
export class SolverSlot {
  kind: Kind = Kind.Ess;
  gMin = 0;
  gMax = 0;
  pref = 0;
  /** Previous cycle's command (G units); NaN before the first. */
  cmd = NaN;
  /** Max change per second when relaxing (G units). */
  rampPerS = 0;
  /**
   * ESS only: max change per second when it charges less (G rising toward 0). Faster than rampPerS: when PV drops (a
   * cloud), charging that anti-backflow no longer needs is charging from the grid; holding it back at the relaxing
   * rate drew up to 40 kW from the grid for seconds per cloud. Tightening is never rate-limited either way.
   */
  releasePerS = 0;
  /** Takes part in keeping G <= hi (anti-backflow) / G >= lo (demand). */
  exportRole = false;
  demandRole = false;
  /** Excluded (not following, offline): held at `pref`, never moved. */
  fixed = false;
  socPct = NaN;
  socMinPct = 0;
  socMaxPct = 100;
  /** Outputs. */
  target = 0;
  next = 0;

  /** What the previous command amounts to now (a limit above what the device can do has no effect). */
  effectiveCmd(): number {
    const c = this.cmd === this.cmd ? this.cmd : this.pref;
    return c < this.gMin ? this.gMin : c > this.gMax ? this.gMax : c;
  }
}

export interface SolveResult {
  /** The bounds were broken by the previous commands and every device jumped. */
  tightened: boolean;
  /** How far G stays above hi / below lo after using every device (0: bounds met). */
  exportShortW: number;
  demandShortW: number;
}

const REDUCE_ORDER: readonly Kind[] = deepFreeze([Kind.Ess, Kind.Pv, Kind.Charger]);
const RAISE_ORDER: readonly Kind[] = deepFreeze([Kind.Ess, Kind.Charger, Kind.Pv]);
const EPS = 1e-6;

export class Solver {
  private readonly room: Float64Array;
  private readonly weight: Float64Array;
  readonly result: SolveResult = { tightened: false, exportShortW: 0, demandShortW: 0 };

  constructor(readonly capacity: number) {
    this.room = new Float64Array(capacity);
    this.weight = new Float64Array(capacity);
  }

  /**
   * Decide `next` for slots[0..n). `dtMs` is the time since the previous decision; `hysteresisW` the margin kept
   * inside a bound after tightening; `deadbandW` the smallest relaxing move worth making.
   */
  solve(slots: readonly SolverSlot[], n: number, lo: number, hi: number, dtMs: number, hysteresisW: number, deadbandW: number): SolveResult {
    const result = this.result;
    let previous = 0;
    for (let i = 0; i < n; i++) previous += slots[i].effectiveCmd();
    const violated = previous > hi + EPS || previous < lo - EPS;
    result.tightened = violated;
    if (violated) {
      this.allocate(slots, n, lo + hysteresisW, hi - hysteresisW, lo, hi);
      for (let i = 0; i < n; i++) slots[i].next = slots[i].target;
      return result;
    }
    const half = hysteresisW / 2;
    this.allocate(slots, n, lo + half, hi - half, lo, hi);
    const dtS = (dtMs > 0 ? dtMs : 0) / 1000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const slot = slots[i];
      const base = slot.effectiveCmd();
      const delta = slot.target - base;
      const step = slot.rampPerS * dtS;
      // The dead band is for ESS setpoints (sign flicker); PV and charger limits must be free to creep by their probe.
      const band = slot.kind === Kind.Ess ? deadbandW : 0;
      if (slot.fixed) slot.next = slot.pref;
      else if (delta > -band && delta < band) slot.next = base;
      else if (slot.kind === Kind.Ess && base < 0 && delta > 0 && slot.releasePerS > slot.rampPerS) {
        // Charging less: up to 0 at the release rate, beyond it (discharging) at the relaxing rate.
        const toZero = (slot.target < 0 ? slot.target : 0) - base;
        const fast = slot.releasePerS * dtS;
        slot.next = base + (toZero < fast ? toZero : fast);
        if (toZero < fast && slot.target > 0) slot.next += slot.target < step ? slot.target : step;
      } else slot.next = base + (delta > step ? step : delta < -step ? -step : delta);
      sum += slot.next;
    }
    if (sum > hi + EPS || sum < lo - EPS) {
      // Devices ramping at different rates crossed a bound on the way: go straight to the targets instead.
      for (let i = 0; i < n; i++) slots[i].next = slots[i].target;
      result.tightened = true;
    }
    return result;
  }

  /**
   * Targets within [low, high] (the hysteresis-adjusted bounds), moving devices from `pref` in priority order.
   * When low > high the anti-backflow side wins. Shortfalls are measured against the real bounds [lo, hi].
   */
  private allocate(slots: readonly SolverSlot[], n: number, low: number, high: number, lo: number, hi: number): void {
    if (low > high) low = high;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      slots[i].target = slots[i].pref;
      sum += slots[i].pref;
    }
    const result = this.result;
    result.exportShortW = 0;
    result.demandShortW = 0;
    if (sum > high) {
      let left = sum - high;
      for (let k = 0; k < REDUCE_ORDER.length && left > EPS; k++) left -= this.share(slots, n, REDUCE_ORDER[k], -1, left);
      const reached = high + (left > 0 ? left : 0);
      if (reached > hi + EPS) result.exportShortW = reached - hi;
    } else if (sum < low) {
      let left = low - sum;
      for (let k = 0; k < RAISE_ORDER.length && left > EPS; k++) left -= this.share(slots, n, RAISE_ORDER[k], 1, left);
      const reached = low - (left > 0 ? left : 0);
      if (reached < lo - EPS) result.demandShortW = lo - reached;
    }
  }

  /**
   * Move devices of `kind` by up to `amount` in `direction` (-1 lower G, +1 raise G), shared by room x SoC weight
   * (water filling: a device that hits its range gives its unused share to the others). Returns the amount moved.
   */
  private share(slots: readonly SolverSlot[], n: number, kind: Kind, direction: -1 | 1, amount: number): number {
    const room = this.room;
    const weight = this.weight;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const slot = slots[i];
      room[i] = 0;
      weight[i] = 0;
      if (slot.kind !== kind || slot.fixed || !(direction < 0 ? slot.exportRole : slot.demandRole)) continue;
      const r = direction < 0 ? slot.target - slot.gMin : slot.gMax - slot.target;
      if (r <= EPS) continue;
      room[i] = r;
      weight[i] = r * socWeight(slot, direction);
      total += r;
    }
    if (total <= EPS) return 0;
    let left = amount < total ? amount : total;
    const moved = left;
    // Each round saturates at least one device or places everything: at most n rounds.
    for (let round = 0; round < n && left > EPS; round++) {
      let weights = 0;
      for (let i = 0; i < n; i++) if (room[i] > EPS) weights += weight[i];
      if (weights <= 0) break;
      let placed = 0;
      for (let i = 0; i < n; i++) {
        if (room[i] <= EPS) continue;
        let give = (left * weight[i]) / weights;
        if (give > room[i]) give = room[i];
        room[i] -= give;
        slots[i].target += direction * give;
        placed += give;
      }
      left -= placed;
    }
    return moved - (left > 0 ? left : 0);
  }
}

/**
 * ESS share weight factor: discharge more from the fuller battery, charge more the emptier one, so state of charge
 * converges. Unknown SoC weighs 1; a battery near its limit keeps a small weight so it still helps if needed.
 */
function socWeight(slot: SolverSlot, direction: -1 | 1): number {
  if (slot.kind !== Kind.Ess || slot.socPct !== slot.socPct) return 1;
  const span = slot.socMaxPct - slot.socMinPct;
  if (span <= 0) return 1;
  const f = direction > 0 ? (slot.socPct - slot.socMinPct) / span : (slot.socMaxPct - slot.socPct) / span;
  return f < 0.05 ? 0.05 : f > 1 ? 1 : f;
}
