/**
 * The unit of a benchmark figure, read from its name (the naming convention of bench/*.bench.ts), and how a figure
 * compares with its baseline. A name that says no unit is an error: every printed figure has one.
 */

export interface Unit {
  symbol: string;
  /** Same value on every run and machine (XS steps and slots, flash operations, sizes, simulated runs). */
  deterministic: boolean;
}

/** Name patterns, first match wins. */
const RULES: readonly (readonly [RegExp, string, boolean])[] = [
  [/_ratio_vs_/, "x", false],
  [/(^|_)xs_steps(_|$)/, "XS steps", true],
  [/(^|_)heap_slots(_|$)/, "XS slots", true],
  [/^flash_ops_/, "flash ops", true],
  [/_bytes$|^bundle_bytes$|_live_bytes_/, "B", true],
  [/_kwh$/, "kWh", true],
  [/_per_hour$/, "/h", true],
  [/_ms$/, "ms", true],
  [/(^|_)seconds(_|$)/, "s", true],
  [/_w$/, "W", true],
  [/_overruns$|_count$/, "count", true],
  [/_cycles$/, "cycles", true],
];

export function unitOf(name: string): Unit {
  for (const [pattern, symbol, deterministic] of RULES) if (pattern.test(name)) return { symbol, deterministic };
  throw new Error(`bench: figure "${name}" has no unit in its name (bench/units.ts lists the suffixes)`);
}

/** "=" when equal, "+N (+P %)" / "-N (-P %)" otherwise, "new" without a baseline value. */
export function describeChange(name: string, value: number, base: number | undefined): { text: string; changed: boolean } {
  if (base === undefined) return { text: "new", changed: unitOf(name).deterministic };
  if (value === base) return { text: "=", changed: false };
  const delta = value - base;
  const pct = base !== 0 ? ` (${delta > 0 ? "+" : ""}${((100 * delta) / Math.abs(base)).toFixed(1)} %)` : "";
  const rounded = Number.isInteger(delta) ? String(delta) : delta.toFixed(3);
  return { text: `${delta > 0 ? "+" : ""}${rounded}${pct} vs ${base}`, changed: unitOf(name).deterministic };
}
