import test from "ava";
import { daysFromCivil, SECONDS_PER_DAY } from "../../src/time/civil";
import { LOCAL_GAP, LOCAL_OVERLAP, LOCAL_UNIQUE, PosixTimeZone, TzError } from "../../src/time/posix-tz";
import { zoneFooters } from "./tzdata";

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => daysFromCivil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + s;

test("grammar: names, offsets, default DST offset and default rules", (t) => {
  const cst = PosixTimeZone.parse("CST-8");
  t.is(cst.stdName, "CST");
  t.is(cst.stdOffset, 8 * 3600);
  t.false(cst.hasDst);
  t.is(cst.offsetAt(utc(2026, 7, 1)), 8 * 3600);
  t.is(cst.nextTransition(0), Infinity);

  const quoted = PosixTimeZone.parse("<+0545>-5:45");
  t.is(quoted.stdName, "+0545");
  t.is(quoted.stdOffset, 5 * 3600 + 45 * 60);
  t.is(PosixTimeZone.parse("<-0930>9:30").stdOffset, -(9 * 3600 + 30 * 60));
  t.is(PosixTimeZone.parse("XXX+1:02:03").stdOffset, -3723);

  // DST name without offset: one hour ahead; without rules: tzcode's default M3.2.0,M11.1.0 at 02:00.
  const us = PosixTimeZone.parse("EST5EDT");
  t.true(us.hasDst);
  t.is(us.dstOffset, -4 * 3600);
  t.is(us.dstStartUtc(2026), utc(2026, 3, 8, 2 + 5));
  t.is(us.dstEndUtc(2026), utc(2026, 11, 1, 2 + 4));
  const explicitDst = PosixTimeZone.parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  t.is(explicitDst.dstOffset - explicitDst.stdOffset, 1800);
});

test("grammar: Jn ignores February 29, n counts it, times may be negative or beyond 24 h", (t) => {
  const julian = PosixTimeZone.parse("AAA0BBB,J60/0,J300/0");
  t.is(julian.dstStartUtc(2023), utc(2023, 3, 1)); // J60 = March 1 in every year
  t.is(julian.dstStartUtc(2024), utc(2024, 3, 1));
  const zeroBased = PosixTimeZone.parse("AAA0BBB,59/0,300/0");
  t.is(zeroBased.dstStartUtc(2023), utc(2023, 3, 1)); // day 59 (0-based): March 1 in a common year
  t.is(zeroBased.dstStartUtc(2024), utc(2024, 2, 29)); // and February 29 in a leap year
  const negative = PosixTimeZone.parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  t.is(negative.dstStartUtc(2026), utc(2026, 3, 29, 1)); // Sunday 29 March, -1:00 local = Saturday 23:00 at -02
  const beyond = PosixTimeZone.parse("EET-2EEST,M3.4.4/50,M10.4.4/50");
  t.is(beyond.dstStartUtc(2026), utc(2026, 3, 28, 0)); // 4th Thursday 26 March + 50 h = Saturday 02:00 EET
  const hhh = PosixTimeZone.parse("AAA0BBB,M3.1.0/-167,M10.1.0/167:59:59");
  t.is(hhh.dstStartUtc(2026), utc(2026, 3, 1) - 167 * 3600);
  t.is(hhh.dstEndUtc(2026), utc(2026, 10, 4) + 167 * 3600 + 3599 - 3600);
});

test("grammar: malformed strings are refused with the position and the problem", (t) => {
  const cases: [string, number, RegExp][] = [
    ["", 0, /empty/],
    [":Europe/Paris", 0, /tz database/],
    ["CS-8", 0, /at least 3 letters/],
    ["CST", 3, /missing UTC offset/],
    ["CST-25", 6, /hours 25 above 24/],
    ["CST-8:60", 8, /minutes 60 above 59/],
    ["<+08-8", 6, /unterminated/],
    ["<+8>-8", 0, /at least 3 characters/],
    ["EST5EDT,M3.2.0", 14, /','/],
    ["EST5EDT,M13.2.0,M11.1.0", 11, /month 13/],
    ["EST5EDT,M3.6.0,M11.1.0", 12, /week 6/],
    ["EST5EDT,M3.2.7,M11.1.0", 14, /weekday 7/],
    ["EST5EDT,J0,M11.1.0", 10, /Julian day 0/],
    ["EST5EDT,366,M11.1.0", 11, /day 366/],
    ["EST5EDT,M3.2.0/168,M11.1.0", 18, /hours 168 above 167/],
    ["EST5EDT,X3,M11.1.0", 8, /must start with 'M', 'J' or a digit/],
    ["EST5EDT,M3.2.0,M11.1.0x", 22, /unexpected "x"/],
  ];
  for (const [text, position, problem] of cases) {
    const error = t.throws(() => PosixTimeZone.parse(text), { instanceOf: TzError }, text);
    t.is(error?.position, position, text);
    t.regex(error?.message ?? "", problem, text);
  }
});

test("standardOnly keeps standard time all year (dstEnable = 0)", (t) => {
  const cet = PosixTimeZone.parse("CET-1CEST,M3.5.0,M10.5.0/3");
  const std = cet.standardOnly();
  t.is(cet.offsetAt(utc(2026, 7, 1)), 7200);
  t.is(std.offsetAt(utc(2026, 7, 1)), 3600);
  t.is(std.classifyLocal(utc(2026, 3, 29, 2, 30)), LOCAL_UNIQUE);
  t.is(std.nextTransition(0), Infinity);
});

// ---- Oracle: every distinct TZ string of the system tzdata against Node's Intl for its zone ----

interface Oracle {
  offset(utcSeconds: number): number;
}

