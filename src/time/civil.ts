/**
 * Proleptic Gregorian calendar arithmetic on integers (Howard Hinnant's days_from_civil / civil_from_days).
 *
 * Everything here is pure arithmetic on numbers: no Date, no allocation. Days are counted from 1970-01-01 (day 0);
 * a "wall second" is a count of seconds since 1970-01-01T00:00 of some clock (UTC or a local wall clock), so local
 * calendar fields come from `wallSecond = utcSecond + utcOffset` and the same functions.
 *
 * A civil date is returned packed as `year * 10000 + month * 100 + day` (e.g. 20260315) so a caller gets three
 * fields from one call without an object; `ymdYear`/`ymdMonth`/`ymdDay` unpack it.
 */

export const SECONDS_PER_DAY = 86_400;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Day number (days since 1970-01-01) of a civil date; month 1-12, day 1-31. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400; // [0, 399]
  const mp = month > 2 ? month - 3 : month + 9; // March = 0
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1; // [0, 365]
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy; // [0, 146096]
  return era * 146_097 + doe - 719_468;
}

/** Civil date of a day number, packed as year * 10000 + month * 100 + day. */
export function civilFromDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // [0, 146096]
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 10_000 + month * 100 + day;
}

export function ymdYear(packed: number): number {
  return Math.floor(packed / 10_000);
}

export function ymdMonth(packed: number): number {
  return Math.floor(packed / 100) % 100;
}

export function ymdDay(packed: number): number {
  return packed % 100;
}

/** Day of week of a day number: 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayFromDays(days: number): number {
  const w = (days + 4) % 7;
  return w < 0 ? w + 7 : w;
}

/** Day number of the floor of a second count. */
export function daysFromSeconds(seconds: number): number {
  return Math.floor(seconds / SECONDS_PER_DAY);
}

/** Year of a second count (UTC or wall), without building a date. */
export function yearFromSeconds(seconds: number): number {
  return ymdYear(civilFromDays(daysFromSeconds(seconds)));
}
