/**
 * Firmware versions: 1 to 4 decimal numbers separated by dots ("1.4.2", "2024.6.1.7"), compared number by number,
 * missing trailing numbers counting as 0 ("1.2" equals "1.2.0"). Nothing else is accepted: a version string the
 * gateway cannot order could not be checked against downgrades.
 */

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * 1 to 4 numbers, each "0" or 1 to 9 digits without a leading zero, separated by single dots. A loop rather than
 * a RegExp: a module-level RegExp is preloaded into flash, and the SDK's exec of a preloaded RegExp gives its match
 * state a malloc block that the garbage collector treats as a chunk, so a collection during the exec corrupts
 * memory (it crashed the simulator at boot, here, in isVersion; docs/ota.md, Memory).
 */
export function isVersion(text: unknown): text is string {
  if (typeof text !== "string") return false;
  let numbers = 0;
  let digits = 0;
  let zeroFirst = false;
  // One pass; the end of the text closes the last number like a dot.
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || ++numbers > 4) return false;
      digits = 0;
    } else {
      if (c < ZERO || c > NINE || (digits > 0 && zeroFirst) || ++digits > 9) return false;
      if (digits === 1) zeroFirst = c === ZERO;
    }
  }
  return true;
}

/** Negative when a < b, 0 when equal, positive when a > b. Both must pass isVersion. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < 4; i++) {
    const difference = Number(left[i] ?? 0) - Number(right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
