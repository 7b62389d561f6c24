/**
 * Sunrise and sunset by NOAA's solar equations (the Meeus-based "General Solar Position" spreadsheet): about one
 * minute of accuracy within +/-72 degrees of latitude, with the standard -0.833 degree horizon (refraction plus the
 * sun's radius).
 *
 * "The sunrise of local date D" is the event of the solar day whose mean solar noon is D 12:00 at the site's
 * longitude; the event's UTC instant does not depend on the time zone (only the choice of D does). When the sun
 * stays up or down all day (polar day, polar night) there is no event: the result says so and carries NaN, never a
 * made-up time. Pure arithmetic over numbers; results go into a caller-owned SunTimes so nothing is allocated.
 */
import { SECONDS_PER_DAY } from "./civil";

/** Both events exist. */
export const SUN_NORMAL = 0;
/** The sun does not set (nor rise) that solar day. */
export const SUN_POLAR_DAY = 1;
/** The sun does not rise (nor set) that solar day. */
export const SUN_POLAR_NIGHT = 2;

export const SUNRISE = 0;
export const SUNSET = 1;

/** Result of one day's computation (reused: fill with `computeSunTimes`). */
export class SunTimes {
  /** UTC seconds, NaN when there is no sunrise that day. */
  sunrise = NaN;
  /** UTC seconds, NaN when there is no sunset that day. */
  sunset = NaN;
  /** SUN_NORMAL, or why an event is missing. */
  state = SUN_NORMAL;
}

const RAD = Math.PI / 180;
/** cos(90.833 deg): the sun's centre 50' below the horizon. */
const COS_ZENITH = Math.cos(90.833 * RAD);

/**
 * One event of local date `day` (days since 1970-01-01 of the local calendar) at latitude/longitude in degrees
 * (north and east positive). Returns UTC seconds, or NaN when the sun does not cross the horizon; `out.state` (when
 * given) is then set to which way. The solar position is computed inline into locals, not by a helper writing
 * module variables: the module is preloaded into flash on the device and keeps no state of its own.
 */
function sunEvent(kind: number, day: number, latitude: number, longitude: number, out: SunTimes | null): number {
  const meanNoon = day * SECONDS_PER_DAY + 43_200 - longitude * 240;
  const phi = latitude * RAD;
  let instant = meanNoon;
  // Evaluate the sun's position at the event itself: three rounds converge to well under a second.
  for (let round = 0; round < 3; round++) {
    // Declination (radians) and equation of time (minutes) at the UTC instant `instant` (seconds).
    const T = (instant / SECONDS_PER_DAY + 2_440_587.5 - 2_451_545) / 36_525;
    const meanLongitude = (280.46646 + T * (36_000.76983 + T * 0.0003032)) % 360;
    const meanAnomaly = 357.52911 + T * (35_999.05029 - 0.0001537 * T);
    const eccentricity = 0.016708634 - T * (0.000042037 + 0.0000001267 * T);
    const M = meanAnomaly * RAD;
    const center = Math.sin(M) * (1.914602 - T * (0.004817 + 0.000014 * T)) + Math.sin(2 * M) * (0.019993 - 0.000101 * T) + Math.sin(3 * M) * 0.000289;
    const omega = (125.04 - 1934.136 * T) * RAD;
    const apparentLongitude = (meanLongitude + center - 0.00569 - 0.00478 * Math.sin(omega)) * RAD;
    const meanObliquity = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60;
    const obliquity = (meanObliquity + 0.00256 * Math.cos(omega)) * RAD;
    const declination = Math.asin(Math.sin(obliquity) * Math.sin(apparentLongitude));
    const y = Math.tan(obliquity / 2) * Math.tan(obliquity / 2);
    const L0 = meanLongitude * RAD;
    const equationOfTimeMinutes =
      (4 / RAD) *
      (y * Math.sin(2 * L0) -
        2 * eccentricity * Math.sin(M) +
        4 * eccentricity * y * Math.sin(M) * Math.cos(2 * L0) -
        0.5 * y * y * Math.sin(4 * L0) -
        1.25 * eccentricity * eccentricity * Math.sin(2 * M));

    const noon = meanNoon - equationOfTimeMinutes * 60;
    const cosH = (COS_ZENITH - Math.sin(phi) * Math.sin(declination)) / (Math.cos(phi) * Math.cos(declination));
    if (cosH > 1 || cosH < -1) {
      // At solar noon's position: a real polar day or night. Later rounds only tip over when the sun merely
      // grazes the horizon near the polar boundary; the previous estimate is then the best there is.
      if (round === 0) {
        if (out) out.state = cosH > 1 ? SUN_POLAR_NIGHT : SUN_POLAR_DAY;
        return NaN;
      }
      return instant;
    }
    const hourAngleSeconds = (Math.acos(cosH) / RAD) * 240;
    instant = kind === SUNRISE ? noon - hourAngleSeconds : noon + hourAngleSeconds;
  }
  return instant;
}

function roundedUtc(instant: number): number {
  return instant === instant ? Math.round(instant) : NaN;
}

/** Sunrise or sunset of local date `day` in UTC seconds (rounded to the second), or NaN when there is none. */
export function sunEventUtc(kind: number, day: number, latitude: number, longitude: number): number {
  return roundedUtc(sunEvent(kind, day, latitude, longitude, null));
}

/** Fill `out` with both events of local date `day`; `out.state` says why an event is missing (sunrise's reason first). */
export function computeSunTimes(day: number, latitude: number, longitude: number, out: SunTimes): SunTimes {
  out.state = SUN_NORMAL;
  out.sunrise = roundedUtc(sunEvent(SUNRISE, day, latitude, longitude, out));
  const riseState = out.state;
  out.sunset = roundedUtc(sunEvent(SUNSET, day, latitude, longitude, out));
  if (riseState !== SUN_NORMAL) out.state = riseState;
  return out;
}
