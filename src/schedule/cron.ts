/**
 * Quartz cron on the device: parsed once into 22 int32 words (bit sets), next fire found arithmetically.
 *
 * Fields: seconds minutes hours day-of-month month day-of-week [year], separated by blanks.
 * - `*`, `?` (day fields only), lists `,`, ranges `a-b` (wrapping: `22-2`, `NOV-FEB`, `FRI-MON`), steps `a/n`,
 *   `*\/n`, `a-b/n`, names JAN-DEC and SUN-SAT (any case).
 * - Day-of-week is Quartz's 1-7 = SUN-SAT; `L` alone = 7 (Saturday); `nL` last weekday n of the month; `n#k` k-th
 *   weekday n (k 1-5; no fire in months without one).
 * - Day-of-month: `L` last day, `L-n` n days before it, `nW` nearest weekday to n within the month, `LW` last
 *   weekday, `L-nW` nearest weekday to L-n.
 * - Year 1970-2199.
 * Quartz requires exactly one day field to be `?`. We also accept `*` for the unused day field (`0 0 12 15 * *`),
 * since that has one meaning; both day fields restricted is refused (Quartz refuses it, Vixie cron ORs them).
 * Lists may mix special items (`1,15W,L`): the matching days are the union. Expressions that can never match a
 * calendar date (`0 0 0 30 2 ?`) are refused at parse time.
 *
 * The search works in wall seconds (seconds since 1970-01-01T00:00 of the clock the expression is read in) and
 * walks years, months, days, hours, minutes and seconds with bit scans and integer calendar arithmetic; the DST
 * policy lives in the planner, not here. Nothing in `cronNext` allocates.
 */
import { daysFromCivil, daysInMonth, civilFromDays, weekdayFromDays, ymdDay, ymdMonth, ymdYear, SECONDS_PER_DAY } from "../time/civil";
import { deepFreeze } from "../core/freeze";

// Word layout of a compiled expression (offsets from its base index). The day filter comes first and the words only
// some expressions read come last, so the task table can keep a prefix (see cronWordsUsed): simple, sun and trigger
// tasks read only the day filter (plainDayAllowed), dayMask reads W_DOM_NEAR_W .. W_DOW_NTH_HI only under FLAG_DOM or
// FLAG_DOW, and cronNext reads W_YEARS only under FLAG_YEARS.
export const W_FLAGS = 0;
export const W_MONTHS = 1; // bit m-1
export const W_DOW_DAYS = 2; // bit 0 = Sunday ... 6 = Saturday
export const W_DOM_DAYS = 3; // bit d-1
export const W_SEC_LO = 4; // seconds 0-29
export const W_SEC_HI = 5; // seconds 30-59
export const W_MIN_LO = 6;
export const W_MIN_HI = 7;
export const W_HOURS = 8; // bit h
export const W_DOM_NEAR_W = 9; // bit d-1: nearest weekday to d
export const W_DOM_LAST = 10; // bit n: L-n
export const W_DOM_LAST_W = 11; // bit n: nearest weekday to L-n
export const W_DOW_NTH_LO = 12; // bit (k-1)*7 + weekday for k = 1..4
export const W_DOW_NTH_HI = 13; // bit weekday for k = 5, bit 7 + weekday for "last"
export const W_YEARS = 14; // 8 words: bit (year - 1970)
export const CRON_WORDS = 22;
/** Words of the day filter (months, plain weekdays, plain days of the month, flags): all plainDayAllowed reads. */
export const DAY_FILTER_WORDS = 4;

export const FLAG_DOM = 1; // day-of-month restricted
export const FLAG_DOW = 2; // day-of-week restricted
export const FLAG_YEARS = 4; // year field restricted
/** Fires several times an hour or every hour: follows elapsed time across a DST overlap (see the planner). */
export const FLAG_INTERVAL = 8;

/**
 * How many leading words of an expression cronNext and dayMask can read, from its flags word: 9 (time and day
 * filter) when neither day field is restricted, 14 with a restricted day field, all 22 with a year field.
 */
export function cronWordsUsed(flags: number): number {
  return flags & FLAG_YEARS ? CRON_WORDS : flags & (FLAG_DOM | FLAG_DOW) ? W_YEARS : W_DOM_NEAR_W;
}

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;
/** No match up to MAX_YEAR. */
export const NO_FIRE = -1;
/** The search bound was hit (a bug or a pathological expression; counted by callers). */
export const SEARCH_BOUND_HIT = -2;
/** Upper bound of search steps: a step moves to the next candidate month, day, hour, minute or second. */
export const MAX_SEARCH_STEPS = 4096;

