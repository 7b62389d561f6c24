/**
 * The site's local month, which picks the month's demand limit out of over_demand_condition.
 *
 * The site's time zone is a POSIX TZ string (config.site.timezone, e.g. "CST-8"), evaluated by src/time (DST rules
 * included, so a site on daylight time changes month at its local midnight). Pure integer arithmetic, no
 * allocation: it runs on the control tick.
 */
import { civilFromDays, daysFromSeconds, ymdMonth } from "../../time/civil";
import { PosixTimeZone } from "../../time/posix-tz";

export interface LocalCalendar {
  /** Local month 1..12 of a UTC wall time in ms. */
  month(wallMs: number): number;
  /** Local year and month as yyyymm (e.g. 202406) of a UTC wall time in ms. */
  monthKey(wallMs: number): number;
}

export class PosixCalendar implements LocalCalendar {
  /** Throws src/time's TzError when `tz` is malformed (the config check refuses such a config first). */
  constructor(readonly zone: PosixTimeZone) {}

  static fromTz(tz: string): PosixCalendar {
    return new PosixCalendar(PosixTimeZone.parse(tz));
  }

  month(wallMs: number): number {
    return ymdMonth(this.localDate(wallMs));
  }

  monthKey(wallMs: number): number {
    return Math.floor(this.localDate(wallMs) / 100);
  }

  /** Local date packed as yyyymmdd. */
  private localDate(wallMs: number): number {
    return civilFromDays(daysFromSeconds(this.zone.wallAt(Math.floor(wallMs / 1000))));
  }
}
