/**
 * POSIX TZ strings (`std offset [dst [offset] [,start[/time],end[/time]]]`), the way firmware knows a site's
 * daylight-saving rules without a tz database.
 *
 * The whole grammar of POSIX.1-2017 plus the RFC 8536 extension that real zones use:
 * - names: three or more letters, or quoted `<+08>`, `<-0330>`, `<UTC+1>`;
 * - offsets `[+-]hh[:mm[:ss]]`, positive WEST of UTC (`CET-1` is UTC+1); the DST offset defaults to one hour ahead
 *   of standard time;
 * - rules `Mm.w.d` (week 5 = last), `Jn` (1-365, February 29 never counted), `n` (0-365, counting February 29);
 * - rule times `/[+-]hhh[:mm[:ss]]` from -167 to 167 hours (America/Nuuk's `/-1`, Asia/Jerusalem's `/26`, the
 *   Palestinian `/50`), defaulting to 02:00;
 * - a DST name without rules takes the tzcode default `M3.2.0,M11.1.0`.
 * Negative DST (Europe/Dublin's `IST-1GMT0,M10.5.0,M3.5.0/1`) and southern-hemisphere rules (start after end in the
 * calendar year) need no special case: "DST" is simply the second offset, in effect between start and end.
 *
 * Offsets are stored as seconds EAST of UTC (local = utc + offset), the opposite sign of the string, so that the
 * rest of the firmware never meets the POSIX sign convention. All queries are pure arithmetic and allocate nothing.
 */
import { daysFromCivil, daysFromSeconds, daysInMonth, isLeapYear, SECONDS_PER_DAY, weekdayFromDays, yearFromSeconds } from "./civil";

/** The TZ string is malformed; `position` is the character index where parsing stopped. */
export class TzError extends Error {
  constructor(
    readonly text: string,
    readonly position: number,
    problem: string,
  ) {
    super(`TZ "${text}" at ${position}: ${problem}`);
    this.name = "TzError";
  }
}

/** Rule kinds. */
export const RULE_JULIAN_NO_LEAP = 0; // Jn
export const RULE_DAY_OF_YEAR = 1; // n
export const RULE_MONTH_WEEK_DAY = 2; // Mm.w.d

/** How a local wall time maps to UTC. */
export const LOCAL_UNIQUE = 0;
/** The wall time is skipped (spring forward). */
export const LOCAL_GAP = 1;
/** The wall time occurs twice (fall back). */
export const LOCAL_OVERLAP = 2;

const DEFAULT_RULE_TIME = 7200;

class Rule {
  kind = RULE_MONTH_WEEK_DAY;
  /** Jn / n: the day; Mm.w.d: the month. */
  a = 0;
  /** Mm.w.d: the week (1-5). */
  w = 0;
  /** Mm.w.d: the weekday (0 = Sunday). */
  d = 0;
  /** Seconds after local midnight of the rule's day, in the time in effect before the transition. */
  time = DEFAULT_RULE_TIME;

  /** Day number of the rule's day in `year`. */
  dayIn(year: number): number {
    if (this.kind === RULE_JULIAN_NO_LEAP) {
      // J60 is March 1 in every year: February 29 is not counted.
      return daysFromCivil(year, 1, 1) + this.a - 1 + (this.a >= 60 && isLeapYear(year) ? 1 : 0);
    }
    if (this.kind === RULE_DAY_OF_YEAR) return daysFromCivil(year, 1, 1) + this.a;
    const first = daysFromCivil(year, this.a, 1);
    let dayOfMonth = 1 + ((this.d - weekdayFromDays(first) + 7) % 7) + 7 * (this.w - 1);
    const length = daysInMonth(year, this.a);
    while (dayOfMonth > length) dayOfMonth -= 7; // week 5 = last
    return first + dayOfMonth - 1;
  }
}

export class PosixTimeZone {
  stdName = "";
  dstName = "";
  /** Seconds east of UTC in standard time. */
  stdOffset = 0;
  /** Seconds east of UTC while DST is in effect (equals stdOffset when the zone has no DST). */
  dstOffset = 0;
  hasDst = false;
  /** @internal the DST start rule (filled by the parser) */
  readonly start = new Rule();
  /** @internal the DST end rule */
  readonly end = new Rule();

  private constructor(readonly text: string) {}

  /** Parse a TZ string; throws TzError naming the position and the problem. */
  static parse(text: string): PosixTimeZone {
    return new Parser(text).parse(new PosixTimeZone(text));
  }

  /** The same zone at standard time all year (spec 003 `dstEnable = 0`). */
  standardOnly(): PosixTimeZone {
    const zone = new PosixTimeZone(this.text);
    zone.stdName = this.stdName;
    zone.stdOffset = this.stdOffset;
    zone.dstOffset = this.stdOffset;
    return zone;
  }

  /** UTC instant (seconds) at which DST starts in `year` (by the rule's local calendar). */
  dstStartUtc(year: number): number {
    return this.start.dayIn(year) * SECONDS_PER_DAY + this.start.time - this.stdOffset;
  }

