import test from "ava";
import { civilFromDays, daysFromCivil, daysInMonth, weekdayFromDays, yearFromSeconds, ymdDay, ymdMonth, ymdYear } from "../../src/time/civil";

test("days <-> civil dates agree with Date.UTC from 1900 to 2200, weekdays with getUTCDay", (t) => {
  const first = daysFromCivil(1900, 1, 1);
  const last = daysFromCivil(2200, 12, 31);
  t.is(first, Date.UTC(1900, 0, 1) / 86_400_000);
  let mismatches = 0;
  for (let day = first; day <= last; day++) {
    const date = new Date(day * 86_400_000);
    const packed = civilFromDays(day);
    const y = ymdYear(packed);
    const m = ymdMonth(packed);
    const d = ymdDay(packed);
    if (y !== date.getUTCFullYear() || m !== date.getUTCMonth() + 1 || d !== date.getUTCDate()) mismatches++;
    if (daysFromCivil(y, m, d) !== day) mismatches++;
    if (weekdayFromDays(day) !== date.getUTCDay()) mismatches++;
  }
  t.is(mismatches, 0);
});

test("month lengths and years of second counts", (t) => {
  t.is(daysInMonth(2024, 2), 29);
  t.is(daysInMonth(2100, 2), 28);
  t.is(daysInMonth(2000, 2), 29);
  t.is(daysInMonth(2026, 4), 30);
  t.is(daysInMonth(2026, 12), 31);
  t.is(yearFromSeconds(Date.UTC(2037, 11, 31, 23, 59, 59) / 1000), 2037);
  t.is(yearFromSeconds(Date.UTC(2038, 0, 1) / 1000), 2038);
  t.is(yearFromSeconds(-1), 1969);
  t.is(weekdayFromDays(-1), 3); // 1969-12-31 was a Wednesday
});
