/**
 * Next fire instants (UTC seconds) of wall-clock schedules under the DST policy, and of sunrise/sunset schedules.
 *
 * DST policy (docs/schedule.md): a wall time skipped by spring-forward fires once, at the transition instant; a
 * wall time repeated by fall-back fires once (first pass) for fixed schedules, and in both passes for interval
 * schedules (cron FLAG_INTERVAL), which therefore follow elapsed time.
 *
 * The UTC axis is cut into segments of constant offset at the zone's transitions. Inside a segment wall time is
 * `utc + offset`, monotonic, so the cron search runs on wall seconds and maps back by subtraction. Nothing here
 * allocates.
 */
import { civilFromDays, SECONDS_PER_DAY, weekdayFromDays, ymdDay, ymdMonth, ymdYear } from "../time/civil";
import type { PosixTimeZone } from "../time/posix-tz";
import { sunEventUtc } from "../time/solar";
import { cronNext, dayMask, FLAG_DOM, FLAG_DOW, FLAG_INTERVAL, NO_FIRE, SEARCH_BOUND_HIT, W_DOM_DAYS, W_DOW_DAYS, W_FLAGS, W_MONTHS } from "./cron";

/** Most offset segments one search crosses (two per year of a DST zone, far-future years are jumped over). */
export const MAX_SEGMENTS = 64;
/** Days a sunrise/sunset search looks ahead (a polar night lasts months; a month filter may skip 11 of 12). */
export const MAX_SUN_DAYS = 400;

/** First fire strictly after `after` (UTC seconds) of the cron words at `w[b..]` read in `zone`'s wall clock. */
export function nextWallFire(w: Int32Array, b: number, zone: PosixTimeZone, after: number): number {
  const interval = (w[b + W_FLAGS] & FLAG_INTERVAL) !== 0;
  const maxOffset = zone.stdOffset > zone.dstOffset ? zone.stdOffset : zone.dstOffset;
  let t = after + 1;
  for (let segment = 0; segment < MAX_SEGMENTS; segment++) {
    const offset = zone.offsetAt(t);
    const end = zone.nextTransition(t);
    let wallFrom = t + offset;
    if (!interval) {
      // Second pass of a fall-back: the wall times before `start + before` were already shown (and fired).
      const start = zone.previousTransition(t);
      if (start !== -Infinity) {
        const before = zone.offsetAt(start - 1);
        if (before > offset && wallFrom < start + before) wallFrom = start + before;
      }
    }
    const wall = cronNext(w, b, wallFrom);
    if (wall < 0) return wall;
    if (end === Infinity || wall < end + offset) return wall - offset;
    const offsetAfter = zone.offsetAt(end);
    // Spring-forward skips the wall times [end + offset, end + offsetAfter): they fire at the transition.
    if (offsetAfter > offset && wall < end + offsetAfter) return end;
    if (offsetAfter < offset) {
      // Fall-back: wall times already passed in this segment come round again after `end`; search them there.
      t = end;
      continue;
    }
    // No fire before `wall` anywhere: jump straight to the segment that can hold it.
    const jump = wall - maxOffset;
    t = jump > end ? jump : end;
  }
  return SEARCH_BOUND_HIT;
}

/** Does the day filter (months, day-of-month, day-of-week) of `w[b..]` allow local day number `day`? */
export function dayAllowed(w: Int32Array, b: number, day: number): boolean {
  const ymd = civilFromDays(day);
  const month = ymdMonth(ymd);
  if ((w[b + W_MONTHS] & (1 << (month - 1))) === 0) return false;
  return (dayMask(w, b, ymdYear(ymd), month) & (1 << (ymdDay(ymd) - 1))) !== 0;
}

/**
 * The same for the plain filters of simple and trigger tasks (a `period` of week or month: only plain weekday or
 * day-of-month bits, no L/W/#): a few bit tests on the day's precomputed fields.
 */
export function plainDayAllowed(w: Int32Array, b: number, month: number, dayOfMonth: number, weekday: number): boolean {
  const flags = w[b + W_FLAGS];
  if ((w[b + W_MONTHS] & (1 << (month - 1))) === 0) return false;
  if (flags & FLAG_DOW && (w[b + W_DOW_DAYS] & (1 << weekday)) === 0) return false;
  if (flags & FLAG_DOM && (w[b + W_DOM_DAYS] & (1 << (dayOfMonth - 1))) === 0) return false;
  return true;
}

/**
 * First sunrise or sunset (`kind`, solar.ts) plus `offset` seconds strictly after `after`, on local days the filter
 * at `w[b..]` (a plain filter, see plainDayAllowed) allows. Days without the event (polar day or night) are skipped; NO_FIRE when none within
 * MAX_SUN_DAYS.
 */
export function nextSunFire(
  w: Int32Array,
  b: number,
  zone: PosixTimeZone,
  kind: number,
  offset: number,
  latitude: number,
  longitude: number,
  after: number,
): number {
  // The event of a local date lies within about a day of that date's midnight, offset included (|offset| <= 12 h).
  const firstDay = Math.floor((zone.wallAt(after) - offset) / SECONDS_PER_DAY) - 1;
  for (let day = firstDay; day < firstDay + MAX_SUN_DAYS; day++) {
    const ymd = civilFromDays(day);
    if (!plainDayAllowed(w, b, ymdMonth(ymd), ymdDay(ymd), weekdayFromDays(day))) continue;
    const event = sunEventUtc(kind, day, latitude, longitude);
    if (event !== event) continue; // no sunrise/sunset that day
    const fire = event + offset;
    if (fire > after) return fire;
  }
  return NO_FIRE;
}
