/**
 * The spec's own strategies name their meter and devices less than the control loop needs: the create example sends
 * only `ele_meter_id` (no `ele_meter` object, no `devices`), and the list example has a strategy like it. Read
 * through SPEC_TOPOLOGY alone such a strategy is stored and listed but controls nothing. This Topology fills what
 * the strategy leaves out from the site's own configuration (`points.devices`, src/config/point-devices.ts):
 * - the meter: the entry whose `meterId` is the strategy's ele_meter_id (its model, its addr's unit, its link, pt
 *   and ct), used only when the strategy carries no `ele_meter` object;
 * - the devices: the entries of the strategy's device_type (2 ESS, 3 PV, 4 charger, by the model's point table)
 *   that have a `deviceId`, used only when the strategy lists no devices. Their rating is read from the device
 *   (src/app/device-ratings.ts), as for any device sent without `rated_power`.
 * What the platform does send always wins: a strategy with an `ele_meter` object or a `devices` list is read as sent.
 */
import { KIND_OF_DEVICE_TYPE, type DeviceSpec, type LinkSpec, type MeterSpec } from "../../control/strategy-input";
import { parseAddr, type PointDeviceConfig } from "../../config/point-devices";
import { findPointTable } from "../../devices/point-tables";
import { isPlainObject } from "../json-values";
import { SPEC_TOPOLOGY, type Topology } from "./topology";
import type { StrategyBody } from "./model";

/** The Modbus link of a points entry: its tcp link, else the board's RS-485 bus, unit from its addr. */
function linkOf(entry: PointDeviceConfig): LinkSpec {
  const unit = (parseAddr(entry.addr) as [string, number])[1];
  return entry.tcp !== undefined ? { proto: "tcp", unit, host: entry.tcp.host, port: entry.tcp.port } : { proto: "rtu", unit };
}

/** SPEC_TOPOLOGY, with what a strategy leaves out taken from the site's `points.devices` (checked at boot). */
export function siteTopology(points: readonly PointDeviceConfig[]): Topology {
  if (points.length === 0) return SPEC_TOPOLOGY;
  return {
    meter(body: StrategyBody, meterId: number): MeterSpec | string {
      if (isPlainObject(body.ele_meter)) return SPEC_TOPOLOGY.meter(body, meterId);
      for (const entry of points) {
        if (entry.meterId !== meterId) continue;
        const spec: { -readonly [K in keyof MeterSpec]: MeterSpec[K] } = { id: meterId, model: entry.model, link: linkOf(entry) };
        if (entry.pt !== undefined) spec.pt = entry.pt;
        if (entry.ct !== undefined) spec.ct = entry.ct;
        return spec;
      }
      return `no meter object (ele_meter) describes meter ${meterId}, and no points.devices entry has meterId ${meterId}`;
    },

    devices(body: StrategyBody, deviceType: number, problems: string[]): DeviceSpec[] {
      if (Array.isArray(body.devices) && body.devices.length > 0) return SPEC_TOPOLOGY.devices(body, deviceType, problems);
      const kind = KIND_OF_DEVICE_TYPE[deviceType];
      const out: DeviceSpec[] = [];
      for (const entry of points) {
        if (entry.deviceId === undefined || findPointTable(entry.model)?.kind !== kind) continue;
        out.push({ id: entry.deviceId, map: entry.model, link: linkOf(entry), ratedW: 0 });
      }
      if (out.length === 0) problems.push(`no devices listed, and no points.devices entry of device_type ${deviceType} has a deviceId`);
      return out;
    },
  };
}