const FIELD_NAMES = deepFreeze(["seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"]);
const MONTH_NAMES = deepFreeze(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]);
const DAY_NAMES = deepFreeze(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]);
/** One bit per week, five weeks: shifted by (first day - 1) it marks every occurrence of a weekday in a month. */
const WEEKLY = 0x10204081;

/** The expression is malformed or impossible; `field` names the field (or "expression"). */
export class CronError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`cron ${field}: ${problem}`);
    this.name = "CronError";
  }
}

function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Next set bit at or after v in a 60-bit set split into two 30-bit words, or -1. */
function nextBit60(lo: number, hi: number, v: number): number {
  if (v < 30) {
    const rest = lo >>> v;
    if (rest !== 0) return v + lowestBit(rest);
    return hi !== 0 ? 30 + lowestBit(hi) : -1;
  }
  const rest = hi >>> (v - 30);
  return rest !== 0 ? v + lowestBit(rest) : -1;
}

function yearAllowed(w: Int32Array, b: number, year: number): boolean {
  const i = year - MIN_YEAR;
  return (w[b + W_YEARS + (i >> 5)] & (1 << (i & 31))) !== 0;
}

/** First allowed year >= year, or -1. */
function nextYear(w: Int32Array, b: number, year: number): number {
  if (year < MIN_YEAR) year = MIN_YEAR;
  for (let i = year - MIN_YEAR; i <= MAX_YEAR - MIN_YEAR; ) {
    const rest = w[b + W_YEARS + (i >> 5)] >>> (i & 31);
    if (rest !== 0) {
      const found = i + lowestBit(rest);
      return found <= MAX_YEAR - MIN_YEAR ? MIN_YEAR + found : -1;
    }
    i = (i | 31) + 1;
  }
  return -1;
}

/** Day `n` moved to the nearest weekday (Mon-Fri) without leaving the month. */
function nearestWeekday(n: number, length: number, firstWeekday: number): number {
  const weekday = (firstWeekday + n - 1) % 7;
  if (weekday === 6) return n === 1 ? 3 : n - 1;
  if (weekday === 0) return n === length ? n - 2 : n + 1;
  return n;
}

/** Bit set (bit d-1) of the days of month `month` of `year` the day fields allow. */
export function dayMask(w: Int32Array, b: number, year: number, month: number): number {
  const length = daysInMonth(year, month);
  const full = length === 31 ? 0x7fffffff : (1 << length) - 1;
  const flags = w[b + W_FLAGS];
  if ((flags & (FLAG_DOM | FLAG_DOW)) === 0) return full;
  const firstWeekday = weekdayFromDays(daysFromCivil(year, month, 1));
  let mask = 0;
  if (flags & FLAG_DOM) {
    mask |= w[b + W_DOM_DAYS] & full;
    for (let bits = w[b + W_DOM_NEAR_W]; bits !== 0; bits &= bits - 1) {
      const n = lowestBit(bits) + 1;
      if (n <= length) mask |= 1 << (nearestWeekday(n, length, firstWeekday) - 1);
    }
    for (let bits = w[b + W_DOM_LAST]; bits !== 0; bits &= bits - 1) {
      const day = length - lowestBit(bits);
      if (day >= 1) mask |= 1 << (day - 1);
    }
    for (let bits = w[b + W_DOM_LAST_W]; bits !== 0; bits &= bits - 1) {
      const day = length - lowestBit(bits);
      if (day >= 1) mask |= 1 << (nearestWeekday(day, length, firstWeekday) - 1);
    }
  }
  if (flags & FLAG_DOW) {
    const plain = w[b + W_DOW_DAYS];
    const nthLo = w[b + W_DOW_NTH_LO];
    const nthHi = w[b + W_DOW_NTH_HI];
    for (let weekday = 0; weekday < 7; weekday++) {
      const first = 1 + ((weekday - firstWeekday + 7) % 7);
      if (plain & (1 << weekday)) mask |= (WEEKLY << (first - 1)) & full;
      for (let k = 1; k <= 4; k++) if (nthLo & (1 << ((k - 1) * 7 + weekday))) mask |= 1 << (first + 7 * (k - 1) - 1);
      if (nthHi & (1 << weekday) && first + 28 <= length) mask |= 1 << (first + 27);
      if (nthHi & (1 << (7 + weekday))) mask |= 1 << (first + 7 * Math.floor((length - first) / 7) - 1);
    }
  }
  return mask;
}

