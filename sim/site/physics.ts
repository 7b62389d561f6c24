/**
 * Physical models of the simulated site, stepped by the site at a fixed interval. Sign conventions as in
 * src/devices/device-maps.ts: ESS W > 0 discharges, PV W >= 0 produces, charger W >= 0 consumes; the grid meter's
 * W > 0 is import. Three-phase devices split their power evenly over the phases; a single-phase device puts it all on
 * its phase. Nothing here allocates per step.
 */

/** First-order response: `actual` approaches `target` with time constant `tauMs` (0: at once). */
export function lag(actual: number, target: number, dtMs: number, tauMs: number): number {
  if (tauMs <= 0) return target;
  return actual + (target - actual) * (1 - Math.exp(-dtMs / tauMs));
}

/** Which phases a device feeds: -1 all three evenly, else 0, 1 or 2. */
export type PhaseSpec = -1 | 0 | 1 | 2;

export function addToPhases(phases: Float64Array, watts: number, phase: PhaseSpec): void {
  if (phase < 0) {
    const third = watts / 3;
    phases[0] += third;
    phases[1] += third;
    phases[2] += third;
  } else {
    phases[phase] += watts;
  }
}

export interface BatteryOptions {
  capacityWh: number;
  socPct: number;
  maxChargeW: number;
  maxDischargeW: number;
  /** Response time constant of the PCS to a new setpoint. */
  tauMs: number;
  phase?: PhaseSpec;
}

/** A PCS with its battery: follows its setpoint with a lag, within power limits and the BMS's SoC limits (0..100 %). */
export class SimBattery {
  setpointW = 0;
  actualW = 0;
  socPct: number;
  /** The PCS ignores new setpoints (local mode, a firmware fault): it keeps what it had. */
  ignoreCommands = false;
  readonly phase: PhaseSpec;
  /** Energy throughput, Wh (discharge positive, charge negative). */
  dischargedWh = 0;
  chargedWh = 0;

  constructor(readonly options: BatteryOptions) {
    this.socPct = options.socPct;
    this.phase = options.phase ?? -1;
  }

  /** A setpoint arrives over Modbus. */
  command(watts: number): void {
    if (!this.ignoreCommands) this.setpointW = watts;
  }

  step(dtMs: number): void {
    const o = this.options;
    let target = this.setpointW;
    if (target > o.maxDischargeW) target = o.maxDischargeW;
    if (target < -o.maxChargeW) target = -o.maxChargeW;
    if (this.socPct <= 0 && target > 0) target = 0;
    if (this.socPct >= 100 && target < 0) target = 0;
    this.actualW = lag(this.actualW, target, dtMs, o.tauMs);
    const wh = (this.actualW * dtMs) / 3_600_000;
    if (wh > 0) this.dischargedWh += wh;
    else this.chargedWh -= wh;
    this.socPct -= (100 * wh) / o.capacityWh;
    if (this.socPct < 0) this.socPct = 0;
    if (this.socPct > 100) this.socPct = 100;
  }
}

/**
 * A device whose power follows min(what it wants, its limit) with a first-order lag: a PV inverter (wants what the
 * sun gives) or an EV charger (wants what the car asks). `command` sets the limit, clamped to 0..rated, unless the
 * device is set to ignore commands.
 */
abstract class LimitedFlow {
  limitW: number;
  actualW = 0;
  ignoreCommands = false;
  readonly phase: PhaseSpec;

  constructor(
    readonly ratedW: number,
    readonly tauMs: number,
    phase: PhaseSpec = -1,
  ) {
    this.limitW = ratedW;
    this.phase = phase;
  }

  protected abstract wantedW(): number;

  command(limitW: number): void {
    if (!this.ignoreCommands) this.limitW = limitW < 0 ? 0 : limitW > this.ratedW ? this.ratedW : limitW;
  }

  step(dtMs: number): void {
    const target = Math.min(this.wantedW(), this.limitW, this.ratedW);
    this.actualW = lag(this.actualW, target < 0 ? 0 : target, dtMs, this.tauMs);
  }
}

/** A PV inverter: produces min(available, limit), reaching it with a lag. */
export class SimPv extends LimitedFlow {
  availableW = 0;

  protected wantedW(): number {
    return this.availableW;
  }
}

/** An EV charger: the car wants `demandW`; the charger allows at most `limitW`. */
export class SimCharger extends LimitedFlow {
  demandW = 0;

  protected wantedW(): number {
    return this.demandW;
  }
}
