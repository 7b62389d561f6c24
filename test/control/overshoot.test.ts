/** The scenario runner's overshoot figure (sim/overshoot.ts) on command series made by hand. */
import test from "ava";
import { CommandTrack, stepTimesMs } from "../../sim/overshoot";

function track(series: (ms: number) => number, durationMs = 30_000, stepMs = 10): CommandTrack {
  const tr = new CommandTrack(stepMs, durationMs);
  for (let ms = 0; ms < durationMs; ms += stepMs) tr.add(series(ms));
  return tr;
}

test("steps are found in step traces only, at jumps of 5 kW or more", (t) => {
  t.deepEqual(stepTimesMs([{ points: [[0, 100_000], [10, 20_000], [20, 21_000]] }, { points: [[0, 0], [5, 80_000]], interp: "linear" }, undefined]), [10_000]);
});

test("a command that goes 30 % beyond where it settles is 30 % overshoot; one that settles straight is 0", (t) => {
  // From +60 kW to -20 kW at t = 10 s (a correction of 80 kW), dipping to -44 kW for half a second on the way.
  const overshooting = track((ms) => (ms < 10_000 ? 60_000 : ms < 10_500 ? -44_000 : -20_000));
  t.is(overshooting.worstOvershootPct([10_000]), 30);
  const clean = track((ms) => (ms < 10_000 ? 60_000 : -20_000));
  t.is(clean.worstOvershootPct([10_000]), 0);
  // A step whose window runs past the end of the run is not judged.
  t.is(overshooting.worstOvershootPct([25_000]), 0);
});