function intlOracle(zone: string): Oracle {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 } as Record<string, number>;
  return {
    offset(utcSeconds: number): number {
      for (const part of format.formatToParts(new Date(utcSeconds * 1000))) {
        if (part.type in fields) fields[part.type] = Number(part.value);
      }
      const wallMs = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
      return wallMs / 1000 - utcSeconds;
    },
  };
}

function intlKnows(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** One zone per distinct TZ string: the one whose rule has held longest (and that Intl knows). */
function corpus(): { tz: string; zone: string; fromYear: number; toYear: number }[] {
  const byTz = new Map<string, { zone: string; ruleFromYear: number }[]>();
  for (const footer of zoneFooters()) {
    const list = byTz.get(footer.tz) ?? [];
    list.push(footer);
    byTz.set(footer.tz, list);
  }
  const out: { tz: string; zone: string; fromYear: number; toYear: number }[] = [];
  for (const [tz, zones] of byTz) {
    const known = zones.filter((z) => intlKnows(z.zone)).sort((a, b) => a.ruleFromYear - b.ruleFromYear);
    // "Factory" (`<-00>0`) is the only zone ICU lacks: its offset is plain UTC, which Etc/UTC checks.
    const pick = known[0] ?? (tz === "<-00>0" ? { zone: "Etc/UTC", ruleFromYear: -Infinity } : undefined);
    if (!pick) throw new Error(`no zone known to Intl for TZ "${tz}"`);
    // The string holds from ruleFromYear on; zones whose rule starts after 2037 (explicit predictions such as
    // Gaza's until 2086) are checked over the first ten years of their rule instead.
    const fromYear = Math.max(2000, pick.ruleFromYear);
    out.push({ tz, zone: pick.zone, fromYear, toYear: fromYear > 2037 ? fromYear + 9 : 2037 });
  }
  return out;
}

test("every distinct TZ string in the system tzdata matches Intl over 2000-2037", (t) => {
  const zones = corpus();
  t.true(zones.length >= 80, `only ${zones.length} distinct TZ strings found`);
  let samples = 0;
  let transitions = 0;
  let gaps = 0;
  let overlaps = 0;
  let yearsChecked = 0;
  for (const { tz, zone: zoneName, fromYear, toYear } of zones) {
    const zone = PosixTimeZone.parse(tz);
    const oracle = intlOracle(zoneName);
    const where = `${tz} (${zoneName})`;
    const expectOffset = (instant: number): void => {
      samples++;
      const ours = zone.offsetAt(instant);
      const theirs = oracle.offset(instant);
      if (ours !== theirs) t.fail(`${where}: offset at ${new Date(instant * 1000).toISOString()} is ${ours}, Intl says ${theirs}`);
    };
    for (let year = fromYear; year <= toYear; year++) {
      yearsChecked++;
      // Regular samples: every 10 days at a time of day that drifts through the day.
      const yearStart = utc(year, 1, 1);
      for (let k = 0; k < 37; k++) expectOffset(yearStart + k * 10 * SECONDS_PER_DAY + ((k * 7919) % SECONDS_PER_DAY));
      if (!zone.hasDst) continue;
      for (const instant of [zone.dstStartUtc(year), zone.dstEndUtc(year)]) {
        transitions++;
        for (const delta of [-86_400, -3601, -1, 0, 1, 1800, 3600, 86_400]) expectOffset(instant + delta);
        const before = zone.offsetAt(instant - 1);
        const after = zone.offsetAt(instant);
        t.not(before, after, `${where}: no offset change at ${new Date(instant * 1000).toISOString()}`);
        t.is(zone.nextTransition(instant - 1), instant, `${where}: nextTransition`);
        t.is(zone.previousTransition(instant), instant, `${where}: previousTransition`);
        // Local -> UTC around the transition: every wall time in the gap or the overlap, checked against Intl.
        const lo = instant + Math.min(before, after);
        const hi = instant + Math.max(before, after);
        if (after > before) {
          gaps++;
          for (const wall of [lo, lo + 1, Math.floor((lo + hi) / 2), hi - 1]) {
            t.is(zone.classifyLocal(wall), LOCAL_GAP, `${where}: gap wall`);
            t.is(zone.localToUtc(wall), instant, `${where}: gap maps to the transition`);
          }
        } else {
          overlaps++;
          for (const wall of [lo, Math.floor((lo + hi) / 2), hi - 1]) {
            t.is(zone.classifyLocal(wall), LOCAL_OVERLAP, `${where}: overlap wall`);
            const first = zone.localToUtc(wall, false);
            const second = zone.localToUtc(wall, true);
            t.is(first + oracle.offset(first), wall, `${where}: first occurrence`);
            t.is(second + oracle.offset(second), wall, `${where}: second occurrence`);
            t.true(first < second && first < instant && second >= instant, `${where}: occurrence order`);
          }
        }
        for (const wall of [lo - 1, hi]) {
          t.is(zone.classifyLocal(wall), LOCAL_UNIQUE, `${where}: wall next to the transition`);
          const instantOfWall = zone.localToUtc(wall);
          t.is(instantOfWall + oracle.offset(instantOfWall), wall, `${where}: unique wall time round trip`);
        }
      }
      // The rule gives exactly two transitions a year: nothing else in Intl (regular samples catch a missing
      // DST period; here we walk transition to transition).
      const start = zone.dstStartUtc(year);
      const end = zone.dstEndUtc(year);
      t.is(zone.nextTransition(start), end > start ? end : zone.dstEndUtc(year + 1), `${where}: transition order in ${year}`);
    }
  }
  t.log(`${zones.length} TZ strings, ${yearsChecked} zone-years, ${transitions} transitions (${gaps} gaps, ${overlaps} overlaps), ${samples} Intl samples`);
  t.true(transitions > 1000 && gaps > 400 && overlaps > 400);
});
