/**
 * Table-driven validation of StreamingOverDemand objects (model.ts). Runs at command rate, on freshly parsed JSON,
 * so it may allocate. The first problem found is reported as `path: problem`, the exact text of the 400 reply's
 * `msg` (e.g. `data.over_demand_condition[3]: must be between 0 and 1000000, got -1`).
 *
 * Output is a normalised copy: accepted alternative spellings are renamed to the canonical one (in place, so key
 * order is kept), unknown fields are kept untouched, nothing of the input is mutated.
 */
import {
  METER_FIELDS,
  MONTHS,
  STRATEGY_FIELDS,
  deviceTable,
  deviceTypeOf,
  type FieldSpec,
  type StrategyBody,
} from "./model";
import { hasOwn as has, isPlainObject, putField as put, shortJson, type Plain } from "../json-values";

export type Checked = { ok: true; value: StrategyBody } | { ok: false; msg: string };

// A RegExp literal per call, not module-level: the SDK's exec of a preloaded RegExp can crash under GC (docs/ota.md, Memory).
function datetimePattern(): RegExp {
  return /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** RFC 3339 date-time with real calendar bounds (leap second 60 allowed, as RFC 3339 does). */
export function isDateTime(text: string): boolean {
  const m = datetimePattern().exec(text);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

function rangeText(spec: FieldSpec): string {
  if (spec.oneOf) return `one of ${spec.oneOf.join(", ")}`;
  return `between ${spec.min} and ${spec.max}`;
}

function inRange(spec: FieldSpec, value: number): boolean {
  if (spec.oneOf) return spec.oneOf.indexOf(value) >= 0;
  return (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
}

/** Check one number against an int/float spec; returns the problem or null. */
function checkNumber(spec: FieldSpec, value: unknown, integer: boolean): string | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return `must be ${integer ? "an integer" : "a number"}, got ${shortJson(value)}`;
  if (integer && !Number.isInteger(value)) return `must be an integer, got ${shortJson(value)}`;
  if (!inRange(spec, value)) return `must be ${rangeText(spec)}, got ${shortJson(value)}`;
  return null;
}

function fail(msg: string): Checked {
  return { ok: false, msg };
}

/**
 * Check and normalise the fields of `input` against `table`. `complete` demands the required fields; a patch
 * (update) only checks the fields it carries. `deviceType` selects the device table for a "devices" field.
 */
function checkObject(input: unknown, path: string, table: readonly FieldSpec[], complete: boolean, deviceType: number): Checked {
  if (!isPlainObject(input)) return fail(`${path}: must be an object, got ${shortJson(input)}`);
  // Canonical name of every alias, and which spelling of each field the input used.
  const renamed: Record<string, string> = {};
  for (const spec of table) {
    let seen: string | null = has(input, spec.name) ? spec.name : null;
    for (const alias of spec.aliases ?? []) {
      if (!has(input, alias)) continue;
      if (seen !== null) return fail(`${path}.${alias}: same field as ${path}.${seen}, give only one of them`);
      seen = alias;
      renamed[alias] = spec.name;
    }
    if (seen === null) {
      if (complete && spec.required) return fail(`${path}.${spec.name}: required`);
      continue;
    }
    const problem = checkValue(spec, input[seen], `${path}.${seen}`, deviceType);
    if (problem !== null) return fail(problem);
  }
  const out: Plain = {};
  for (const key of Object.keys(input)) {
    const canonical = has(renamed, key) ? renamed[key] : key;
    put(out, canonical, input[key]);
  }
  // Nested meter objects get the same normalisation.
  for (const spec of table) {
    if (spec.kind !== "meter" || !isPlainObject(out[spec.name])) continue;
    const meter = checkObject(out[spec.name], path + "." + spec.name, METER_FIELDS, true, deviceType);
    if (!meter.ok) return meter;
    out[spec.name] = meter.value;
  }
  return { ok: true, value: out };
}

/** Problem with one present value (`path` is where it was found), or null. */
function checkValue(spec: FieldSpec, value: unknown, path: string, deviceType: number): string | null {
  if (value === null) return spec.nullable ? null : `${path}: must not be null`;
  switch (spec.kind) {
    case "int":
    case "float": {
      const problem = checkNumber(spec, value, spec.kind === "int");
      return problem === null ? null : `${path}: ${problem}`;
    }
    case "string":
      return typeof value === "string" ? null : `${path}: must be a string, got ${shortJson(value)}`;
    case "datetime":
      return typeof value === "string" && isDateTime(value) ? null : `${path}: must be an RFC 3339 date-time string, got ${shortJson(value)}`;
    case "intOrDigits": {
      let number = value;
      if (typeof value === "string") {
        if (!/^\d{1,10}$/.test(value)) return `${path}: must be an integer or a string of digits, got ${shortJson(value)}`;
        number = Number(value);
      }
      const problem = checkNumber(spec, number, true);
      return problem === null ? null : `${path}: ${problem}`;
    }
    case "monthly": {
      if (!Array.isArray(value)) return `${path}: must be an array of ${MONTHS} integers, got ${shortJson(value)}`;
      if (value.length !== MONTHS) return `${path}: must have exactly ${MONTHS} values (January..December), got ${value.length}`;
      for (let i = 0; i < MONTHS; i++) {
        const problem = checkNumber(spec, value[i], true);
        if (problem !== null) return `${path}[${i}]: ${problem}`;
      }
      return null;
    }
    case "object":
      return isPlainObject(value) ? null : `${path}: must be an object, got ${shortJson(value)}`;
    case "meter": {
      const checked = checkObject(value, path, METER_FIELDS, true, deviceType);
      return checked.ok ? null : checked.msg;
    }
    case "devices": {
      if (!Array.isArray(value)) return `${path}: must be an array, got ${shortJson(value)}`;
      const table = deviceTable(deviceType);
      for (let i = 0; i < value.length; i++) {
        const checked = checkObject(value[i], `${path}[${i}]`, table, true, deviceType);
        if (!checked.ok) return checked.msg;
      }
      return null;
    }
  }
}

/** Cross-field rule: the meter object, when given, is the meter named by ele_meter_id. */
function checkConsistency(body: StrategyBody, path: string): string | null {
  const meter = body.ele_meter;
  if (isPlainObject(meter) && has(meter, "id") && has(body, "ele_meter_id") && meter.id !== body.ele_meter_id) {
    return `${path}.ele_meter.id: must equal ${path}.ele_meter_id (${shortJson(body.ele_meter_id)}), got ${shortJson(meter.id)}`;
  }
  return null;
}

/** The device type an input declares, if it declares a valid one; otherwise the default (its own error comes later). */
function declaredDeviceType(input: unknown, fallback: number): number {
  if (!isPlainObject(input)) return fallback;
  const value = input.device_type;
  return value === 2 || value === 3 || value === 4 ? value : fallback;
}

/** A complete strategy: create, an update_all item, or the merged result of an update. */
export function checkStrategy(input: unknown, path: string): Checked {
  const checked = checkObject(input, path, STRATEGY_FIELDS, true, declaredDeviceType(input, deviceTypeOf({})));
  if (!checked.ok) return checked;
  const problem = checkConsistency(checked.value, path);
  return problem === null ? checked : fail(problem);
}

/**
 * An update's fields, each checked when present; `currentDeviceType` is the stored strategy's, used for a
 * "devices" list when the patch does not change device_type.
 */
export function checkPatch(input: unknown, path: string, currentDeviceType: number): Checked {
  return checkObject(input, path, STRATEGY_FIELDS, false, declaredDeviceType(input, currentDeviceType));
}
