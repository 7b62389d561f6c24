/**
 * Overshoot after a step (issue 15 item 5), measured by the scenario runner on the batteries' total command: for
 * every step of the load or of a PV trace (a jump of at least STEP_W between two points of a step trace), the
 * correction needed is the settled command (its mean over the last 2 s of a WINDOW_MS window after the step) minus
 * the command just before the step; the overshoot is how far the command went beyond the settled value, in the
 * direction of the correction, as a percentage of that correction. Steps whose correction is under 1 kW, or whose
 * window does not end before the run does, are not judged.
 */
import type { TraceSpec } from "./site/trace";

const STEP_W = 5000;
const WINDOW_MS = 10_000;
const SETTLE_MS = 2000;
const MIN_CORRECTION_W = 1000;

/** Times (ms) of the steps of `traces` (step interpolation only: a ramp is not a step). */
export function stepTimesMs(traces: readonly (TraceSpec | undefined)[]): number[] {
  const times: number[] = [];
  for (const trace of traces) {
    if (!trace || trace.interp === "linear") continue;
    for (let i = 1; i < trace.points.length; i++) {
      if (Math.abs(trace.points[i][1] - trace.points[i - 1][1]) >= STEP_W) times.push(trace.points[i][0] * 1000);
    }
  }
  return times.sort((a, b) => a - b);
}

/** The batteries' total command sampled at a fixed step, and the worst overshoot after the given steps. */
export class CommandTrack {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(
    private readonly stepMs: number,
    durationMs: number,
  ) {
    this.samples = new Float64Array(Math.ceil(durationMs / stepMs) + 2);
  }

  /** The command at the next sample time (W). */
  add(commandW: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = commandW;
  }

  /** Worst overshoot over `steps` (ms since the start), % of the correction; 0 when no step could be judged. */
  worstOvershootPct(steps: readonly number[]): number {
    let worst = 0;
    for (const at of steps) {
      const from = Math.floor(at / this.stepMs);
      const end = Math.floor((at + WINDOW_MS) / this.stepMs);
      const settleFrom = Math.floor((at + WINDOW_MS - SETTLE_MS) / this.stepMs);
      if (from < 1 || end >= this.count) continue;
      const before = this.samples[from - 1];
      let settled = 0;
      for (let i = settleFrom; i < end; i++) settled += this.samples[i];
      settled /= end - settleFrom;
      const needed = settled - before;
      if (Math.abs(needed) < MIN_CORRECTION_W) continue;
      let beyond = 0;
      for (let i = from; i < end; i++) {
        const over = needed > 0 ? this.samples[i] - settled : settled - this.samples[i];
        if (over > beyond) beyond = over;
      }
      const pct = (100 * beyond) / Math.abs(needed);
      if (pct > worst) worst = pct;
    }
    return Math.round(worst * 100) / 100;
  }
}
