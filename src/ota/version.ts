/**
 * Firmware versions: 1 to 4 decimal numbers separated by dots ("1.4.2", "2024.6.1.7"), compared number by number,
 * missing trailing numbers counting as 0 ("1.2" equals "1.2.0"). Nothing else is accepted: a version string the
 * gateway cannot order could not be checked against downgrades.
 */
const VERSION = /^(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8})){0,3}$/;

export function isVersion(text: unknown): text is string {
  return typeof text === "string" && VERSION.test(text);
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
