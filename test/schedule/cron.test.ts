import test from "ava";
import { SeededRandom } from "../../hal/sim/random";
import { CronError, CronExpression, NO_FIRE } from "../../src/schedule/cron";

const at = (iso: string): number => Date.parse(iso.endsWith("Z") ? iso : `${iso}Z`) / 1000;
const iso = (seconds: number): string => (seconds < 0 ? `(${seconds})` : new Date(seconds * 1000).toISOString().replace(".000Z", ""));

/** The fires strictly after `from`, as ISO strings (wall time, read as UTC). */
function fires(expression: string, from: string, count: number): string[] {
  const cron = new CronExpression(expression);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < count; i++) {
    t = cron.next(t + 1);
    out.push(iso(t));
    if (t < 0) break;
  }
  return out;
}

// Expectations worked out by hand from the calendar (2026-01-01 is a Thursday), several after Quartz's
// CronExpressionTest (testLastDayOffset) and the Quartz tutorial's examples.
const TABLE: [string, string, string[]][] = [
  ["0 0/15 * * * ?", "2026-01-01T00:00:00", ["2026-01-01T00:15:00", "2026-01-01T00:30:00"]],
  ["0 15 10 L-2 * ? 2010", "2010-10-01T00:00:00", ["2010-10-29T10:15:00", "2010-11-28T10:15:00"]],
  ["0 15 10 L-1 * ? 2010", "2010-10-01T00:00:00", ["2010-10-30T10:15:00"]],
  ["0 15 10 L-5W * ? 2010", "2010-10-01T00:00:00", ["2010-10-26T10:15:00"]],
  ["0 15 10 L-1W * ? 2010", "2010-10-01T00:00:00", ["2010-10-29T10:15:00"]], // the 30th is a Saturday
  ["0 0 0 1W * ?", "2025-10-31T00:00:00", ["2025-11-03T00:00:00", "2025-12-01T00:00:00"]], // Nov 1 is a Saturday
  ["0 0 0 1W * ?", "2026-01-31T00:00:00", ["2026-02-02T00:00:00"]], // Feb 1 is a Sunday
  ["0 0 0 15W * ?", "2026-03-01T00:00:00", ["2026-03-16T00:00:00"]], // the 15th is a Sunday
  ["0 0 0 31W * ?", "2026-04-01T00:00:00", ["2026-05-29T00:00:00"]], // none in April; May 31 is a Sunday
  ["0 0 0 LW * ?", "2026-01-01T00:00:00", ["2026-01-30T00:00:00", "2026-02-27T00:00:00", "2026-03-31T00:00:00"]],
  ["0 0 0 L * ?", "2024-02-01T00:00:00", ["2024-02-29T00:00:00", "2024-03-31T00:00:00"]],
  ["0 0 12 ? * 6L", "2026-01-01T00:00:00", ["2026-01-30T12:00:00", "2026-02-27T12:00:00"]],
  ["0 0 12 ? * FRIL", "2026-01-01T00:00:00", ["2026-01-30T12:00:00"]],
  ["0 0 12 ? * 2#5", "2026-01-01T00:00:00", ["2026-03-30T12:00:00", "2026-06-29T12:00:00"]],
  ["0 0 12 ? * MON#1", "2026-01-01T00:00:00", ["2026-01-05T12:00:00", "2026-02-02T12:00:00"]],
  ["0 0 0 ? * L", "2026-01-01T00:00:00", ["2026-01-03T00:00:00", "2026-01-10T00:00:00"]], // L alone = Saturday
  ["0 0 22-2 * * ?", "2026-01-01T02:30:00", ["2026-01-01T22:00:00", "2026-01-01T23:00:00", "2026-01-02T00:00:00"]],
  ["0 0 0 ? NOV-FEB MON", "2026-03-01T00:00:00", ["2026-11-02T00:00:00"]],
  ["0 0 0 ? * FRI-MON", "2026-01-01T00:00:00", ["2026-01-02T00:00:00", "2026-01-03T00:00:00", "2026-01-04T00:00:00", "2026-01-05T00:00:00", "2026-01-09T00:00:00"]],
  ["0 0 0 1 1 ? 2030/5", "2026-01-01T00:00:00", ["2030-01-01T00:00:00", "2035-01-01T00:00:00", "2040-01-01T00:00:00"]],
  ["0 0 0 1 1 ? 2020", "2026-01-01T00:00:00", ["(-1)"]],
  ["0 0 0 29 2 ?", "2026-01-01T00:00:00", ["2028-02-29T00:00:00", "2032-02-29T00:00:00"]],
  ["0 0 0 29 2 ?", "2096-03-01T00:00:00", ["2104-02-29T00:00:00"]], // 2100 is not a leap year
  ["0 0 0 ? 2 MON#5", "2026-01-01T00:00:00", ["2044-02-29T00:00:00"]],
  ["0 0 12 1,15W,L * ?", "2026-02-01T00:00:00", ["2026-02-01T12:00:00", "2026-02-16T12:00:00", "2026-02-28T12:00:00"]],
  ["0 0 12 15 * *", "2026-01-01T00:00:00", ["2026-01-15T12:00:00"]], // '*' for the unused day field
  ["0 0 12 * jan,Feb ? 2027", "2026-06-01T00:00:00", ["2027-01-01T12:00:00"]],
  ["59 59 23 31 12 ? 2199", "2199-12-31T23:59:58", ["2199-12-31T23:59:59", "(-1)"]],
];

