/**
 * The property registry: every setting the platform may change at run time (spec 004's "properties"), with its wire
 * name, type, range, default and effect. It is data, walked by index: the change set, the applied-version table and
 * the persisted record all use the same order.
 *
 * Wire names are snake_case like the rest of the platform protocol (spec 000). Units are in the names so a platform
 * engineer reading a payload does not need this file. Adding a property: add a field to SettingsValues, a row to
 * PROPERTIES, its default in defaultSettings(), and any cross-property rule to checkWhole(); docs/protocol-004.md
 * lists them for the platform team.
 */
import type { GatewayConfig } from "../config/gateway-config";
import { deepFreeze } from "../core/freeze";

export type SettingValue = number | string | boolean;

/** The current value of every setting, typed for the code that uses them. */
export interface SettingsValues {
  control_period_ms: number;
  ramp_rate_kw_per_s: number;
  meter_silence_timeout_ms: number;
  report_interval_s: number;
  timezone: string;
  dst_enable: boolean;
  site_latitude: number;
  site_longitude: number;
  log_level: number;
  soc_min_pct: number;
  soc_max_pct: number;
  mqtt_keepalive_s: number;
}

export type PropertyName = keyof SettingsValues;

/** Value types, as the Alibaba-style thing model names them. */
export const Kind = deepFreeze({ Int: "int", Float: "float", Bool: "bool", Text: "text", Enum: "enum" } as const);
export type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * When a change takes effect. `live`: the listener applies it at once (next tick at the latest). `reconnect`: it is
 * stored at once and used from the next MQTT connection on (changing a keepalive under a live session would break it).
 */
export const Effect = deepFreeze({ Live: "live", Reconnect: "reconnect" } as const);
export type Effect = (typeof Effect)[keyof typeof Effect];

export interface PropertyDescriptor {
  readonly name: PropertyName;
  readonly kind: Kind;
  /** Inclusive range for int and float. */
  readonly min?: number;
  readonly max?: number;
  /** For text: the longest accepted string (bytes of ASCII: TZ strings are ASCII). */
  readonly maxLength?: number;
  /** For enum: the accepted names; the canonical value is the index (so `log_level` matches hal LogLevel). */
  readonly names?: readonly string[];
  readonly unit: string;
  readonly effect: Effect;
  /** Who acts on it and how: the contract the SettingsListener implements. */
  readonly description: string;
}

export const PROPERTIES: readonly PropertyDescriptor[] = deepFreeze([
  {
    name: "control_period_ms",
    kind: Kind.Int,
    min: 50,
    max: 10_000,
    unit: "ms",
    effect: Effect.Live,
    description: "control loop period: the tick timer is re-armed with it",
  },
  {
    name: "ramp_rate_kw_per_s",
    kind: Kind.Float,
    min: 0.1,
    max: 10_000,
    unit: "kW/s",
    effect: Effect.Live,
    description: "how fast the control loop relaxes a setpoint (tightening is always immediate)",
  },
  {
    name: "meter_silence_timeout_ms",
    kind: Kind.Int,
    min: 500,
    max: 60_000,
    unit: "ms",
    effect: Effect.Live,
    description: "no fresh meter reading for this long puts the site in its safe state and raises an alarm",
  },
  {
    name: "report_interval_s",
    kind: Kind.Int,
    min: 5,
    max: 3600,
    unit: "s",
    effect: Effect.Live,
    description: "period of the status and telemetry reports to the platform",
  },
  {
    name: "timezone",
    kind: Kind.Text,
    maxLength: 64,
    unit: "POSIX TZ",
    effect: Effect.Live,
    description: "local time for schedules and monthly demand limits, e.g. CST-8 or CET-1CEST,M3.5.0,M10.5.0/3",
  },
  {
    name: "dst_enable",
    kind: Kind.Bool,
    unit: "",
    effect: Effect.Live,
    description: "follow the DST rule of the time zone (spec 003's dstEnable); off = standard time all year",
  },
  {
    name: "site_latitude",
    kind: Kind.Float,
    min: -90,
    max: 90,
    unit: "degrees",
    effect: Effect.Live,
    description: "site latitude for sunrise and sunset schedules",
  },
  {
    name: "site_longitude",
    kind: Kind.Float,
    min: -180,
    max: 180,
    unit: "degrees",
    effect: Effect.Live,
    description: "site longitude for sunrise and sunset schedules",
  },
  {
    name: "log_level",
    kind: Kind.Enum,
    names: ["error", "warn", "info", "debug"],
    unit: "",
    effect: Effect.Live,
    description: "most verbose log level written (0 error, 1 warn, 2 info, 3 debug, as hal LogLevel)",
  },
  {
    name: "soc_min_pct",
    kind: Kind.Float,
    min: 0,
    max: 100,
    unit: "%",
    effect: Effect.Live,
    description: "the control loop never discharges a battery below this state of charge",
  },
  {
    name: "soc_max_pct",
    kind: Kind.Float,
    min: 0,
    max: 100,
    unit: "%",
    effect: Effect.Live,
    description: "the control loop never charges a battery above this state of charge",
  },
  {
    name: "mqtt_keepalive_s",
    kind: Kind.Int,
    min: 30,
    max: 1200,
    unit: "s",
    effect: Effect.Reconnect,
    description: "MQTT keepalive of the next connection (Alibaba-style brokers accept 30..1200 s)",
  },
]);

export const PROPERTY_COUNT = PROPERTIES.length;

/** Index of a wire name in PROPERTIES, or -1. A linear scan: the table is small and this runs at command rate. */
export function propertyIndex(name: string): number {
  for (let i = 0; i < PROPERTIES.length; i++) if (PROPERTIES[i].name === name) return i;
  return -1;
}

