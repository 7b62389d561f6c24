import test from "ava";
import { CronExpression, FLAG_DOW, W_DOW_DAYS, W_FLAGS, W_MONTHS } from "../../src/schedule/cron";
import { nextSunFire, nextWallFire } from "../../src/schedule/planner";
import { daysFromCivil } from "../../src/time/civil";
import { PosixTimeZone } from "../../src/time/posix-tz";
import { SUNRISE, SUNSET, sunEventUtc } from "../../src/time/solar";
import { iso, utc } from "./fixture";

const CET = PosixTimeZone.parse("CET-1CEST,M3.5.0,M10.5.0/3");

/** The next `count` fires strictly after `from` (UTC) of `expression` in `zone`. */
function fires(expression: string, zone: PosixTimeZone, from: number, count: number): string[] {
  const cron = new CronExpression(expression);
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < count; i++) {
    t = nextWallFire(cron.words, 0, zone, t);
    if (t < 0) break;
    out.push(iso(t));
  }
  return out;
}

test("spring forward: a fixed wall time in the gap fires once, at the transition", (t) => {
  // 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00 UTC; 02:30 local does not exist that day.
  t.deepEqual(fires("0 30 2 * * ?", CET, utc(2026, 3, 28, 12), 3), ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]);
  // 03:00 exists (it is the transition instant itself): one fire, not two.
  t.deepEqual(fires("0 0 2,3 * * ?", CET, utc(2026, 3, 28, 12), 3), ["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"]);
});

test("spring forward: an interval schedule follows elapsed time across the gap", (t) => {
  t.deepEqual(fires("0 0/15 * * * ?", CET, utc(2026, 3, 29, 0, 30), 4), ["2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"]);
});

