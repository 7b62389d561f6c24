/**
 * Host-side view of the system tz database for oracle tests: every zone's POSIX TZ footer (the last line of its
 * TZif file) and the first year from which that footer describes the zone (read from tzdata.zi, the database source
 * that ships next to the TZif files), so a test compares a TZ string against Intl only where the string is the truth.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const ZONEINFO = "/usr/share/zoneinfo";

export interface ZoneFooter {
  zone: string;
  tz: string;
  /** First full year in which the footer rule holds (conservative). */
  ruleFromYear: number;
}

function walk(dir: string, prefix: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (prefix === "" && (name === "posix" || name === "right")) continue;
    const path = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path).isDirectory()) walk(path, rel, out);
    else out.push(rel);
  }
}

function footerOf(path: string): string | null {
  const data = readFileSync(path);
  if (data.length < 44 || data.toString("latin1", 0, 4) !== "TZif") return null;
  // The footer is "\n<TZ>\n" at the very end of a version 2+ file.
  const end = data.length - 1;
  if (data[end] !== 0x0a) return null;
  const start = data.lastIndexOf(0x0a, end - 1);
  if (start < 0) return null;
  return data.toString("latin1", start + 1, end);
}

/** Years from which each zone's last Zone line and its rule set are in force, from tzdata.zi. */
function ruleStartYears(): Map<string, number> {
  const text = readFileSync(join(ZONEINFO, "tzdata.zi"), "latin1");
  const rules = new Map<string, number>(); // rule name -> first year from which only "max" rules apply
  const zoneLast = new Map<string, { start: number; rule: string }>();
  const links: [string, string][] = [];
  let current: string | null = null;
  let previousUntil = -Infinity;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(/\s+/);
    if (f[0] === "R") {
      const from = Number(f[2]);
      const to = f[3] === "o" ? from : f[3] === "ma" ? Infinity : Number(f[3]);
      const since = to === Infinity ? from : to + 1;
      rules.set(f[1], Math.max(rules.get(f[1]) ?? -Infinity, since));
      current = null;
      continue;
    }
    if (f[0] === "L") {
      links.push([f[2], f[1]]);
      current = null;
      continue;
    }
    let fields: string[];
    if (f[0] === "Z") {
      current = f[1];
      previousUntil = -Infinity;
      fields = f.slice(2);
    } else {
      if (current === null) continue;
      fields = f;
    }
    // fields: stdoff rules format [until-year [month [day [time]]]]
    zoneLast.set(current, { start: previousUntil, rule: fields[1] });
    if (fields.length > 3) previousUntil = Number(fields[3]) + (fields.length > 4 ? 1 : 0);
  }
  const out = new Map<string, number>();
  for (const [zone, last] of zoneLast) {
    const ruleSince = /^[A-Za-z_]/.test(last.rule) && last.rule !== "-" ? (rules.get(last.rule) ?? -Infinity) : -Infinity;
    out.set(zone, Math.max(last.start, ruleSince));
  }
  for (const [alias, target] of links) if (out.has(target)) out.set(alias, out.get(target)!);
  return out;
}

export function zoneFooters(): ZoneFooter[] {
  if (!existsSync(join(ZONEINFO, "tzdata.zi"))) throw new Error(`no tz database in ${ZONEINFO} (apt-get install -y tzdata)`);
  const since = ruleStartYears();
  const files: string[] = [];
  walk(ZONEINFO, "", files);
  const out: ZoneFooter[] = [];
  for (const zone of files.sort()) {
    if (!since.has(zone)) continue; // posixrules, localtime, tables
    const tz = footerOf(join(ZONEINFO, zone));
    if (tz === null || tz === "") continue;
    out.push({ zone, tz, ruleFromYear: since.get(zone)! });
  }
  return out;
}
