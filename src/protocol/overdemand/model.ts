/**
 * The StreamingOverDemand model of spec 000 (demand management and anti-backflow), as field tables.
 *
 * The tables drive validation (validate.ts), the documentation (docs/protocol-000.md) and the tests, which mutate
 * every field listed here. Where the spec's tables and its JSON examples disagree, the examples win for what must be
 * accepted (they are what the platform actually sends); the choices are listed in docs/protocol-000.md.
 */
import { deepFreeze } from "../../core/freeze";

/** Strategies are the whole JSON object the platform sent, normalised (canonical spellings) and with its id set. */
export type StrategyBody = Record<string, unknown>;

/** Status enumerations of the spec: 1 = enabled, 2 = disabled. */
export const STATUS_ENABLED = 1;
export const STATUS_DISABLED = 2;

/** device_type: 2 = energy storage (emsDevice), 3 = photovoltaic, 4 = charging pile. */
export const DEVICE_TYPE_ESS = 2;
export const DEVICE_TYPE_PV = 3;
export const DEVICE_TYPE_CHARGER = 4;
/** The create example of the spec carries no device_type; demand management is about the storage system. */
export const DEFAULT_DEVICE_TYPE = DEVICE_TYPE_ESS;

/**
 * Largest power condition accepted, in kW. The spec gives no bound; 1 GW is far above any C&I site, and keeps the
 * value in watts (x1000) inside int32 for the control loop.
 */
export const MAX_CONDITION_KW = 1_000_000;
/** Largest id (strategy, meter): int32, as in the platform's database. */
export const MAX_ID = 2_147_483_647;
export const MONTHS = 12;

/** How a field's value is checked. */
export type FieldKind =
  /** An integer (JSON number without fraction) within min..max, or one of `oneOf`. */
  | "int"
  /** Any finite JSON number within min..max. */
  | "float"
  | "string"
  /** RFC 3339 date-time string, e.g. 2024-06-06T08:59:20.21309056Z. */
  | "datetime"
  /** An integer or a string of decimal digits within min..max (the spec types emsDevice.port as str, its examples send int). */
  | "intOrDigits"
  /** Exactly MONTHS integers, each within min..max. */
  | "monthly"
  /** A JSON object (unknown content, kept as is). */
  | "object"
  /** The electricity meter object (METER_FIELDS). */
  | "meter"
  /** The device list: elements checked by the table of the strategy's device_type (DEVICE_TABLES). */
  | "devices";

export interface FieldSpec {
  /** Canonical name: the spelling of the spec's JSON examples; replies use it. */
  readonly name: string;
  /** Other accepted spellings (the spec's tables); stored and answered under `name`. */
  readonly aliases?: readonly string[];
  readonly kind: FieldKind;
  readonly min?: number;
  readonly max?: number;
  readonly oneOf?: readonly number[];
  /** Required in a complete object (create, an update_all item, the result of an update merge). */
  readonly required: boolean;
  /** `null` is accepted (Go's nil slices and pointers serialise as null: see meter_ids in the examples). */
  readonly nullable?: boolean;
  /** What the field means, from the spec (for docs and error messages). */
  readonly note: string;
}

const STATUS = deepFreeze([STATUS_ENABLED, STATUS_DISABLED] as const);

/**
 * Payload - data: StreamingOverDemand. A field is required when the spec's table says so AND every strategy object
 * of the spec's examples (list, sync result, create, update, update_all) carries it: the examples must be accepted.
 * Absent optional fields read as their safe default (a status as disabled, a condition as 0). `id` is special: the device assigns it on create, it is required on update
 * and delete, optional in update_all items (see handler.ts); it is listed here for its type and range.
 */
