/**
 * Where the control loop reaches a strategy's meter and devices (src/control/strategy-input.ts MeterSpec /
 * DeviceSpec), read from the spec-000 objects the platform sent.
 *
 * Spec 000 carries the connection fields (proto_type, host, port, slave_id, com_*, baud_rate) in its examples
 * without defining them, and nothing about register maps or rated power. The readings below are this gateway's
 * choices (docs/protocol-000.md, "Control loop"); a site can plug another Topology (e.g. one backed by a meter
 * registry) without touching the handler.
 */
import { DeviceType, type DeviceSpec, type LinkSpec, type MeterSpec, parsePhases } from "../../control/strategy-input";
import { isPlainObject, type Plain } from "../json-values";
import type { StrategyBody } from "./model";
import { deepFreeze } from "../../core/freeze";

export interface Topology {
  /** The strategy's meter, or a problem (the strategy then cannot be controlled). */
  meter(body: StrategyBody, meterId: number): MeterSpec | string;
  /** The strategy's devices; the ones that cannot be used are left out with a problem each. */
  devices(body: StrategyBody, deviceType: number, problems: string[]): DeviceSpec[];
}

/** proto_type values as read here (the spec's examples use 1 for Modbus TCP endpoints). */
export const PROTO_MODBUS_TCP = 1;
export const PROTO_MODBUS_RTU = 2;

/** Register map used when a device names none, by device_type. */
export const DEFAULT_DEVICE_MAP: Record<number, string> = deepFreeze({
  [DeviceType.Ess]: "sunspec-704",
  [DeviceType.Pv]: "sunspec-123",
  [DeviceType.Charger]: "generic-charger",
});

function num(object: Plain, key: string): number | undefined {
  const value = object[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function text(object: Plain, key: string): string {
  const value = object[key];
  return typeof value === "string" ? value : "";
}

/** The Modbus link of a meter or device object, or a problem. */
export function linkOf(object: Plain): LinkSpec | string {
  const proto = num(object, "proto_type") ?? PROTO_MODBUS_TCP;
  const unit = num(object, "slave_id") ?? 1;
  if (proto === PROTO_MODBUS_RTU) {
    const comAddr = text(object, "com_addr");
    const comNo = num(object, "com_no") ?? 0;
    const baud = num(object, "baud_rate") ?? 0;
    const link: { proto: "rtu"; unit: number; serialPort?: string | number; baud?: number } = { proto: "rtu", unit };
    if (comAddr !== "") link.serialPort = comAddr;
    else if (comNo > 0) link.serialPort = comNo;
    if (baud > 0) link.baud = baud;
    return link;
  }
  if (proto === PROTO_MODBUS_TCP) {
    const host = text(object, "host");
    const port = num(object, "port");
    if (host === "" || port === undefined) return "proto_type 1 (Modbus TCP) without host and port";
    return { proto: "tcp", unit, host, port };
  }
  return `proto_type ${proto} is neither 1 (Modbus TCP) nor 2 (Modbus RTU)`;
}

/**
 * The default reading: the meter from the strategy's `ele_meter` object (model = ele_device_type.name; rate, pt,
 * ct, direction as given), devices from `devices[]` (id, link; register map from an optional `map` field, else by
 * device_type; rated power from an optional `rated_power` field in kW, which spec 000 does not define; 0 without
 * it: read from the device, src/app/device-ratings.ts).
 */
export const SPEC_TOPOLOGY: Topology = deepFreeze({
  meter(body, meterId) {
    const meter = body.ele_meter;
    if (!isPlainObject(meter)) return `no meter object (ele_meter) describes meter ${meterId}`;
    const type = meter.ele_device_type;
    const model = isPlainObject(type) ? text(type, "name") : "";
    if (model === "") return `meter ${meterId}: no meter type (ele_meter.ele_device_type.name)`;
    const link = linkOf(meter);
    if (typeof link === "string") return `meter ${meterId}: ${link}`;
    const spec: { -readonly [K in keyof MeterSpec]: MeterSpec[K] } = { id: meterId, model, link };
    const rate = num(meter, "rate");
    const pt = num(meter, "pt");
    const ct = num(meter, "ct");
    const direction = num(meter, "direction");
    if (rate !== undefined) spec.rate = rate;
    if (pt !== undefined) spec.pt = pt;
    if (ct !== undefined) spec.ct = ct;
    if (direction !== undefined) spec.direction = direction;
    return spec;
  },

  devices(body, deviceType, problems) {
    const out: DeviceSpec[] = [];
    const list = Array.isArray(body.devices) ? (body.devices as unknown[]) : [];
    for (let i = 0; i < list.length; i++) {
      const device = list[i];
      if (!isPlainObject(device)) continue;
      const id = num(device, "id");
      const where = `devices[${i}]`;
      if (id === undefined || !Number.isInteger(id) || id < 0) {
        problems.push(`${where}: no device id (id)`);
        continue;
      }
      const link = linkOf(device);
      if (typeof link === "string") {
        problems.push(`${where} (device ${id}): ${link}`);
        continue;
      }
      // rated_power (kW) is ours, not the spec's: without it ratedW is 0 and the gateway reads the rating from the
      // device before controlling it (src/app/device-ratings.ts); a rated_power that is sent overrides.
      const ratedKw = num(device, "rated_power");
      const map = text(device, "map") || DEFAULT_DEVICE_MAP[deviceType] || "";
      // phases (ours, like rated_power): the phases a single- or two-phase device is connected to, "A".."ABC".
      const phasesText = text(device, "phases");
      const phases = phasesText === "" ? 7 : parsePhases(phasesText);
      if (typeof phases === "string") {
        problems.push(`${where} (device ${id}): ${phases}`);
        continue;
      }
      out.push({ id, map, link, ratedW: ratedKw !== undefined && ratedKw > 0 ? ratedKw * 1000 : 0, ...(phasesText === "" ? null : { phases }) });
    }
    return out;
  },
});
