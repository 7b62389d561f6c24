/**
 * `npm start`'s command line as a user meets it: usage on --help, one line naming a wrong option, value or file
 * (exit 2, no stack trace), the final status line on SIGTERM as on Ctrl-C, readable log stamps, a live line that
 * fits 80 columns.
 */
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const START = ["--import=tsx", "scripts/start.ts"];

function run(args: string[]) {
  const result = spawnSync(process.execPath, [...START, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A user error: exit 2, exactly one line on stderr naming `what`, pointing at --help, no stack frame. */
function userError(t: import("ava").ExecutionContext, args: string[], what: RegExp): void {
  const r = run(args);
  t.is(r.code, 2, `${args.join(" ")}: exit code`);
  const lines = r.stderr.trim().split("\n");
  t.is(lines.length, 1, `${args.join(" ")}: one line, got ${JSON.stringify(r.stderr)}`);
  t.regex(lines[0], what);
  t.regex(lines[0], /--help/);
  t.notRegex(r.stderr, /\n\s+at /);
}

test("--help prints the usage and exits 0", (t) => {
  const r = run(["--help"]);
  t.is(r.code, 0);
  t.regex(r.stdout, /^usage: npm start -- \[options\]/);
  for (const option of ["--duration", "--speed", "--config", "--broker", "--scenario", "--help"]) t.true(r.stdout.includes(option), option);
  t.is(run(["-h"]).code, 0);
});

test("an unknown option, a missing or bad value, a missing file: one line naming it, exit 2", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "start-cli-"));
  const badConfig = join(dir, "bad-config.json");
  writeFileSync(badConfig, JSON.stringify({ control: { periodMs: -5 } }));
  const notJson = join(dir, "not-json.json");
  writeFileSync(notJson, "{ nope");
  const badScenario = join(dir, "bad-scenario.json");
  writeFileSync(badScenario, JSON.stringify({ x: 1 }));
  userError(t, ["--bogus"], /Unknown option '--bogus'/);
  userError(t, ["--speed"], /--speed/);
  userError(t, ["--speed", "fast"], /--speed must be "max" or a positive factor, got "fast"/);
  userError(t, ["--duration", "0"], /--duration must be a positive number/);
  userError(t, ["--speed", "max"], /--speed max needs --duration/);
  userError(t, ["--scenario", join(dir, "missing.json")], /cannot read --scenario .*missing\.json: no such file/);
  userError(t, ["--config", join(dir, "missing.json"), "--duration", "1"], /cannot read --config .*missing\.json: no such file/);
  userError(t, ["--config", notJson, "--duration", "1"], /not-json\.json is not JSON/);
  userError(t, ["--config", badConfig, "--duration", "1"], /--config .*bad-config\.json: config control\.periodMs: must be between/);
  userError(t, ["--scenario", badScenario, "--speed", "max"], /--scenario .*bad-scenario\.json: scenario\.name/);
});

test("SIGTERM ends a run like Ctrl-C: the final status line, exit 0; log stamps are HH:MM:SS.mmm", async (t) => {
  const child = spawn(process.execPath, [...START, "--duration", "600", "--speed", "1"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (/ I mqtt: online/.test(out) && /\n\d\d:\d\d:\d\d mqtt /.test(out)) {
        clearInterval(poll);
        resolve();
      }
    }, 100);
  });
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  t.is(code, 0);
  const lines = out.trim().split("\n");
  const final = JSON.parse(lines[lines.length - 1]) as { uptimeMs: number; mqtt: string };
  t.true(final.uptimeMs > 0);
  const logLines = lines.filter((line) => / [EWID] [a-z-]+: /.test(line));
  t.true(logLines.length > 3);
  for (const line of logLines) t.regex(line, /^\d\d:\d\d:\d\d\.\d{3} [EWID] /);
  // A clean start and stop warn about nothing.
  t.deepEqual(logLines.filter((line) => / [EW] /.test(line)), []);
  const status = lines.filter((line) => /^\d\d:\d\d:\d\d mqtt /.test(line));
  t.true(status.length >= 1, "the status line is printed (once a second when stdout is not a terminal)");
  for (const line of status) t.true(line.length <= 80, `${line.length} columns: ${line}`);
});

test("--speed max says once that it is offline and does not log every refused connect", (t) => {
  const r = run(["--duration", "600", "--speed", "max"]);
  t.is(r.code, 0);
  t.is(r.stdout.match(/stays offline/g)?.length, 1);
  t.notRegex(r.stdout, /connection refused/);
  const final = JSON.parse(r.stdout.trim().split("\n").pop()!) as { counters: Record<string, number> };
  t.true(final.counters.mqtt_connect_failures > 0, "the attempts are counted");
});

test("a scenario run ends with its verdict: each goal met or not, then PASS or FAIL", (t) => {
  const r = run(["--scenario", "sim/scenarios/load-drop-80.json", "--speed", "max", "--quiet"]);
  t.is(r.code, 0);
  t.regex(r.stdout, /^pass {2}no export above 0 W for more than 2 control periods \(0\.5 s\) in a row: \d+ episodes, longest [\d.]+ s \([\d.]+ periods\)/m);
  t.regex(r.stdout, /^PASS: \d+ of \d+ goals met$/m);
});
