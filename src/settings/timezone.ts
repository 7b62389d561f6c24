import { PosixTimeZone, TzError } from "../time/posix-tz";
import type { TimezoneCheck } from "./registry";

/**
 * The `timezone` setting is checked with the same parser the time code uses, so a string accepted here is one the
 * scheduler can run on. Returns the parser's reason (position and problem) or null.
 */
export const checkTimezone: TimezoneCheck = (tz: string): string | null => {
  try {
    PosixTimeZone.parse(tz);
    return null;
  } catch (error) {
    if (error instanceof TzError) return error.message.replace(`TZ ${JSON.stringify(tz)} `, "");
    throw error;
  }
};