test("fall back: a fixed wall time fires once (first pass), an interval fires in both passes", (t) => {
  // 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:00-03:00 local happens twice.
  t.deepEqual(fires("0 30 2 * * ?", CET, utc(2026, 10, 24, 12), 2), ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
  t.deepEqual(fires("0 0/30 * * * ?", CET, utc(2026, 10, 24, 23, 45), 5), [
    "2026-10-25T00:00:00Z", // 02:00 CEST
    "2026-10-25T00:30:00Z", // 02:30 CEST
    "2026-10-25T01:00:00Z", // 02:00 CET
    "2026-10-25T01:30:00Z", // 02:30 CET
    "2026-10-25T02:00:00Z", // 03:00 CET
  ]);
  // Planning from inside the second pass does not bring back a fixed time shown in the first pass.
  t.deepEqual(fires("0 45 2 * * ?", CET, utc(2026, 10, 25, 1, 10), 1), ["2026-10-26T01:45:00Z"]);
  // ...but an interval schedule planned there continues in the second pass.
  t.deepEqual(fires("0 0/15 * * * ?", CET, utc(2026, 10, 25, 1, 10), 1), ["2026-10-25T01:15:00Z"]);
});

test("negative DST (Europe/Dublin), 30-minute DST (Lord Howe) and the southern hemisphere follow the same policy", (t) => {
  const dublin = PosixTimeZone.parse("IST-1GMT0,M10.5.0,M3.5.0/1");
  // Gap on 2026-03-29 01:00 GMT -> 02:00 IST at 01:00 UTC; overlap on 2026-10-25 02:00 IST -> 01:00 GMT at 01:00 UTC.
  t.deepEqual(fires("0 30 1 * * ?", dublin, utc(2026, 3, 28, 12), 2), ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]);
  t.deepEqual(fires("0 30 1 * * ?", dublin, utc(2026, 10, 24, 12), 2), ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
  const lordHowe = PosixTimeZone.parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  // 2026-10-04 02:00 +1030 -> 02:30 +11 at 2026-10-03T15:30Z: 02:15 fires at the transition.
  t.deepEqual(fires("0 15 2 * * ?", lordHowe, utc(2026, 10, 3, 0), 2), ["2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"]);
  const santiago = PosixTimeZone.parse("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
  // 2026-04-05 00:00 -03 -> 23:00 -04 (April 4) at 03:00Z: 23:30 on April 4 happens twice, fires once.
  t.deepEqual(fires("0 30 23 * * ?", santiago, utc(2026, 4, 4, 12), 2), ["2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"]);
});

test("dstEnable = 0: a fixed time stays on standard time in summer", (t) => {
  const standard = CET.standardOnly();
  t.deepEqual(fires("0 0 10 * * ?", standard, utc(2026, 7, 1), 1), ["2026-07-01T09:00:00Z"]); // 11:00 CEST on the wall
  t.deepEqual(fires("0 0 10 * * ?", CET, utc(2026, 7, 1), 1), ["2026-07-01T08:00:00Z"]);
});

test("far-future and never-again expressions stay bounded", (t) => {
  t.deepEqual(fires("0 0 0 1 1 ? 2150", CET, utc(2026, 1, 1), 1), ["2149-12-31T23:00:00Z"]); // midnight CET
  t.deepEqual(fires("0 0 0 1 1 ? 2020", CET, utc(2026, 1, 1), 1), []);
  t.deepEqual(fires("0 0 0 29 2 ?", CET, utc(2026, 1, 1), 1), ["2028-02-28T23:00:00Z"]);
});

test("sunrise/sunset tasks: the event plus the offset, on allowed local days only, no event on polar days", (t) => {
  const china = PosixTimeZone.parse("CST-8");
  const everyDay = new Int32Array(22);
  everyDay[W_MONTHS] = 0xfff; // all months, no day restriction
  const day = daysFromCivil(2026, 6, 21);
  const sunset = sunEventUtc(SUNSET, day, 31.23, 121.47);
  t.is(nextSunFire(everyDay, 0, china, SUNSET, -1800, 31.23, 121.47, utc(2026, 6, 21, 0)), sunset - 1800);
  // Asked after today's event: tomorrow's.
  t.is(nextSunFire(everyDay, 0, china, SUNSET, 0, 31.23, 121.47, sunset), sunEventUtc(SUNSET, day + 1, 31.23, 121.47));
  // Mondays only (bit 1), from Sunday 2026-06-21.
  const mondays = new Int32Array(22);
  mondays[W_MONTHS] = 0xfff;
  mondays[W_DOW_DAYS] = 1 << 1;
  mondays[W_FLAGS] = FLAG_DOW;
  t.is(nextSunFire(mondays, 0, china, SUNRISE, 0, 31.23, 121.47, utc(2026, 6, 20, 12)), sunEventUtc(SUNRISE, day + 1, 31.23, 121.47));
  // Tromso, polar night from late November: the first sunrise after 2026-12-01 is in January.
  const oslo = PosixTimeZone.parse("CET-1CEST,M3.5.0,M10.5.0/3");
  const first = nextSunFire(everyDay, 0, oslo, SUNRISE, 0, 69.65, 18.96, utc(2026, 12, 1));
  t.true(first > utc(2027, 1, 10) && first < utc(2027, 1, 20), iso(first));
});

test("an hour-restricted interval schedule planned in the last hour before fall-back continues in the second pass", (t) => {
  t.deepEqual(fires("0 0/30 2 * * ?", CET, utc(2026, 10, 25, 0, 30), 3), ["2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:00:00Z"]);
});

/**
 * Reference: walk the matching WALL times (the opposite direction to the planner's UTC segments) and map each to
 * its instants by the policy, via the zone's classifyLocal/localToUtc.
 */
function referenceNext(cron: CronExpression, zone: PosixTimeZone, after: number): number {
  let best = Infinity;
  const maxOffset = Math.max(zone.stdOffset, zone.dstOffset);
  let wall = zone.wallAt(after) - 4 * 3600;
  for (let guard = 0; guard < 100_000; guard++) {
    wall = cron.next(wall);
    // Walls beyond best + maxOffset can only map to instants after `best`.
    if (wall < 0 || wall - maxOffset > best) break;
    const kind = zone.classifyLocal(wall);
    const first = zone.localToUtc(wall, false);
    const instants = kind === 2 && cron.interval ? [first, zone.localToUtc(wall, true)] : [first];
    for (const instant of instants) if (instant > after && instant < best) best = instant;
    wall++;
  }
  return best;
}

test("planner equals a wall-time-first reference around 1,500 random DST transitions", (t) => {
  const zones = ["CET-1CEST,M3.5.0,M10.5.0/3", "IST-1GMT0,M10.5.0,M3.5.0/1", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "<-04>4<-03>,M9.1.6/24,M4.1.6/24", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "EST5EDT,M3.2.0,M11.1.0", "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"].map((z) => PosixTimeZone.parse(z));
  const expressions = ["0 30 2 * * ?", "0 0/15 * * * ?", "0 0/30 1-3 * * ?", "0 15 0,1,2,3 * * ?", "0 59 23 * * ?", "0 0 0 ? * SUN", "0 0 * * * ?", "0 45 1 L * ?", "30 10 2 ? * 1#5", "0 0,20,40 22-2 * * ?"].map((e) => new CronExpression(e));
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let compared = 0;
  for (let i = 0; i < 1500; i++) {
    const zone = zones[rnd(zones.length)];
    const cron = expressions[rnd(expressions.length)];
    const year = 2024 + rnd(10);
    const transition = rnd(2) ? zone.dstStartUtc(year) : zone.dstEndUtc(year);
    let after = transition - 4 * 3600 + rnd(8 * 3600);
    for (let k = 0; k < 4; k++) {
      const ours = nextWallFire(cron.words, 0, zone, after);
      const expected = referenceNext(cron, zone, after);
      compared++;
      if (ours !== expected) {
        t.fail(`${cron.text} in ${zone.text} after ${iso(after)}: planner ${iso(ours)}, reference ${iso(expected)}`);
        return;
      }
      after = ours;
    }
  }
  t.is(compared, 6000);
});
