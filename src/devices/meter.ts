/**
 * A grid meter read through its register map, scaled to primary-side values with the platform's rate, pt, ct and
 * direction (spec 000 eleMeter). Sign convention after scaling: power > 0 is import from the grid.
 */
import type { ModbusTransport } from "../modbus/transaction";
import { BlockPoller, type PollListener } from "./blocks";
import type { MeterMap } from "./meter-maps";
import { deepFreeze } from "../core/freeze";

export interface MeterScalingInput {
  /** 倍率: the meter's overall multiplier. Absent or 0 reads as 1. */
  rate?: number;
  /** Voltage transformer ratio. Absent or 0 reads as 1. */
  pt?: number;
  /** Current transformer ratio. Absent or 0 reads as 1. */
  ct?: number;
  /** 1: installed as intended (import reads positive); 2: reversed (the meter's import is the site's export). */
  direction?: number;
}

export interface MeterScaling {
  /** Multiplier from the meter's (secondary) figures to primary power and energy. */
  readonly factor: number;
  readonly voltageFactor: number;
  readonly currentFactor: number;
  /** +1, or -1 when the meter is installed reversed. */
  readonly sign: 1 | -1;
}

/**
 * Resolve rate/pt/ct/direction. `rate` is the total multiplier when given (> 1); otherwise pt x ct. When both are
 * given they must agree (rate = pt x ct): a 100x error in grid power is worse than refusing the configuration.
 * Returns the scaling or a message naming the bad field.
 */
export function resolveMeterScaling(input: MeterScalingInput): MeterScaling | string {
  const rate = input.rate ?? 0;
  const pt = input.pt ?? 0;
  const ct = input.ct ?? 0;
  for (const [name, value] of [["rate", rate], ["pt", pt], ["ct", ct]] as const) {
    if (!(Number.isFinite(value) && value >= 0 && value <= 1_000_000)) return `${name} must be a number from 0 to 1000000, got ${value}`;
  }
  const ptRatio = pt > 0 ? pt : 1;
  const ctRatio = ct > 0 ? ct : 1;
  const transformers = ptRatio * ctRatio;
  if (rate > 1 && transformers > 1 && Math.abs(rate - transformers) > 1e-9 * rate) {
    return `rate ${rate} disagrees with pt x ct = ${ptRatio} x ${ctRatio} = ${transformers}`;
  }
  const direction = input.direction ?? 1;
  if (direction !== 1 && direction !== 2) return `direction must be 1 (forward) or 2 (reversed), got ${direction}`;
  return {
    factor: rate > 1 ? rate : transformers,
    voltageFactor: ptRatio,
    currentFactor: ctRatio,
    sign: direction === 2 ? -1 : 1,
  };
}

/** Where each phase's figures start in MeterDriver.readings (phase p at + p, p = 0..2). */
export const MeterReading = deepFreeze({ PhaseW: 0, VoltageV: 3, CurrentA: 6 } as const);
/**
 * After the nine figures, the driver's own bookkeeping: the newest block answer already decoded (monotonic ms;
 * blocks answered later are decoded at the next poll). In the array rather than a field: no extra XS slot.
 */
const POLLED_AT_MS = 9;
const TOTAL_W = 10;
const IMPORT_KWH = 11;
const EXPORT_KWH = 12;
const DEMAND_W = 13;
const POWER_AT_MS = 14;
const READINGS = 15;

export interface MeterListener {
  /** The cycle's reads finished; `fresh` says whether the power block was answered in it. */
  onMeterRead(meter: MeterDriver, fresh: boolean): void;
}

export class MeterDriver implements PollListener {
  readonly poller: BlockPoller;
  /**
   * Per-phase figures in one array: at MeterReading.PhaseW + p the active power, W; at VoltageV + p the voltage, V;
   * at CurrentA + p the current, A (NaN until read); then the driver's own numbers (POLLED_AT_MS.. below, read
   * through the getters). A view on the poller's Float64Array: about 4 XS slots, where an array of its own and five
   * number fields cost about 12.
   */
  readonly readings: Float64Array;
  private readonly powerBlock: number;
  /** This cycle's power block was reported to the listener as it finished (onBlockRead). */
  private powerReported = false;

  constructor(
    readonly id: number,
    readonly map: MeterMap,
    unit: number,
    transport: ModbusTransport,
    readonly scaling: MeterScaling,
    private readonly listener: MeterListener,
    floatScratch?: DataView,
  ) {
    this.poller = new BlockPoller(map.blocks, unit, transport, this, floatScratch, READINGS, 0);
    const times = this.poller.okAtMs;
    this.readings = new Float64Array(times.buffer, times.byteOffset + 8 * map.blocks.length, READINGS).fill(NaN);
    this.readings[POWER_AT_MS] = -Infinity;
    this.powerBlock = map.phasePower[0].block;
  }

