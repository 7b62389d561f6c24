/**
 * The control loop's tuning (ControlOptions with their defaults) and the alarm bits a group raises. Shared by the
 * decision core (core.ts), a device's part of it (core-device.ts) and the loop.
 */
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
  /** An ESS charging less (toward 0) moves at this % of its rated power per second (solver.ts releasePerS). */
  essChargeReleasePctPerS: number;
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
  /**
   * Act on the first missed meter read, not only after staleMs: until the next good reading the commands are the
   * safe state's (no discharge, PV at safePvLimitW), so a load drop while the meter is silent cannot export. The
   * MeterStale alarm still waits for staleMs. A lone missed read costs one period of PV.
   */
  holdOnMissedRead: boolean;
  /**
   * PV whose production is rising counts, in the decision, at what it will give one period on (the slope of its
   * last two readings): the battery and the other devices make room before the export, not a period after it.
   */
  pvFeedForward: boolean;
  /**
   * How long a device takes to reach a command it acknowledged, ms: a device reading older than its acknowledgement
   * is carried toward the command over this time (CoreDevice.actualAt). 0: at once.
   */
  plantLagMs: number;
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
  essChargeReleasePctPerS: 100,
  pvRampPctPerS: 10,
  chargerRampPctPerS: 10,
  followToleranceW: 1000,
  followTolerancePct: 5,
  followTimeoutMs: 2000,
  chargerFollowTimeoutMs: 10_000,
  retryExcludedMs: 30_000,
  safePvLimitW: 0,
  holdOnMissedRead: true,
  pvFeedForward: true,
  plantLagMs: 200,
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