  /** UTC instant (seconds) at which DST ends in `year`. */
  dstEndUtc(year: number): number {
    return this.end.dayIn(year) * SECONDS_PER_DAY + this.end.time - this.dstOffset;
  }

  isDstAt(utc: number): boolean {
    if (!this.hasDst) return false;
    const year = yearFromSeconds(utc + this.stdOffset);
    const start = this.dstStartUtc(year);
    const end = this.dstEndUtc(year);
    // Northern rules: DST inside [start, end). Southern and negative-DST rules: DST outside [end, start).
    return start < end ? utc >= start && utc < end : !(utc >= end && utc < start);
  }

  /** Seconds east of UTC in effect at the UTC instant `utc` (seconds). */
  offsetAt(utc: number): number {
    return this.isDstAt(utc) ? this.dstOffset : this.stdOffset;
  }

  /** Local wall seconds (seconds since 1970-01-01T00:00 of the local clock) at `utc`. */
  wallAt(utc: number): number {
    return utc + this.offsetAt(utc);
  }

  /** First rule transition strictly after `utc`, or Infinity when the zone has none. */
  nextTransition(utc: number): number {
    if (!this.hasDst) return Infinity;
    const year = yearFromSeconds(utc + this.stdOffset);
    let best = Infinity;
    for (let y = year - 1; y <= year + 1; y++) {
      const s = this.dstStartUtc(y);
      if (s > utc && s < best) best = s;
      const e = this.dstEndUtc(y);
      if (e > utc && e < best) best = e;
    }
    return best;
  }

  /** Last rule transition at or before `utc`, or -Infinity when the zone has none. */
  previousTransition(utc: number): number {
    if (!this.hasDst) return -Infinity;
    const year = yearFromSeconds(utc + this.stdOffset);
    let best = -Infinity;
    for (let y = year - 1; y <= year + 1; y++) {
      const s = this.dstStartUtc(y);
      if (s <= utc && s > best) best = s;
      const e = this.dstEndUtc(y);
      if (e <= utc && e > best) best = e;
    }
    return best;
  }

  /** LOCAL_UNIQUE, LOCAL_GAP or LOCAL_OVERLAP for a local wall time (wall seconds). */
  classifyLocal(wall: number): number {
    const viaStd = this.offsetAt(wall - this.stdOffset) === this.stdOffset;
    const viaDst = this.hasDst && this.offsetAt(wall - this.dstOffset) === this.dstOffset;
    if (viaStd && viaDst) return LOCAL_OVERLAP;
    return viaStd || viaDst ? LOCAL_UNIQUE : LOCAL_GAP;
  }

  /**
   * UTC instant of a local wall time. In an overlap, `later` picks the second occurrence (else the first); in a gap
   * the answer is the transition instant itself (the moment the skipped wall times are jumped over).
   */
  localToUtc(wall: number, later = false): number {
    const viaStd = wall - this.stdOffset;
    const viaDst = wall - this.dstOffset;
    const stdOk = this.offsetAt(viaStd) === this.stdOffset;
    const dstOk = this.hasDst && this.offsetAt(viaDst) === this.dstOffset;
    if (stdOk && dstOk) {
      const first = viaStd < viaDst ? viaStd : viaDst;
      return later ? viaStd + viaDst - first : first;
    }
    if (stdOk) return viaStd;
    if (dstOk) return viaDst;
    return this.nextTransition(viaStd < viaDst ? viaStd : viaDst);
  }
}