  /** Primary-side active power, W, import positive (NaN until read). */
  get totalW(): number {
    return this.readings[TOTAL_W];
  }
  /** Energy from the grid / to the grid, kWh primary (swapped when the meter is reversed). */
  get importKwh(): number {
    return this.readings[IMPORT_KWH];
  }
  get exportKwh(): number {
    return this.readings[EXPORT_KWH];
  }
  /** The meter's own forward demand, W (NaN when it has none, or when installed reversed). */
  get demandW(): number {
    return this.readings[DEMAND_W];
  }
  /** Monotonic ms when the power values were last answered. */
  get powerAtMs(): number {
    return this.readings[POWER_AT_MS];
  }

  /** Queue this cycle's reads; false when none could be queued (the listener will not be called). */
  startCycle(): boolean {
    return this.poller.startCycle() > 0;
  }

  get busy(): boolean {
    return this.poller.busy;
  }

  private latestOkMs(okAt: Float64Array): number {
    let latest = -Infinity;
    const n = this.map.blocks.length;
    for (let i = 0; i < n; i++) if (okAt[i] > latest) latest = okAt[i];
    return latest;
  }

  /**
   * The power block answered (or failed): the control loop hears of it now, not after this cycle's slow block, so
   * the decision comes one block earlier (at 9600 baud a slow block of the ADW300 is ~45 ms of wire time).
   */
  onBlockRead(poller: BlockPoller, index: number): void {
    if (index !== this.powerBlock) return;
    this.powerReported = true;
    this.listener.onMeterRead(this, this.decodePower(poller));
  }

  /** Decode the power block when it was read since the last decode; whether it gave a fresh reading. */
  private decodePower(poller: BlockPoller): boolean {
    const map = this.map;
    const s = this.scaling;
    const k = s.factor * s.sign;
    const okAtMs = poller.okAtMs[this.powerBlock];
    const fresh = okAtMs > this.powerAtMs;
    if (fresh) {
      let sum = 0;
      for (let i = 0; i < 3; i++) {
        const w = poller.value(map.phasePower[i]) * k;
        this.readings[MeterReading.PhaseW + i] = w;
        sum += w;
      }
      const total = map.totalPower ? poller.value(map.totalPower) * k : sum;
      this.readings[TOTAL_W] = total;
      // A NaN here would be a map bug or a meter answering garbage floats: never count it as a fresh reading.
      if (total === total && sum === sum) this.readings[POWER_AT_MS] = okAtMs;
    }
    return fresh && this.powerAtMs === okAtMs;
  }

  onPollDone(poller: BlockPoller): void {
    const map = this.map;
    const s = this.scaling;
    // The power block was reported as it finished (onBlockRead); a cycle whose power block never reached the wire
    // (a refused submit) is reported here, as a missed read.
    const reported = this.powerReported;
    this.powerReported = false;
    const fresh = reported ? false : this.decodePower(poller);
    // The other figures live in slow blocks, read one per cycle in turn: decode only those answered since the last
    // poll (decoding a point costs about 150 XS steps; a cycle's meter decode is then the power block and one more).
    const since = this.readings[POLLED_AT_MS] === this.readings[POLLED_AT_MS] ? this.readings[POLLED_AT_MS] : -Infinity;
    const okAt = poller.okAtMs;
    const readings = this.readings;
    const voltage = map.voltage;
    if (voltage) {
      for (let i = 0; i < 3; i++) if (okAt[voltage[i].block] > since) readings[MeterReading.VoltageV + i] = poller.value(voltage[i]) * s.voltageFactor;
    }
    const current = map.current;
    if (current) {
      for (let i = 0; i < 3; i++) if (okAt[current[i].block] > since) readings[MeterReading.CurrentA + i] = poller.value(current[i]) * s.currentFactor;
    }
    if (map.importKwh && map.exportKwh && (okAt[map.importKwh.block] > since || okAt[map.exportKwh.block] > since)) {
      const imported = poller.value(map.importKwh) * s.factor;
      const exported = poller.value(map.exportKwh) * s.factor;
      readings[IMPORT_KWH] = s.sign === 1 ? imported : exported;
      readings[EXPORT_KWH] = s.sign === 1 ? exported : imported;
    }
    if (map.demandW && okAt[map.demandW.block] > since) readings[DEMAND_W] = s.sign === 1 ? poller.value(map.demandW) * s.factor : NaN;
    readings[POLLED_AT_MS] = this.latestOkMs(okAt);
    if (!reported) this.listener.onMeterRead(this, fresh);
  }
}