/** Defaults: the board config where it has the value (period, site), fixed choices otherwise. */
export function defaultSettings(config: GatewayConfig): SettingsValues {
  return {
    control_period_ms: config.control.periodMs,
    ramp_rate_kw_per_s: 20,
    meter_silence_timeout_ms: Math.max(2000, 2 * config.control.periodMs),
    report_interval_s: 60,
    timezone: config.site.timezone,
    dst_enable: true,
    site_latitude: config.site.latitude,
    site_longitude: config.site.longitude,
    log_level: 2,
    soc_min_pct: 10,
    soc_max_pct: 95,
    mqtt_keepalive_s: 60,
  };
}

/** Checks a POSIX TZ string; returns null when valid, else what is wrong (without the property name). */
export type TimezoneCheck = (tz: string) => string | null;

/** What validation needs besides the values: bounds from the static board config and the TZ parser. */
export interface SettingsContext {
  /** control.tickBudgetMs of the board config: a period shorter than the tick budget cannot be kept. */
  tickBudgetMs: number;
  /** control.watchdogMs of the board config: two periods must fit in it, or a late tick resets the device. */
  watchdogMs: number;
  checkTimezone: TimezoneCheck;
}

export function contextFromConfig(config: GatewayConfig, checkTimezone: TimezoneCheck): SettingsContext {
  return { tickBudgetMs: config.control.tickBudgetMs, watchdogMs: config.control.watchdogMs, checkTimezone };
}

/** A decimal number written as a JSON string ("30.5", as in spec 004's own example); no exponents, no hex. */
// A RegExp literal per call, not module-level: the SDK's exec of a preloaded RegExp can crash under GC (docs/ota.md, Memory).
function decimalPattern(): RegExp {
  return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
}

function describeRaw(raw: unknown): string {
  if (typeof raw === "string") return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw);
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "an array";
  if (typeof raw === "object") return "an object";
  return String(raw);
}

/**
 * Turn a wire value into the canonical value of property `index`, or say what is wrong. Accepted besides the
 * canonical JSON type: numbers as decimal strings, bools as 0/1 (Alibaba's bool) or "true"/"false", enums by name.
 * Returns a problem string (without the property name) or stores the value in `out[0]` and returns null.
 */
export function parseValue(index: number, raw: unknown, context: SettingsContext, out: SettingValue[]): string | null {
  const p = PROPERTIES[index];
  switch (p.kind) {
    case Kind.Int:
    case Kind.Float: {
      let n: number;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && decimalPattern().test(raw)) n = Number(raw);
      else return `must be a number, got ${describeRaw(raw)}`;
      const what = p.kind === Kind.Int ? "an integer" : "a number";
      if (!Number.isFinite(n) || (p.kind === Kind.Int && !Number.isInteger(n)) || n < (p.min as number) || n > (p.max as number)) {
        return `must be ${what} in ${p.min}..${p.max} ${p.unit}, got ${describeRaw(raw)}`;
      }
      out[0] = n;
      return null;
    }
    case Kind.Bool: {
      if (raw === true || raw === 1 || raw === "1" || raw === "true") out[0] = true;
      else if (raw === false || raw === 0 || raw === "0" || raw === "false") out[0] = false;
      else return `must be true/false or 1/0, got ${describeRaw(raw)}`;
      return null;
    }
    case Kind.Enum: {
      const names = p.names as readonly string[];
      let n = -1;
      if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0 && raw < names.length) n = raw;
      else if (typeof raw === "string") {
        n = names.indexOf(raw);
        if (n < 0 && /^[0-9]$/.test(raw) && Number(raw) < names.length) n = Number(raw);
      }
      if (n < 0) return `must be one of ${names.map((name, i) => `${i}/${name}`).join(", ")}, got ${describeRaw(raw)}`;
      out[0] = n;
      return null;
    }
    case Kind.Text: {
      if (typeof raw !== "string") return `must be a string, got ${describeRaw(raw)}`;
      if (raw.length > (p.maxLength as number)) return `must be at most ${p.maxLength} characters, got ${raw.length}`;
      if (p.name === "timezone") {
        const problem = context.checkTimezone(raw);
        if (problem !== null) return `not a valid POSIX TZ string (${problem}), got ${describeRaw(raw)}`;
      }
      out[0] = raw;
      return null;
    }
  }
}

/**
 * Rules that involve more than one property or the board config. Run on the candidate (current values with the
 * change applied), so a set that changes both sides of a rule is judged as a whole. Returns the first broken rule as
 * a message naming every property involved, or null.
 */
export function checkWhole(v: SettingsValues, context: SettingsContext): string | null {
  if (v.control_period_ms < context.tickBudgetMs) {
    return `control_period_ms: must be at least the board's tick budget (${context.tickBudgetMs} ms), got ${v.control_period_ms}`;
  }
  if (2 * v.control_period_ms > context.watchdogMs) {
    return `control_period_ms: two periods must fit in the board's watchdog (${context.watchdogMs} ms), got ${v.control_period_ms}`;
  }
  if (v.meter_silence_timeout_ms < 2 * v.control_period_ms) {
    return (
      `meter_silence_timeout_ms (${v.meter_silence_timeout_ms}) must be at least 2 x control_period_ms ` +
      `(${v.control_period_ms}): a meter must miss two ticks before the site goes to its safe state`
    );
  }
  if (v.soc_min_pct >= v.soc_max_pct) {
    return `soc_min_pct (${v.soc_min_pct}) must be below soc_max_pct (${v.soc_max_pct})`;
  }
  return null;
}