/** Recursive-descent parser over the TZ string; every error names the position. */
class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(zone: PosixTimeZone): PosixTimeZone {
    const text = this.text;
    if (text.length === 0) this.fail("empty TZ string");
    if (text.charCodeAt(0) === 58 /* : */) this.fail("':'-prefixed TZ names need a tz database; give a POSIX rule");
    zone.stdName = this.name("standard-time name");
    if (this.atEnd()) this.fail("missing UTC offset after the standard-time name");
    zone.stdOffset = -this.offset(24, "standard-time offset");
    zone.dstOffset = zone.stdOffset;
    if (this.atEnd()) return zone;
    zone.dstName = this.name("DST name");
    zone.dstOffset = zone.stdOffset + 3600;
    if (!this.atEnd() && this.peek() !== 44 /* , */) zone.dstOffset = -this.offset(24, "DST offset");
    const start = zone.start;
    const end = zone.end;
    if (this.atEnd()) {
      // tzcode's default when a DST name comes without rules (the US rules since 2007).
      setMonthRule(start, 3, 2, 0);
      setMonthRule(end, 11, 1, 0);
    } else {
      this.expect(44, "',' before the DST start rule");
      this.rule(start, "DST start rule");
      this.expect(44, "',' before the DST end rule");
      this.rule(end, "DST end rule");
      if (!this.atEnd()) this.fail(`unexpected "${text.slice(this.i)}" after the DST end rule`);
    }
    zone.hasDst = zone.dstOffset !== zone.stdOffset;
    return zone;
  }

  private name(what: string): string {
    const text = this.text;
    const begin = this.i;
    if (this.peek() === 60 /* < */) {
      this.i++;
      while (!this.atEnd() && this.peek() !== 62 /* > */) {
        const c = this.peek();
        if (!(isAlpha(c) || isDigit(c) || c === 43 || c === 45)) this.fail(`invalid character in quoted ${what}`);
        this.i++;
      }
      if (this.atEnd()) this.fail(`unterminated quoted ${what} (missing '>')`);
      const name = text.slice(begin + 1, this.i);
      this.i++;
      if (name.length < 3) this.failAt(begin, `${what} "<${name}>" must have at least 3 characters`);
      return name;
    }
    while (!this.atEnd() && isAlpha(this.peek())) this.i++;
    if (this.i - begin < 3) this.failAt(begin, `${what} must be at least 3 letters or quoted like <+08>`);
    return text.slice(begin, this.i);
  }

  /** `[+-]hh[:mm[:ss]]` in seconds, sign as written. */
  private offset(maxHours: number, what: string): number {
    let sign = 1;
    const c = this.peek();
    if (c === 43 /* + */ || c === 45 /* - */) {
      if (c === 45) sign = -1;
      this.i++;
    }
    const hours = this.number(what, 3);
    if (hours > maxHours) this.fail(`${what}: hours ${hours} above ${maxHours}`);
    let seconds = hours * 3600;
    if (this.peek() === 58 /* : */) {
      this.i++;
      const minutes = this.number(`${what} minutes`, 2);
      if (minutes > 59) this.fail(`${what}: minutes ${minutes} above 59`);
      seconds += minutes * 60;
      if (this.peek() === 58) {
        this.i++;
        const secs = this.number(`${what} seconds`, 2);
        if (secs > 59) this.fail(`${what}: seconds ${secs} above 59`);
        seconds += secs;
      }
    }
    return sign * seconds;
  }

  private rule(rule: Rule, what: string): void {
    const c = this.peek();
    if (c === 77 /* M */) {
      this.i++;
      const month = this.number(`${what} month`, 2);
      if (month < 1 || month > 12) this.fail(`${what}: month ${month} not in 1-12`);
      this.expect(46, `'.' after the ${what} month`);
      const week = this.number(`${what} week`, 1);
      if (week < 1 || week > 5) this.fail(`${what}: week ${week} not in 1-5`);
      this.expect(46, `'.' after the ${what} week`);
      const day = this.number(`${what} weekday`, 1);
      if (day > 6) this.fail(`${what}: weekday ${day} not in 0-6`);
      setMonthRule(rule, month, week, day);
    } else if (c === 74 /* J */) {
      this.i++;
      const day = this.number(`${what} Julian day`, 3);
      if (day < 1 || day > 365) this.fail(`${what}: Julian day ${day} not in 1-365`);
      rule.kind = RULE_JULIAN_NO_LEAP;
      rule.a = day;
    } else if (isDigit(c)) {
      const day = this.number(`${what} day`, 3);
      if (day > 365) this.fail(`${what}: day ${day} not in 0-365`);
      rule.kind = RULE_DAY_OF_YEAR;
      rule.a = day;
    } else {
      this.fail(`${what} must start with 'M', 'J' or a digit`);
    }
    rule.time = DEFAULT_RULE_TIME;
    if (this.peek() === 47 /* / */) {
      this.i++;
      rule.time = this.offset(167, `${what} time`);
    }
  }

  private number(what: string, maxDigits: number): number {
    const begin = this.i;
    let value = 0;
    while (!this.atEnd() && isDigit(this.peek())) {
      value = value * 10 + (this.peek() - 48);
      this.i++;
    }
    if (this.i === begin) this.fail(`expected a number for the ${what}`);
    if (this.i - begin > maxDigits) this.failAt(begin, `${what} has more than ${maxDigits} digits`);
    return value;
  }

  private expect(code: number, what: string): void {
    if (this.peek() !== code) this.fail(`expected ${what}`);
    this.i++;
  }

  private peek(): number {
    return this.i < this.text.length ? this.text.charCodeAt(this.i) : -1;
  }

  private atEnd(): boolean {
    return this.i >= this.text.length;
  }

  private fail(problem: string): never {
    throw new TzError(this.text, this.i, problem);
  }

  private failAt(position: number, problem: string): never {
    throw new TzError(this.text, position, problem);
  }
}

function setMonthRule(rule: Rule, month: number, week: number, day: number): void {
  rule.kind = RULE_MONTH_WEEK_DAY;
  rule.a = month;
  rule.w = week;
  rule.d = day;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Local calendar day number at a UTC instant in `zone`. */
export function localDayAt(zone: PosixTimeZone, utc: number): number {
  return daysFromSeconds(zone.wallAt(utc));
}
