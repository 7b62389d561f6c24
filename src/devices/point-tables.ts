/**
 * Named points per device model: what spec 003's `functionid`, `operate` names (ForceSwitch) and trigger `prop`s
 * (Ua, Ia, P, SoC) mean on the wire, as frozen data (preloaded into flash on the device, no per-device copy).
 *
 * A point is one register value: read with `fc` (3 holding, 4 input) at `address` (0-based PDU address), decoded as
 * `type`, times `scale` (and times 10^sf when `sfAddress` names a SunSpec scale-factor register, int16, same fc),
 * times the installation's transformer ratio for meter points (`xf`: 1 pt, 2 ct, 3 pt x ct). `write` is the
 * function that writes it (6 or 16), 0 for a read-only point; a written value must lie in [min, max] (in the
 * point's unit; the raw register value is value / scale, rounded). `owner: "control"` marks a register the control
 * loop writes every cycle (ESS and PV power commands): a scheduled write there would fight the loop, so it is
 * refused by the safety rule (docs/points.md); the schedule's way to move an ESS is its base setpoint instead.
 *
 * Sources: the same documents as meter-maps.ts and device-maps.ts (Acrel ADW300 manual, Eastron SDM630 protocol,
 * SunSpec models 701/703/704/713, 103/123). Two entries are this gateway's choices, flagged where they are defined:
 * the ADW300 relay register and the vendor maps' on/off registers (see docs/points.md: verify on the real device).
 */
import type { PointType } from "./points";
import { deepFreeze } from "../core/freeze";

export type PointModelKind = "meter" | "ess" | "pv" | "charger";

export interface PointDef {
  readonly name: string;
  readonly fc: 3 | 4;
  readonly address: number;
  readonly type: PointType;
  readonly scale: number;
  /** SunSpec scale factor register (int16, read with the same fc), or -1. */
  readonly sfAddress: number;
  /** Transformer ratio applied to a meter reading: 0 none, 1 pt, 2 ct, 3 pt x ct. */
  readonly xf: 0 | 1 | 2 | 3;
  /** 0: read only; 6: FC06 (one register); 16: FC16. */
  readonly write: 0 | 6 | 16;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  /** "control": the control loop owns this register; scheduled writes are refused. */
  readonly owner?: "control";
}

export interface PointTable {
  /** The model name a site's `points.devices[].model` names (a meter type, or a device map of device-maps.ts). */
  readonly model: string;
  readonly aliases: readonly string[];
  readonly kind: PointModelKind;
  readonly points: readonly PointDef[];
}

type Extra = Partial<Pick<PointDef, "sfAddress" | "xf" | "write" | "min" | "max" | "owner">>;

function point(name: string, fc: 3 | 4, address: number, type: PointType, scale: number, unit: string, extra: Extra = {}): PointDef {
  return { name, fc, address, type, scale, unit, sfAddress: extra.sfAddress ?? -1, xf: extra.xf ?? 0, write: extra.write ?? 0, min: extra.min ?? 0, max: extra.max ?? 0, owner: extra.owner };
}

/** An on/off point: 0 off (open, out of service), 1 on. */
function onOff(name: string, fc: 3 | 4, address: number, write: 6 | 16): PointDef {
  return point(name, fc, address, "u16", 1, "", { write, min: 0, max: 1 });
}

/**
 * Acrel ADW300 (holding registers, secondary values: the pt/ct of the device entry scale them). Switch/ForceSwitch:
 * the relay output (1 closed, 0 open) at 0x0060 written with FC06: THIS GATEWAY'S CHOICE for the DO option (the
 * simulated meter implements it); a site whose meter variant differs needs its table changed here.
 */
const ADW300_POINTS: PointTable = deepFreeze({
  model: "Acrel-ADW300",
  aliases: ["ADW300", "Acrel ADW300", "Acrel_ADW300"],
  kind: "meter",
  points: [
    point("Ua", 3, 0x0014, "u16", 0.1, "V", { xf: 1 }),
    point("Ub", 3, 0x0015, "u16", 0.1, "V", { xf: 1 }),
    point("Uc", 3, 0x0016, "u16", 0.1, "V", { xf: 1 }),
    point("Ia", 3, 0x001a, "u16", 0.01, "A", { xf: 2 }),
    point("Ib", 3, 0x001b, "u16", 0.01, "A", { xf: 2 }),
    point("Ic", 3, 0x001c, "u16", 0.01, "A", { xf: 2 }),
    point("Pa", 3, 0x001e, "i32", 1, "W", { xf: 3 }),
    point("Pb", 3, 0x0020, "i32", 1, "W", { xf: 3 }),
    point("Pc", 3, 0x0022, "i32", 1, "W", { xf: 3 }),
    point("P", 3, 0x0024, "i32", 1, "W", { xf: 3 }),
    point("ImpEp", 3, 0x003e, "u32", 0.01, "kWh", { xf: 3 }),
    point("ExpEp", 3, 0x0040, "u32", 0.01, "kWh", { xf: 3 }),
    onOff("Switch", 3, 0x0060, 6),
    onOff("ForceSwitch", 3, 0x0060, 6),
  ],
});

