/**
 * The site's local month, which picks the month's demand limit out of over_demand_condition.
 *
 * The site's time zone is a POSIX TZ string (config.site.timezone, e.g. "CST-8"). This file handles the
 * fixed-offset form (`std offset`, what China uses); a zone with a daylight-saving part uses its standard offset
 * and says so through `ignoresDst`. The time helper's src/time/ (full POSIX TZ) can replace it behind LocalCalendar.
 */

export interface LocalCalendar {
  /** Local month 1..12 of a UTC wall time in ms. */
  month(wallMs: number): number;
}

const MS_PER_DAY = 86_400_000;

/** Month 1..12 of a day count since 1970-01-01 (Howard Hinnant's civil_from_days, integer arithmetic only). */
export function monthOfDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return mp < 10 ? mp + 3 : mp - 9;
}

export class TimezoneError extends Error {
  constructor(readonly tz: string, problem: string) {
    super(`timezone "${tz}": ${problem}`);
    this.name = "TimezoneError";
  }
}

const POSIX_TZ = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?)(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?(.*)$/;

/** Fixed UTC offset of a POSIX TZ string's standard time: "CST-8" -> +8 h (POSIX counts west as positive). */
export class FixedOffsetCalendar implements LocalCalendar {
  readonly offsetMs: number;
  /** The zone has a daylight-saving part that this calendar does not apply. */
  readonly ignoresDst: boolean;

  constructor(readonly tz: string) {
    const m = POSIX_TZ.exec(tz);
    if (!m) throw new TimezoneError(tz, "not a POSIX TZ string such as CST-8");
    const hours = Number(m[2]);
    const minutes = m[3] === undefined ? 0 : Number(m[3]);
    const seconds = m[4] === undefined ? 0 : Number(m[4]);
    if (hours > 24 || minutes > 59 || seconds > 59) throw new TimezoneError(tz, "offset out of range");
    const west = m[1] !== "-";
    const magnitude = ((hours * 60 + minutes) * 60 + seconds) * 1000;
    this.offsetMs = west ? -magnitude : magnitude;
    this.ignoresDst = m[5].length > 0;
  }

  month(wallMs: number): number {
    return monthOfDays(Math.floor((wallMs + this.offsetMs) / MS_PER_DAY));
  }
}
