/**
 * Time series of the scenarios (load, PV availability, charger demand): points [seconds, watts], step or linear
 * between them, optional noise. A cursor makes each lookup O(1) as simulated time only moves forward.
 */
import type { SeededRandom } from "../../hal/sim/random";

export interface TraceSpec {
  /** [time s, value W] pairs, time ascending. Before the first point the first value holds, after the last the last. */
  points: [number, number][];
  interp?: "step" | "linear";
  /** Uniform noise of +- this % of the value, redrawn every `noiseEveryMs`. */
  noisePct?: number;
  noiseEveryMs?: number;
}

export class Trace {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private readonly linear: boolean;
  private cursor = 0;
  private noise = 0;
  private nextNoiseMs = 0;

  constructor(
    readonly spec: TraceSpec,
    private readonly random: SeededRandom | null,
    readonly where: string,
  ) {
    if (!Array.isArray(spec.points) || spec.points.length === 0) throw new Error(`${where}.points: needs at least one [seconds, watts] pair`);
    this.times = new Float64Array(spec.points.length);
    this.values = new Float64Array(spec.points.length);
    for (let i = 0; i < spec.points.length; i++) {
      const point = spec.points[i];
      if (!Array.isArray(point) || point.length !== 2 || !Number.isFinite(point[0]) || !Number.isFinite(point[1])) {
        throw new Error(`${where}.points[${i}]: must be [seconds, watts]`);
      }
      if (i > 0 && point[0] < spec.points[i - 1][0]) throw new Error(`${where}.points[${i}]: time goes backwards`);
      this.times[i] = point[0] * 1000;
      this.values[i] = point[1];
    }
    if (spec.interp !== undefined && spec.interp !== "step" && spec.interp !== "linear") throw new Error(`${where}.interp: must be "step" or "linear"`);
    this.linear = spec.interp === "linear";
  }

  /** Value at `ms` since the scenario start (call with non-decreasing times). */
  at(ms: number): number {
    const times = this.times;
    const n = times.length;
    while (this.cursor + 1 < n && times[this.cursor + 1] <= ms) this.cursor++;
    let value: number;
    const i = this.cursor;
    if (ms < times[0]) value = this.values[0];
    else if (i + 1 >= n || !this.linear) value = this.values[i];
    else value = this.values[i] + ((this.values[i + 1] - this.values[i]) * (ms - times[i])) / (times[i + 1] - times[i]);
    const pct = this.spec.noisePct ?? 0;
    if (pct > 0 && this.random) {
      if (ms >= this.nextNoiseMs) {
        this.noise = (this.random.nextFloat() * 2 - 1) * (pct / 100);
        this.nextNoiseMs = ms + (this.spec.noiseEveryMs ?? 500);
      }
      value *= 1 + this.noise;
    }
    return value;
  }
}
