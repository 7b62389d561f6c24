import test from "ava";
import * as SunCalc from "suncalc";
import { daysFromCivil, SECONDS_PER_DAY } from "../../src/time/civil";
import { computeSunTimes, SUN_NORMAL, SUN_POLAR_DAY, SUN_POLAR_NIGHT, SUNRISE, sunEventUtc, SunTimes } from "../../src/time/solar";
import { SeededRandom } from "../../hal/sim/random";

/** suncalc picks the solar transit nearest the given instant: give it our mean solar noon of the same date. */
function oracle(day: number, latitude: number, longitude: number): { sunrise: number; sunset: number } {
  const meanNoon = new Date((day * SECONDS_PER_DAY + 43_200 - longitude * 240) * 1000);
  const times = SunCalc.getTimes(meanNoon, latitude, longitude);
  const seconds = (date: Date | null): number => (date ? date.getTime() / 1000 : NaN);
  return { sunrise: seconds(times.sunrise), sunset: seconds(times.sunset) };
}

test("sunrise and sunset agree with suncalc within 60 s up to 65 degrees of latitude (2000-2037)", (t) => {
  const random = new SeededRandom(2026);
  const out = new SunTimes();
  const first = daysFromCivil(2000, 1, 1);
  const span = daysFromCivil(2037, 12, 31) - first;
  let worst = 0;
  const errors: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const latitude = -65 + random.nextFloat() * 130;
    const longitude = -180 + random.nextFloat() * 360;
    const day = first + random.nextInt(span);
    computeSunTimes(day, latitude, longitude, out);
    const expected = oracle(day, latitude, longitude);
    t.is(out.state, SUN_NORMAL);
    for (const [ours, theirs] of [
      [out.sunrise, expected.sunrise],
      [out.sunset, expected.sunset],
    ]) {
      const error = Math.abs(ours - theirs);
      errors.push(error);
      if (!(error <= 60)) t.fail(`lat ${latitude} lon ${longitude} day ${day}: ${ours} vs suncalc ${theirs}`);
      if (error > worst) worst = error;
    }
  }
  errors.sort((a, b) => a - b);
  t.log(`p50 ${errors[errors.length >> 1].toFixed(1)} s, p95 ${errors[Math.floor(errors.length * 0.95)].toFixed(1)} s, max ${worst.toFixed(1)} s`);
});

test("Shanghai on 2026-06-21: sunrise 04:50 and sunset 19:01 local (UTC+8)", (t) => {
  const day = daysFromCivil(2026, 6, 21);
  const out = computeSunTimes(day, 31.23, 121.47, new SunTimes());
  const local = (utc: number): number => utc + 8 * 3600 - day * SECONDS_PER_DAY;
  t.true(Math.abs(local(out.sunrise) - (4 * 3600 + 50 * 60)) < 90, `sunrise ${local(out.sunrise) / 3600} h`);
  t.true(Math.abs(local(out.sunset) - (19 * 3600 + 1 * 60)) < 90, `sunset ${local(out.sunset) / 3600} h`);
});

test("polar day and polar night give no event, and say which", (t) => {
  const out = new SunTimes();
  const midsummer = daysFromCivil(2026, 6, 21);
  const midwinter = daysFromCivil(2026, 12, 21);
  computeSunTimes(midsummer, 78.22, 15.65, out); // Longyearbyen
  t.is(out.state, SUN_POLAR_DAY);
  t.true(Number.isNaN(out.sunrise) && Number.isNaN(out.sunset));
  computeSunTimes(midwinter, 78.22, 15.65, out);
  t.is(out.state, SUN_POLAR_NIGHT);
  t.true(Number.isNaN(out.sunrise) && Number.isNaN(out.sunset));
  computeSunTimes(midwinter, -78.22, 15.65, out); // and the other way round in the south
  t.is(out.state, SUN_POLAR_DAY);
  // Where suncalc has no event either, we agree, over a year at 70 N.
  let agreed = 0;
  for (let day = daysFromCivil(2026, 1, 1); day < daysFromCivil(2027, 1, 1); day++) {
    const ours = sunEventUtc(SUNRISE, day, 70, 25);
    const theirs = oracle(day, 70, 25).sunrise;
    if (Number.isNaN(ours) !== Number.isNaN(theirs)) {
      // Only the grazing days next to the boundary may differ.
      const near = [day - 1, day + 1].some((d) => Number.isNaN(sunEventUtc(SUNRISE, d, 70, 25)) !== Number.isNaN(ours));
      t.true(near, `day ${day}: ours ${ours}, suncalc ${theirs}`);
    } else agreed++;
  }
  t.true(agreed > 355);
});