/** Eastron SDM630 (input registers, float32): measurements only, no relay. */
const SDM630_POINTS: PointTable = deepFreeze({
  model: "Eastron-SDM630",
  aliases: ["SDM630", "Eastron SDM630", "SDM630-Modbus"],
  kind: "meter",
  points: [
    point("Ua", 4, 0x0000, "f32", 1, "V", { xf: 1 }),
    point("Ub", 4, 0x0002, "f32", 1, "V", { xf: 1 }),
    point("Uc", 4, 0x0004, "f32", 1, "V", { xf: 1 }),
    point("Ia", 4, 0x0006, "f32", 1, "A", { xf: 2 }),
    point("Ib", 4, 0x0008, "f32", 1, "A", { xf: 2 }),
    point("Ic", 4, 0x000a, "f32", 1, "A", { xf: 2 }),
    point("Pa", 4, 0x000c, "f32", 1, "W", { xf: 3 }),
    point("Pb", 4, 0x000e, "f32", 1, "W", { xf: 3 }),
    point("Pc", 4, 0x0010, "f32", 1, "W", { xf: 3 }),
    point("P", 4, 0x0034, "f32", 1, "W", { xf: 3 }),
    point("ImpEp", 4, 0x0048, "f32", 1, "kWh", { xf: 3 }),
    point("ExpEp", 4, 0x004a, "f32", 1, "kWh", { xf: 3 }),
  ],
});

/**
 * SunSpec PCS at the layout of device-maps.ts (701 at 40070, 704 at 40200, 713 at 40300) plus model 703 (Enter
 * Service) at 40270: ForceSwitch is 703.ES (1 enter service, 0 cease to energize). P is 701.W (W_SF at 701+116),
 * SoC 713.SoC (Pct_SF at 713+8), WSet the 704 setpoint the control loop writes.
 */
export const SUNSPEC_M703 = 40270;
const SUNSPEC_PCS_POINTS: PointTable = deepFreeze({
  model: "sunspec-704",
  aliases: [],
  kind: "ess",
  points: [
    point("P", 3, 40070 + 10, "i16", 1, "W", { sfAddress: 40070 + 116 }),
    point("SoC", 3, 40300 + 4, "u16", 1, "%", { sfAddress: 40300 + 8 }),
    point("WSet", 3, 40200 + 24, "i32", 1, "W", { owner: "control", write: 16, min: -1e9, max: 1e9 }),
    onOff("ForceSwitch", 3, SUNSPEC_M703 + 2, 16),
  ],
});

/** SunSpec PV inverter (103 at 40069, 123 at 40121): ForceSwitch is 123.Conn (1 connect, 0 disconnect). */
const SUNSPEC_PV_POINTS: PointTable = deepFreeze({
  model: "sunspec-123",
  aliases: [],
  kind: "pv",
  points: [
    point("P", 3, 40069 + 14, "i16", 1, "W", { sfAddress: 40069 + 15 }),
    point("WMaxLimPct", 3, 40121 + 5, "u16", 1, "%", { sfAddress: 40121 + 23, owner: "control", write: 16, min: 0, max: 100 }),
    onOff("ForceSwitch", 3, 40121 + 4, 16),
  ],
});

/**
 * The vendor single-register maps (device-maps.ts): power as an input register in 100 W; the command register the
 * loop owns; ForceSwitch the holding register after the command (on/off, FC06): THIS GATEWAY'S CHOICE for the
 * generic vendor pattern, implemented by the simulated devices.
 */
function vendorPoints(model: string, kind: PointModelKind, command: number, power: number, soc: boolean): PointTable {
  const points: PointDef[] = [point("P", 4, power, "i16", 100, "W")];
  if (soc) points.push(point("SoC", 4, power + 1, "u16", 0.1, "%"));
  points.push(point(kind === "ess" ? "PowerSet" : "PowerLimit", 3, command, kind === "ess" ? "i16" : "u16", 100, "W", { owner: "control", write: 6, min: -3.2e6, max: 3.2e6 }));
  points.push(onOff("ForceSwitch", 3, command + 1, 6));
  return { model, aliases: [], kind, points };
}

export const POINT_TABLES: readonly PointTable[] = deepFreeze([
  ADW300_POINTS,
  SDM630_POINTS,
  SUNSPEC_PCS_POINTS,
  vendorPoints("generic-pcs", "ess", 0x1000, 0x2000, true),
  SUNSPEC_PV_POINTS,
  vendorPoints("generic-pv", "pv", 0x3000, 0x3100, false),
  vendorPoints("generic-charger", "charger", 0x4000, 0x4100, false),
  vendorPoints("generic-charger-current", "charger", 0x4000, 0x4100, false),
]);

/** The table of a model name (case-insensitive, aliases too), or null. */
export function findPointTable(model: string): PointTable | null {
  const wanted = model.trim().toLowerCase();
  for (const table of POINT_TABLES) {
    if (table.model.toLowerCase() === wanted) return table;
    for (const alias of table.aliases) if (alias.toLowerCase() === wanted) return table;
  }
  return null;
}

/** Index of point `name` in `table` (exact, then case-insensitive), or -1. */
export function findPoint(table: PointTable, name: string): number {
  const points = table.points;
  for (let i = 0; i < points.length; i++) if (points[i].name === name) return i;
  const lower = name.toLowerCase();
  for (let i = 0; i < points.length; i++) if (points[i].name.toLowerCase() === lower) return i;
  return -1;
}