export const STRATEGY_FIELDS: readonly FieldSpec[] = deepFreeze([
  { name: "id", kind: "int", min: 1, max: MAX_ID, required: false, note: "strategy id (assigned by the device on create)" },
  { name: "device_type", kind: "int", oneOf: [DEVICE_TYPE_ESS, DEVICE_TYPE_PV, DEVICE_TYPE_CHARGER], required: false, note: "2 storage, 3 PV, 4 charging pile; absent = 2" },
  { name: "devices", kind: "devices", required: false, nullable: true, note: "devices controlled: []emsDevice / []photovoltaic / []pile by device_type" },
  { name: "ele_meter", aliases: ["elemeter"], kind: "meter", required: false, nullable: true, note: "the meter object (table: elemeter, examples: ele_meter)" },
  { name: "ele_meter_id", kind: "int", min: 1, max: MAX_ID, required: true, note: "id of the meter the strategy watches" },
  { name: "streaming_status", kind: "int", oneOf: STATUS, required: true, note: "anti-backflow 1 on / 2 off" },
  { name: "streaming_condition", kind: "int", min: 0, max: MAX_CONDITION_KW, required: false, note: "anti-backflow condition, kW (absent = 0)" },
  { name: "individual_phase_streaming_status", kind: "int", oneOf: STATUS, required: false, note: "per-phase anti-backflow 1 on / 2 off (absent = 2: the sync example omits it)" },
  { name: "individual_phase_streaming_condition", kind: "int", min: 0, max: MAX_CONDITION_KW, required: false, note: "per-phase anti-backflow condition, kW (absent = 0)" },
  { name: "over_demand_condition", kind: "monthly", min: 0, max: MAX_CONDITION_KW, required: true, note: "demand limit per month January..December, kW" },
  { name: "over_demand_status", kind: "int", oneOf: STATUS, required: true, note: "demand limiting 1 on / 2 off" },
  { name: "dynamic_demand_status", kind: "int", oneOf: STATUS, required: false, note: "dynamic demand 1 on / 2 off (only in the examples; absent = 2)" },
  { name: "dynamic_demand", kind: "int", min: 0, max: MAX_CONDITION_KW, required: false, note: "dynamic demand, kW" },
  { name: "dynamic_demand_percentage", kind: "float", min: 0, max: 100, required: true, note: "dynamic demand peak-tracking ratio, %" },
  { name: "current_over_demand_condition", kind: "int", min: 0, max: MAX_CONDITION_KW, required: false, note: "this month's demand limit, kW (the device recomputes it in its reports)" },
  { name: "updated_by", kind: "string", required: false, note: "who last changed it (platform metadata)" },
  { name: "created_at", kind: "datetime", required: false, note: "creation time (platform metadata)" },
  { name: "updated_at", kind: "datetime", required: false, note: "last change time (platform metadata)" },
]);

/**
 * Payload - eleMeter. The example's meter has no `rate` and spells the type object `ele_device_type` (the table:
 * `elec_device_type`); `id` is not in the table but the examples carry it, equal to ele_meter_id.
 */
export const METER_FIELDS: readonly FieldSpec[] = deepFreeze([
  { name: "id", kind: "int", min: 1, max: MAX_ID, required: false, note: "meter id; must equal ele_meter_id" },
  { name: "uid", kind: "string", required: true, note: "meter UID" },
  { name: "station_name", kind: "string", required: true, note: "site name" },
  { name: "port", kind: "int", min: 0, max: 65535, required: true, note: "port" },
  { name: "name", kind: "string", required: true, note: "meter name" },
  { name: "ele_device_type", aliases: ["elec_device_type"], kind: "object", required: true, nullable: true, note: "meter type object" },
  { name: "rate", kind: "int", min: 1, max: MAX_ID, required: false, note: "ratio (absent from the spec's example)" },
  { name: "running_status", kind: "int", oneOf: [1, 2], required: true, note: "1 online / 2 offline" },
]);

/** Payload - emsDevice (device_type 2). */
export const EMS_DEVICE_FIELDS: readonly FieldSpec[] = deepFreeze([
  { name: "uid", kind: "string", required: true, note: "device UID" },
  { name: "name", kind: "string", required: true, note: "device name" },
  { name: "site_name", kind: "string", required: true, note: "site name" },
  { name: "location", kind: "string", required: true, note: "address" },
  { name: "longitude", kind: "float", min: -180, max: 180, required: true, note: "longitude" },
  { name: "latitude", kind: "float", min: -90, max: 90, required: true, note: "latitude" },
  { name: "level", kind: "int", oneOf: [1, 2], required: true, note: "EMS level" },
  { name: "type", kind: "string", required: true, note: "device type" },
  { name: "running_status", kind: "int", oneOf: [1, 2, 3], required: true, note: "1 running / 2 offline / 3 fault" },
  { name: "host", kind: "string", required: true, note: "address" },
  { name: "port", kind: "intOrDigits", min: 0, max: 65535, required: true, note: "port (table: str, examples: int)" },
  { name: "license", kind: "string", required: true, note: "activation code" },
]);

/**
 * The spec names []photovoltaic and []pail (charging pile) without tables: elements must be objects, and the
 * fields they share with emsDevice are type-checked when present.
 */
export const OTHER_DEVICE_FIELDS: readonly FieldSpec[] = deepFreeze([
  { name: "uid", kind: "string", required: false, note: "device UID" },
  { name: "name", kind: "string", required: false, note: "device name" },
  { name: "running_status", kind: "int", oneOf: [1, 2, 3], required: false, note: "1 running / 2 offline / 3 fault" },
]);

export function deviceTable(deviceType: number): readonly FieldSpec[] {
  return deviceType === DEVICE_TYPE_ESS ? EMS_DEVICE_FIELDS : OTHER_DEVICE_FIELDS;
}

/** The effective device type of a validated strategy body. */
export function deviceTypeOf(body: StrategyBody): number {
  const value = body.device_type;
  return typeof value === "number" ? value : DEFAULT_DEVICE_TYPE;
}