test("Quartz features: table of hand-checked next fires", (t) => {
  for (const [expression, from, expected] of TABLE) t.deepEqual(fires(expression, from, expected.length), expected, expression);
});

test("impossible or malformed expressions are refused naming the field", (t) => {
  const cases: [string, RegExp][] = [
    ["0 0 0 30 2 ?", /never matches/],
    ["0 0 0 31 4,6,9,11 ?", /never matches/],
    ["0 0 0 ? 2 2#5 2025", /never matches/],
    ["0 0 0 29 2 ? 2025-2027", /never matches/],
    ["0 0 0 32 * ?", /field 4 \(day-of-month\).*value 32 out of 1-31/],
    ["60 * * * * ?", /field 1 \(seconds\).*value 60/],
    ["* 60 * * * ?", /field 2 \(minutes\)/],
    ["* * 24 * * ?", /field 3 \(hours\)/],
    ["* * * * 13 ?", /field 5 \(month\)/],
    ["* * * * *", /needs 6 or 7 fields.*got 5/],
    ["", /got 0/],
    ["0 0 0 ? * 8", /field 6 \(day-of-week\).*value 8 out of 1-7/],
    ["0 0 0 ? * 0", /value 0 out of 1-7/],
    ["0 0 0 ? * 2#6", /week after '#' must be 1-5/],
    ["0 0 0 15 * 2", /both day-of-month and day-of-week are restricted/],
    ["0 0 0 ? * ?", /'\?' in both/],
    ["0 0 ? * * ?", /only allowed in day-of-month or day-of-week/],
    ["0 0 0 L-31 * ?", /offset must be 0-30/],
    ["*/0 * * ? * *", /step 0/],
    ["*/60 * * ? * *", /step 60/],
    ["/5 * * ? * *", /needs a start/],
    ["0 0 0 ? * MON 1969", /field 7 \(year\).*1969/],
    ["0 0 0 ? * MON 2030-2026", /runs backwards/],
    ["0 0 0 ? FOO *", /neither a number nor one of JAN-DEC/],
    ["0 0 0 1-5W * ?", /use L, L-n, LW, L-nW or nW/],
    ["0 0 0 ? * 5W", /neither a number nor one of SUN-SAT/],
    ["0 0 0 1,,2 * ?", /empty list item/],
    ["0 0 0 ? * *,MON", /cannot be combined/],
    ["a b c d e f", /field 1 \(seconds\).*not a number/],
  ];
  for (const [expression, problem] of cases) {
    const error = t.throws(() => new CronExpression(expression), { instanceOf: CronError }, expression);
    t.regex(error?.message ?? "", problem, expression);
  }
});

test("interval classification: several fires an hour or every hour follow elapsed time in a DST overlap", (t) => {
  t.true(new CronExpression("0 0/15 * * * ?").interval);
  t.true(new CronExpression("0 0 * * * ?").interval);
  t.true(new CronExpression("0 0,30 2 * * ?").interval);
  t.false(new CronExpression("0 30 2 * * ?").interval);
  t.false(new CronExpression("0 0 */2 * * ?").interval);
});

// ---- An independent, naive evaluator (Date-based, day by day) for the Quartz-only features ----

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function naiveSet(text: string, min: number, max: number, names: string[] = []): Set<number> {
  const out = new Set<number>();
  const num = (s: string): number => (names.includes(s.toUpperCase()) ? names.indexOf(s.toUpperCase()) + min : Number(s));
  for (const item of text.split(",")) {
    let [range, stepText] = item.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo: number;
    let hi: number;
    if (range === "*") [lo, hi] = [min, max];
    else if (range.includes("-")) [lo, hi] = range.split("-").map(num) as [number, number];
    else [lo, hi] = [num(range), stepText ? max : num(range)];
    const values: number[] = [];
    for (let v = lo; values.length <= max - min; v = v === max ? min : v + 1) {
      values.push(v);
      if (v === hi) break;
    }
    values.forEach((v, i) => i % step === 0 && out.add(v));
  }
  return out;
}

