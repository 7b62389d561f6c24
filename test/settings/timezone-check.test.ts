import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { checkPosixTz } from "../../src/settings/timezone-check";

/** The POSIX TZ footer of a TZif v2+ file: the text between the last two newlines. */
function footer(path: string): string | null {
  const bytes = readFileSync(path);
  if (bytes.length < 8 || bytes.toString("latin1", 0, 4) !== "TZif" || bytes[4] < 0x32) return null;
  const end = bytes.length - 1;
  if (bytes[end] !== 0x0a) return null;
  const start = bytes.lastIndexOf(0x0a, end - 1);
  return bytes.toString("latin1", start + 1, end);
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir)) {
    if (entry === "posix" || entry === "right") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
}

test("every POSIX TZ footer in the system tzdata is accepted", (t) => {
  const files: string[] = [];
  walk("/usr/share/zoneinfo", files);
  const footers = new Set<string>();
  for (const file of files) {
    const tz = footer(file);
    if (tz) footers.add(tz);
  }
  t.true(footers.size > 50, `found ${footers.size} distinct TZ strings`);
  for (const tz of footers) t.is(checkPosixTz(tz), null, tz);
});

test("grammar corners are accepted", (t) => {
  for (const tz of [
    "CST-8",
    "UTC0",
    "<+0330>-3:30",
    "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
    "EST5EDT,M3.2.0/2:00:00,M11.1.0/2:00:00",
    "IST-1GMT0,M10.5.0,M3.5.0/1",
    "AAA3BBB,J60/167,300/-167",
    "NZST-12NZDT-13,M9.5.0,M4.1.0/3",
  ]) {
    t.is(checkPosixTz(tz), null, tz);
  }
});

test("malformed strings are refused with a reason", (t) => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["Europe/Berlin", /offset hours expected/],
    ["CS-8", /3\+ letters/],
    ["CST", /offset hours expected/],
    ["CST-25", /25 outside 0\.\.24/],
    ["CST-8:60", /minutes 60/],
    ["<+03-3", /unterminated/],
    ["<+3>-3", /shorter than 3/],
    ["CET-1CEST,M13.5.0,M10.5.0", /month 13/],
    ["CET-1CEST,M3.0.0,M10.5.0", /week 0/],
    ["CET-1CEST,M3.5.7,M10.5.0", /weekday 7/],
    ["CET-1CEST,M3.5.0", /two rules/],
    ["CET-1CEST,J0,J100", /Julian day 0/],
    ["CET-1CEST,M3.5.0/168,M10.5.0", /168 outside/],
    ["CET-1CEST,M3.5.0,M10.5.0x", /unexpected 'x'/],
    ["CET-1CEST;", /dst offset hours expected/],
  ];
  for (const [tz, reason] of cases) t.regex(checkPosixTz(tz) ?? "accepted", reason, tz);
});
