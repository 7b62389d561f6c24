/**
 * Syntax check of a POSIX TZ string (IEEE 1003.1 TZ, the form glibc and newlib accept, plus RFC 8536's extension of
 * the rule time to -167..167 hours), used to validate the `timezone` setting before it is stored.
 * It only says valid or not and why; the time code (src/time) is what interprets the string.
 *
 *   std offset [dst [offset] [,start[/time],end[/time]]]
 *   name:   3+ letters, or <3+ of [A-Za-z0-9+-]>     offset: [+-]hh[:mm[:ss]], hh 0..24
 *   date:   Jn (1..365) | n (0..365) | Mm.w.d (m 1..12, w 1..5, d 0..6)   time: [+-]hh[:mm[:ss]], hh 0..167
 */

class Cursor {
  at = 0;
  constructor(readonly s: string) {}
  peek(): string {
    return this.at < this.s.length ? this.s[this.at] : "";
  }
  done(): boolean {
    return this.at >= this.s.length;
  }
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isAlpha(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

function name(c: Cursor, what: string): string | null {
  const start = c.at;
  if (c.peek() === "<") {
    c.at++;
    while (!c.done() && c.peek() !== ">") {
      const ch = c.peek();
      if (!(isAlpha(ch) || isDigit(ch) || ch === "+" || ch === "-")) return `bad character in quoted ${what} name`;
      c.at++;
    }
    if (c.done()) return `unterminated <${what} name>`;
    c.at++;
    if (c.at - start - 2 < 3) return `${what} name shorter than 3 characters`;
    return null;
  }
  while (isAlpha(c.peek())) c.at++;
  if (c.at - start < 3) return `${what} name must be 3+ letters or <quoted>`;
  return null;
}

function number(c: Cursor, min: number, max: number, what: string): string | null {
  const start = c.at;
  let value = 0;
  while (isDigit(c.peek()) && c.at - start < 3) value = value * 10 + Number(c.s[c.at++]);
  if (c.at === start) return `${what} expected`;
  if (value < min || value > max) return `${what} ${value} outside ${min}..${max}`;
  return null;
}

function hms(c: Cursor, maxHours: number, what: string): string | null {
  if (c.peek() === "+" || c.peek() === "-") c.at++;
  const hours = number(c, 0, maxHours, `${what} hours`);
  if (hours !== null) return hours;
  for (let part = 0; part < 2 && c.peek() === ":"; part++) {
    c.at++;
    const sub = number(c, 0, 59, `${what} ${part === 0 ? "minutes" : "seconds"}`);
    if (sub !== null) return sub;
  }
  return null;
}

function date(c: Cursor): string | null {
  const ch = c.peek();
  if (ch === "J") {
    c.at++;
    return number(c, 1, 365, "Julian day");
  }
  if (ch === "M") {
    c.at++;
    const month = number(c, 1, 12, "month");
    if (month !== null) return month;
    if (c.peek() !== ".") return "Mm.w.d: '.' expected after the month";
    c.at++;
    const week = number(c, 1, 5, "week");
    if (week !== null) return week;
    if (c.peek() !== ".") return "Mm.w.d: '.' expected after the week";
    c.at++;
    return number(c, 0, 6, "weekday");
  }
  if (isDigit(ch)) return number(c, 0, 365, "day");
  return "rule date must be Jn, n or Mm.w.d";
}

function rule(c: Cursor): string | null {
  const problem = date(c);
  if (problem !== null) return problem;
  if (c.peek() === "/") {
    c.at++;
    return hms(c, 167, "rule time");
  }
  return null;
}

/** Returns null when `tz` is a valid POSIX TZ string, else a short description of the first problem. */
export function checkPosixTz(tz: string): string | null {
  if (tz.length === 0) return "empty";
  const c = new Cursor(tz);
  let problem = name(c, "std");
  if (problem !== null) return problem;
  problem = hms(c, 24, "std offset");
  if (problem !== null) return problem;
  if (c.done()) return null;
  problem = name(c, "dst");
  if (problem !== null) return problem;
  if (!c.done() && c.peek() !== ",") {
    problem = hms(c, 24, "dst offset");
    if (problem !== null) return problem;
  }
  if (c.done()) return null;
  if (c.peek() !== ",") return `unexpected '${c.peek()}' at ${c.at}`;
  c.at++;
  problem = rule(c);
  if (problem !== null) return problem;
  if (c.peek() !== ",") return "two rules (start,end) expected";
  c.at++;
  problem = rule(c);
  if (problem !== null) return problem;
  return c.done() ? null : `unexpected '${c.peek()}' at ${c.at}`;
}
