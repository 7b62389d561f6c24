/** `npm start` itself: the host run of the firmware, as a newcomer would run it. */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function start(...args: string[]): { status: Record<string, unknown>; output: string } {
  const output = execFileSync(process.execPath, ["--import=tsx", "scripts/start.ts", ...args], { encoding: "utf8" });
  const lines = output.trim().split("\n");
  return { status: JSON.parse(lines[lines.length - 1]), output };
}

test("--duration 60 --speed max runs 60 simulated seconds and exits 0 with the final status", (t) => {
  const { status, output } = start("--duration", "60", "--speed", "max");
  t.is(status.uptimeMs, 60_000);
  t.true((status.ticks as number) > 0);
  t.regex(output, /^00:01:00 mqtt /m);
});

test("--flash FILE creates the flash image the store lives in", (t) => {
  const image = join(mkdtempSync(join(tmpdir(), "gw-")), "store.img");
  start("--duration", "1", "--speed", "max", "--flash", image, "--quiet");
  t.is(statSync(image).size, 96 * 4096, "the host board's store partition");
});

test("bad options are refused with the option named", (t) => {
  const error = t.throws(() => start("--speed", "fast", "--duration", "1"));
  t.regex(String((error as { stderr?: string }).stderr), /--speed must be "max" or a positive factor/);
});

test("--scenario FILE --speed max --json runs a control scenario and prints its metrics as one JSON line", (t) => {
  const output = execFileSync(process.execPath, ["--import=tsx", "scripts/start.ts", "--scenario", "sim/scenarios/load-drop-80.json", "--speed", "max", "--json"], {
    encoding: "utf8",
  });
  const metrics = JSON.parse(output.trim().split("\n").pop()!);
  t.is(metrics.name, "load-drop-80");
  for (const key of ["exportEnergyKwh", "maxExportAboveThresholdW", "secondsAboveThreshold", "maxDemandW", "setpointSignChangesPerHour", "tickOverruns"]) {
    t.is(typeof metrics[key], "number", key);
  }
  t.true(metrics.secondsAboveThreshold <= 2 * metrics.controlPeriodMs / 1000, `export above threshold ${metrics.secondsAboveThreshold} s`);
});
