/**
 * cron next-fire against cron-parser (UTC, so wall time = UTC) on random expressions of the subset both understand.
 * Quartz day-of-week 1-7 = SUN-SAT becomes cron-parser's 0-6; exactly one day field is `?`, so cron-parser's OR of
 * two restricted day fields never comes into play.
 */
import test from "ava";
import { CronExpressionParser } from "cron-parser";
import { SeededRandom } from "../../hal/sim/random";
import { CronError, CronExpression } from "../../src/schedule/cron";
import { randomPair } from "./cron-random";

const iso = (seconds: number): string => (seconds < 0 ? `(${seconds})` : new Date(seconds * 1000).toISOString());

test("cron next fire matches cron-parser on 10,000 random expressions (2 fires each)", (t) => {
  const random = new SeededRandom(7);
  const from2000 = Date.UTC(2000, 0, 1) / 1000;
  const span = Date.UTC(2037, 0, 1) / 1000 - from2000;
  let compared = 0;
  let refused = 0;
  for (let i = 0; i < 10_000; i++) {
    const { quartz, vixie } = randomPair(random);
    const start = from2000 + random.nextInt(span);
    let ours: CronExpression;
    try {
      ours = new CronExpression(quartz);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      // Refused as impossible: cron-parser must not find a date either.
      refused++;
      let found: string | null = null;
      try {
        found = CronExpressionParser.parse(vixie, { currentDate: new Date(start * 1000), tz: "UTC" }).next().toISOString();
      } catch {
        found = null;
      }
      t.is(found, null, `${quartz}: refused (${(error as Error).message}) but cron-parser fires at ${found}`);
      continue;
    }
    const theirs = CronExpressionParser.parse(vixie, { currentDate: new Date(start * 1000), tz: "UTC" });
    let at = start;
    for (let k = 0; k < 2; k++) {
      const expected = theirs.next().getTime() / 1000;
      const got = ours.next(at + 1);
      compared++;
      if (got !== expected) {
        t.fail(`${quartz} (cron-parser: ${vixie}) after ${iso(at)}: ours ${iso(got)}, cron-parser ${iso(expected)}`);
        return;
      }
      at = got;
    }
  }
  t.log(`${compared} next-fire comparisons, ${refused} expressions refused as impossible`);
  t.true(compared >= 19_900);
});