/**
 * First wall second >= `from` that the expression at `w[b..]` matches; NO_FIRE when none up to MAX_YEAR,
 * SEARCH_BOUND_HIT when the step bound was reached.
 */
export function cronNext(w: Int32Array, b: number, from: number): number {
  const dayNumber = Math.floor(from / SECONDS_PER_DAY);
  const secondOfDay = from - dayNumber * SECONDS_PER_DAY;
  const ymd = civilFromDays(dayNumber);
  let year = ymdYear(ymd);
  let month = ymdMonth(ymd);
  let day = ymdDay(ymd);
  let hour = Math.floor(secondOfDay / 3600);
  let minute = Math.floor((secondOfDay % 3600) / 60);
  let second = secondOfDay % 60;
  const yearsRestricted = (w[b + W_FLAGS] & FLAG_YEARS) !== 0;
  let maskYear = -1;
  let maskMonth = -1;
  let mask = 0;
  for (let step = 0; step < MAX_SEARCH_STEPS; step++) {
    if (year > MAX_YEAR) return NO_FIRE;
    if (year < MIN_YEAR || (yearsRestricted && !yearAllowed(w, b, year))) {
      const next = yearsRestricted ? nextYear(w, b, year + 1) : MIN_YEAR;
      if (next < 0) return NO_FIRE;
      year = next;
      month = 1;
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    const months = w[b + W_MONTHS] >>> (month - 1);
    if (months === 0) {
      year++;
      month = 1;
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    const nextMonth = month + lowestBit(months);
    if (nextMonth !== month) {
      month = nextMonth;
      day = 1;
      hour = minute = second = 0;
    }
    if (year !== maskYear || month !== maskMonth) {
      mask = dayMask(w, b, year, month);
      maskYear = year;
      maskMonth = month;
    }
    const days = day > 31 ? 0 : mask >>> (day - 1);
    if (days === 0) {
      if (++month > 12) {
        year++;
        month = 1;
      }
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    const nextDay = day + lowestBit(days);
    if (nextDay !== day) {
      day = nextDay;
      hour = minute = second = 0;
    }
    const hours = w[b + W_HOURS] >>> hour;
    if (hours === 0) {
      day++;
      hour = minute = second = 0;
      continue;
    }
    const nextHour = hour + lowestBit(hours);
    if (nextHour !== hour) {
      hour = nextHour;
      minute = second = 0;
    }
    const nextMinute = nextBit60(w[b + W_MIN_LO], w[b + W_MIN_HI], minute);
    if (nextMinute < 0) {
      minute = second = 0;
      if (++hour > 23) {
        hour = 0;
        day++;
      }
      continue;
    }
    if (nextMinute !== minute) {
      minute = nextMinute;
      second = 0;
    }
    const nextSecond = nextBit60(w[b + W_SEC_LO], w[b + W_SEC_HI], second);
    if (nextSecond < 0) {
      second = 0;
      if (++minute > 59) {
        minute = 0;
        if (++hour > 23) {
          hour = 0;
          day++;
        }
      }
      continue;
    }
    return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + nextSecond;
  }
  return SEARCH_BOUND_HIT;
}

// ---------------------------------------------------------------- parsing (command rate: may allocate)

interface FieldSpec {
  index: number;
  min: number;
  max: number;
  names: string[] | null;
}

const SPECS: FieldSpec[] = deepFreeze([
  { index: 0, min: 0, max: 59, names: null },
  { index: 1, min: 0, max: 59, names: null },
  { index: 2, min: 0, max: 23, names: null },
  { index: 3, min: 1, max: 31, names: null },
  { index: 4, min: 1, max: 12, names: MONTH_NAMES },
  { index: 5, min: 1, max: 7, names: DAY_NAMES },
  { index: 6, min: MIN_YEAR, max: MAX_YEAR, names: null },
]);

class FieldParser {
  constructor(
    readonly spec: FieldSpec,
    readonly text: string,
  ) {}

  fail(problem: string): never {
    throw new CronError(`field ${this.spec.index + 1} (${FIELD_NAMES[this.spec.index]}) "${this.text}"`, problem);
  }

  /** A number or (for month/day-of-week) a name, in the field's own numbering. */
  value(token: string): number {
    const spec = this.spec;
    let value: number;
    if (/^\d+$/.test(token)) {
      value = Number(token);
    } else if (spec.names) {
      const found = spec.names.indexOf(token.toUpperCase());
      if (found < 0) this.fail(`"${token}" is neither a number nor one of ${spec.names[0]}-${spec.names[spec.names.length - 1]}`);
      value = found + spec.min;
    } else {
      this.fail(`"${token}" is not a number`);
    }
    if (value < spec.min || value > spec.max) this.fail(`value ${value} out of ${spec.min}-${spec.max}`);
    return value;
  }

  /** Values of one plain item (`*`, `a`, `a-b`, with optional `/n`), in the field's numbering, via `add`. */
  plainItem(item: string, add: (value: number) => void): void {
    const spec = this.spec;
    let body = item;
    let step = 1;
    const slash = item.indexOf("/");
    if (slash >= 0) {
      body = item.slice(0, slash);
      const stepText = item.slice(slash + 1);
      if (!/^\d+$/.test(stepText)) this.fail(`step "${stepText}" is not a number`);
      step = Number(stepText);
      const span = spec.max - spec.min + 1;
      if (step < 1 || step >= span) this.fail(`step ${step} must be between 1 and ${span - 1}`);
      if (body === "") this.fail(`'/' needs a start ('*/${step}' or 'a/${step}')`);
    }
    let first: number;
    let last: number;
    if (body === "*") {
      first = spec.min;
      last = spec.max;
    } else {
      const dash = body.indexOf("-");
      if (dash > 0) {
        first = this.value(body.slice(0, dash));
        last = this.value(body.slice(dash + 1));
        if (last < first && spec.index === 6) this.fail(`year range ${first}-${last} runs backwards`);
      } else {
        first = this.value(body);
        last = slash >= 0 ? spec.max : first; // "a/n" runs to the end of the range
      }
    }
    // Wrapping ranges (22-2, NOV-FEB, FRI-MON) continue from the field's minimum.
    const span = spec.max - spec.min + 1;
    const count = last >= first ? last - first : last + span - first;
    for (let offset = 0; offset <= count; offset += step) {
      let value = first + offset;
      if (value > spec.max) value -= span;
      add(value);
    }
  }
}

/** Parse `text` into `out[base .. base + CRON_WORDS)`. Throws CronError naming the field and the problem. */
export function parseCronInto(text: string, out: Int32Array, base: number): void {
  if (typeof text !== "string") throw new CronError("expression", "must be a string");
  const fields = text.trim().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) {
    throw new CronError("expression", `needs 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), got ${fields[0] === "" ? 0 : fields.length}`);
  }
  out.fill(0, base, base + CRON_WORDS);
  let flags = 0;
  for (let f = 0; f < fields.length; f++) {
    const parser = new FieldParser(SPECS[f], fields[f]);
    const items = fields[f].split(",");
    if (items.some((item) => item === "")) parser.fail("empty list item");
    if (f === 3 || f === 5) {
      if (fields[f] === "?" || fields[f] === "*") continue; // unrestricted
      if (items.includes("?") || items.includes("*")) parser.fail("'?' and '*' cannot be combined with other items");
      if (f === 3) parseDayOfMonth(parser, items, out, base);
      else parseDayOfWeek(parser, items, out, base);
      flags |= f === 3 ? FLAG_DOM : FLAG_DOW;
      continue;
    }
    if (items.includes("?")) parser.fail("'?' is only allowed in day-of-month or day-of-week");
    if (f === 6) {
      if (fields[f] === "*") continue;
      flags |= FLAG_YEARS;
      for (const item of items) parser.plainItem(item, (year) => (out[base + W_YEARS + ((year - MIN_YEAR) >> 5)] |= 1 << ((year - MIN_YEAR) & 31)));
      continue;
    }
    for (const item of items) {
      parser.plainItem(item, (value) => {
        if (f <= 1) {
          const word = base + (f === 0 ? W_SEC_LO : W_MIN_LO) + (value >= 30 ? 1 : 0);
          out[word] |= 1 << value % 30;
        } else if (f === 2) out[base + W_HOURS] |= 1 << value;
        else out[base + W_MONTHS] |= 1 << (value - 1);
      });
    }
  }
  if (fields[3] === "?" && fields[5] === "?") throw new CronError("day fields", "'?' in both day-of-month and day-of-week; one of them must say which days");
  if ((flags & (FLAG_DOM | FLAG_DOW)) === (FLAG_DOM | FLAG_DOW)) {
    throw new CronError("day fields", "both day-of-month and day-of-week are restricted; Quartz needs '?' in one of them");
  }
  if (out[base + W_HOURS] === 0xffffff || popcount60(out[base + W_MIN_LO], out[base + W_MIN_HI]) * popcount60(out[base + W_SEC_LO], out[base + W_SEC_HI]) > 1) {
    flags |= FLAG_INTERVAL;
  }
  out[base + W_FLAGS] = flags;
  if (!matchesSomeDate(out, base)) throw new CronError("expression", `"${text}" never matches a calendar date`);
}

function popcount60(lo: number, hi: number): number {
  let count = 0;
  for (let bits = lo; bits !== 0; bits &= bits - 1) count++;
  for (let bits = hi; bits !== 0; bits &= bits - 1) count++;
  return count;
}

function parseDayOfMonth(parser: FieldParser, items: string[], out: Int32Array, base: number): void {
  for (const raw of items) {
    const item = raw.toUpperCase();
    let match: RegExpExecArray | null;
    if (item === "L" || item === "LW") {
      out[base + (item === "L" ? W_DOM_LAST : W_DOM_LAST_W)] |= 1;
    } else if ((match = /^L-(\d+)(W?)$/.exec(item))) {
      const offset = Number(match[1]);
      if (offset > 30) parser.fail(`L-${offset}: offset must be 0-30`);
      out[base + (match[2] ? W_DOM_LAST_W : W_DOM_LAST)] |= 1 << offset;
    } else if ((match = /^(\d+)W$/.exec(item))) {
      const day = parser.value(match[1]);
      out[base + W_DOM_NEAR_W] |= 1 << (day - 1);
    } else if (/[LW#]/.test(item)) {
      parser.fail(`"${raw}": use L, L-n, LW, L-nW or nW`);
    } else {
      parser.plainItem(raw, (day) => (out[base + W_DOM_DAYS] |= 1 << (day - 1)));
    }
  }
}

function parseDayOfWeek(parser: FieldParser, items: string[], out: Int32Array, base: number): void {
  for (const raw of items) {
    const item = raw.toUpperCase();
    let match: RegExpExecArray | null;
    if (item === "L") {
      out[base + W_DOW_DAYS] |= 1 << 6; // Quartz: "L" alone is the last day of the week, Saturday
    } else if ((match = /^([0-9]+|[A-Z]{3})L$/.exec(item))) {
      const weekday = parser.value(match[1]) - 1;
      out[base + W_DOW_NTH_HI] |= 1 << (7 + weekday);
    } else if ((match = /^([0-9]+|[A-Z]{3})#([0-9]+)$/.exec(item))) {
      const weekday = parser.value(match[1]) - 1;
      const k = Number(match[2]);
      if (k < 1 || k > 5) parser.fail(`"${raw}": the week after '#' must be 1-5`);
      if (k === 5) out[base + W_DOW_NTH_HI] |= 1 << weekday;
      else out[base + W_DOW_NTH_LO] |= 1 << ((k - 1) * 7 + weekday);
    } else if (item.includes("#") || item.endsWith("L")) {
      parser.fail(`"${raw}": use nL, n#k or L`);
    } else {
      parser.plainItem(raw, (day) => (out[base + W_DOW_DAYS] |= 1 << (day - 1)));
    }
  }
}

/**
 * Does any date satisfy the month, day and year fields? Without a year field the 28 years 2000-2027 hold every
 * combination of month length and weekday of the 1st; with one, the allowed years are checked (at most 230).
 */
function matchesSomeDate(w: Int32Array, b: number): boolean {
  const restricted = (w[b + W_FLAGS] & FLAG_YEARS) !== 0;
  const from = restricted ? MIN_YEAR : 2000;
  const to = restricted ? MAX_YEAR : 2027;
  for (let year = from; year <= to; year++) {
    if (restricted && !yearAllowed(w, b, year)) continue;
    for (let month = 1; month <= 12; month++) {
      if ((w[b + W_MONTHS] & (1 << (month - 1))) !== 0 && dayMask(w, b, year, month) !== 0) return true;
    }
  }
  return false;
}

/** A parsed expression with its own words (tests, tools); the scheduler keeps words in its task table instead. */
export class CronExpression {
  readonly words = new Int32Array(CRON_WORDS);

  constructor(readonly text: string) {
    parseCronInto(text, this.words, 0);
  }

  /** First matching wall second >= from (NO_FIRE / SEARCH_BOUND_HIT when none). */
  next(from: number): number {
    return cronNext(this.words, 0, from);
  }

  get interval(): boolean {
    return (this.words[W_FLAGS] & FLAG_INTERVAL) !== 0;
  }
}