function naiveNext(expression: string, from: number): number {
  const [s, m, h, dom, mon, dow, year] = expression.split(" ");
  const seconds = [...naiveSet(s, 0, 59)].sort((a, b) => a - b);
  const minutes = [...naiveSet(m, 0, 59)].sort((a, b) => a - b);
  const hours = [...naiveSet(h, 0, 23)].sort((a, b) => a - b);
  const months = naiveSet(mon, 1, 12, MONTH_NAMES);
  const years = year ? naiveSet(year, 1970, 2199) : null;
  const weekdayOf = (y: number, mo: number, d: number): number => new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  const nearest = (y: number, mo: number, d: number, dim: number): number => {
    const wd = weekdayOf(y, mo, d);
    if (wd === 6) return d === 1 ? 3 : d - 1;
    if (wd === 0) return d === dim ? d - 2 : d + 1;
    return d;
  };
  const domOk = (y: number, mo: number, d: number, dim: number): boolean => {
    if (dom === "?" || dom === "*") return true;
    return dom.split(",").some((item) => {
      if (item === "L") return d === dim;
      if (item === "LW") return d === nearest(y, mo, dim, dim);
      if (/^L-\d+W$/.test(item)) return dim - Number(item.slice(2, -1)) >= 1 && d === nearest(y, mo, dim - Number(item.slice(2, -1)), dim);
      if (/^L-\d+$/.test(item)) return d === dim - Number(item.slice(2));
      if (/^\d+W$/.test(item)) return Number(item.slice(0, -1)) <= dim && d === nearest(y, mo, Number(item.slice(0, -1)), dim);
      return naiveSet(item, 1, 31).has(d);
    });
  };
  const dowOk = (y: number, mo: number, d: number, dim: number): boolean => {
    if (dow === "?" || dow === "*") return true;
    const wd = weekdayOf(y, mo, d) + 1; // Quartz numbering
    return dow.split(",").some((item) => {
      if (item === "L") return wd === 7;
      if (/L$/.test(item)) return wd === naiveSet(item.slice(0, -1), 1, 7, DAY_NAMES).values().next().value && d + 7 > dim;
      if (item.includes("#")) {
        const [n, k] = item.split("#");
        return wd === naiveSet(n, 1, 7, DAY_NAMES).values().next().value && Math.ceil(d / 7) === Number(k);
      }
      return naiveSet(item, 1, 7, DAY_NAMES).has(wd);
    });
  };
  const firstDay = Math.floor(from / 86400);
  for (let day = firstDay; day < firstDay + 366 * 12; day++) {
    const date = new Date(day * 86_400_000);
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (y > 2199) return NO_FIRE;
    const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if ((years && !years.has(y)) || !months.has(mo) || !domOk(y, mo, d, dim) || !dowOk(y, mo, d, dim)) continue;
    for (const hh of hours) for (const mm of minutes) for (const ss of seconds) {
      const t = day * 86400 + hh * 3600 + mm * 60 + ss;
      if (t >= from) return t;
    }
  }
  return -99; // beyond the naive horizon
}

test("Quartz-only features agree with a naive day-by-day evaluator on 3,000 random expressions", (t) => {
  const random = new SeededRandom(99);
  const int = (lo: number, hi: number): number => lo + random.nextInt(hi - lo + 1);
  const pick = <T>(list: T[]): T => list[random.nextInt(list.length)];
  const small = (min: number, max: number): string =>
    pick([() => String(int(min, max)), () => `${int(min, max)},${int(min, max)}`.split(",").filter((v, i, a) => a.indexOf(v) === i).join(","), () => `${int(min, max)}-${int(min, max)}`])();
  const domItem = (): string => pick(["L", `L-${int(0, 5)}`, "LW", `L-${int(1, 5)}W`, `${int(1, 31)}W`, String(int(1, 31)), `${int(1, 28)}-${int(1, 31)}`]);
  const dowItem = (): string => pick(["L", `${int(1, 7)}L`, `${pick(DAY_NAMES)}L`, `${int(1, 7)}#${int(1, 5)}`, `${pick(DAY_NAMES)}-${pick(DAY_NAMES)}`, String(int(1, 7))]);
  let compared = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const useDom = random.nextInt(2) === 0;
    const dom = useDom ? Array.from({ length: int(1, 2) }, domItem).join(",") : "?";
    const dow = useDom ? "?" : Array.from({ length: int(1, 2) }, dowItem).join(",");
    const month = random.nextInt(3) === 0 ? `${pick(MONTH_NAMES)}-${pick(MONTH_NAMES)}` : "*";
    const year = random.nextInt(4) === 0 ? ` ${int(2020, 2040)}-${int(2040, 2060)}` : "";
    const expression = `${small(0, 59)} ${small(0, 59)} ${small(0, 23)} ${dom} ${month} ${dow}${year}`;
    let cron: CronExpression;
    try {
      cron = new CronExpression(expression);
    } catch (error) {
      t.true(error instanceof CronError);
      refused++;
      t.is(naiveNext(expression, at("2000-01-01T00:00:00")), -99, `${expression} refused but the naive evaluator finds a fire`);
      continue;
    }
    let from = at("2020-01-01T00:00:00") + random.nextInt(20 * 365 * 86400);
    for (let k = 0; k < 3; k++) {
      const expected = naiveNext(expression, from);
      if (expected === -99) break;
      const got = cron.next(from);
      compared++;
      if (got !== expected) {
        t.fail(`${expression} from ${iso(from)}: ours ${iso(got)}, naive ${iso(expected)}`);
        return;
      }
      if (got < 0) break;
      from = got + 1;
    }
  }
  t.log(`${compared} comparisons, ${refused} refused`);
  t.true(compared > 7000);
});
