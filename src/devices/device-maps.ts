/**
 * Register maps of controllable devices (PCS, PV inverters, chargers), as data: what to read (actual power, state
 * of charge, scale factors) and how a power command is written.
 *
 * Sign conventions after decoding, whatever the device uses on the wire (`sign` converts):
 *   ESS: W > 0 discharges (feeds the site), W < 0 charges.   PV: W >= 0 production.   Charger: W >= 0 consumption.
 * A PV or charger command is a limit (upper bound), not a setpoint: the device may produce/consume less.
 */
import type { BlockDef, PointRef } from "./blocks";
import type { PointType } from "./points";
import { deepFreeze } from "../core/freeze";

export type DeviceKind = "ess" | "pv" | "charger";

/** One register field of the command write: the power value, a constant, or the revert timer in seconds. */
export interface CommandField {
  readonly offset: number;
  readonly type: PointType;
  readonly value: "setpoint" | "revertSeconds" | number;
}

/** How a power in W becomes the raw setpoint value. */
export type SetpointEncoding =
  /** raw = sign x W / unitW (x 10^-sf when `sf` is given). */
  | { readonly unit: "W"; readonly unitW: number; readonly sign: 1 | -1; readonly sf?: PointRef }
  /** raw = 100 x W / ratedW / unitPct (x 10^-sf): SunSpec WMaxLimPct. */
  | { readonly unit: "pct"; readonly unitPct: number; readonly sf?: PointRef }
  /** raw = W / (phases x volts) / unitA: chargers limited by current per phase. */
  | { readonly unit: "A"; readonly unitA: number; readonly phases: number; readonly volts: number };

export interface CommandDef {
  readonly address: number;
  readonly count: number;
  /** Use FC06 (the device does not implement FC16); only with count 1. */
  readonly single?: boolean;
  readonly fields: readonly CommandField[];
  readonly encoding: SetpointEncoding;
}

export interface DeviceMap {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly blocks: readonly BlockDef[];
  /** Actual AC power in the device's own sign; multiplied by `powerSign` to get this file's convention. */
  readonly power: PointRef;
  readonly powerSign: 1 | -1;
  /** State of charge, % (ESS only). */
  readonly soc: PointRef | null;
  readonly command: CommandDef;
}

// --- SunSpec ---------------------------------------------------------------------------------------------------

/** Start addresses (the register holding the model ID) of the SunSpec models a device exposes. */
export interface SunSpecEssLayout {
  m701: number;
  m704: number;
  m713: number;
}

/**
 * PCS through SunSpec DER models: actual power 701.W (int16, W_SF at 701+116), state of charge 713.SoC
 * (uint16, Pct_SF at 713+8), setpoint 704.WSet (int32 W, WSet_SF at 704+55, negative = charge).
 *
 * The command is one FC16 over 704 offsets 22..32: WSetEna=1, WSetMod=1 (watts), WSet, WSetRvrt=0,
 * WSetPct=0, WSetPctRvrt=0, WSetEnaRvrt=0, WSetRvrtTms. Rewriting the revert timer with every setpoint restarts
 * the device's countdown: if the gateway stops writing, the PCS falls back to 0 W (control disabled) by itself.
 * Scale factors are read once before the first command.
 */
export function sunspecEssMap(layout: SunSpecEssLayout): DeviceMap {
  const wSf: PointRef = { block: 1, offset: 0, type: "i16", scale: 1 };
  const wSetSf: PointRef = { block: 2, offset: 0, type: "i16", scale: 1 };
  const pctSf: PointRef = { block: 3, offset: 4, type: "i16", scale: 1 };
  return {
    name: "sunspec-704",
    kind: "ess",
    blocks: [
      { fc: 3, address: layout.m701 + 10, count: 1 },
      { fc: 3, address: layout.m701 + 116, count: 1, when: "init" },
      { fc: 3, address: layout.m704 + 55, count: 1, when: "init" },
      { fc: 3, address: layout.m713 + 4, count: 5, when: "slow" },
    ],
    power: { block: 0, offset: 0, type: "i16", scale: 1, sf: wSf },
    powerSign: 1,
    soc: { block: 3, offset: 0, type: "u16", scale: 1, sf: pctSf },
    command: {
      address: layout.m704 + 22,
      count: 11,
      fields: [
        { offset: 0, type: "u16", value: 1 },
        { offset: 1, type: "u16", value: 1 },
        { offset: 2, type: "i32", value: "setpoint" },
        { offset: 4, type: "i32", value: 0 },
        { offset: 6, type: "i16", value: 0 },
        { offset: 7, type: "i16", value: 0 },
        { offset: 8, type: "u16", value: 0 },
        { offset: 9, type: "u32", value: "revertSeconds" },
      ],
      encoding: { unit: "W", unitW: 1, sign: 1, sf: wSetSf },
    },
  };
}

export interface SunSpecPvLayout {
  m103: number;
  m123: number;
}

/**
 * PV inverter through SunSpec: actual power 103.W with W_SF (offsets 14, 15: one read), limit 123.WMaxLimPct
 * (% of WMax, WMaxLimPct_SF at 123+23). The command is one FC16 over 123 offsets 5..9: WMaxLimPct,
 * WMaxLimPct_WinTms=0, WMaxLimPct_RvrtTms, WMaxLimPct_RmpTms=0, WMaxLim_Ena=1.
 */
export function sunspecPvMap(layout: SunSpecPvLayout): DeviceMap {
  const wSf: PointRef = { block: 0, offset: 1, type: "i16", scale: 1 };
  return {
    name: "sunspec-123",
    kind: "pv",
    blocks: [
      { fc: 3, address: layout.m103 + 14, count: 2 },
      { fc: 3, address: layout.m123 + 23, count: 1, when: "init" },
    ],
    power: { block: 0, offset: 0, type: "i16", scale: 1, sf: wSf },
    powerSign: 1,
    soc: null,
    command: {
      address: layout.m123 + 5,
      count: 5,
      fields: [
        { offset: 0, type: "u16", value: "setpoint" },
        { offset: 1, type: "u16", value: 0 },
        { offset: 2, type: "u16", value: "revertSeconds" },
        { offset: 3, type: "u16", value: 0 },
        { offset: 4, type: "u16", value: 1 },
      ],
      encoding: { unit: "pct", unitPct: 1, sf: { block: 1, offset: 0, type: "i16", scale: 1 } },
    },
  };
}

/** Typical SunSpec layouts (model IDs found by scanning from 40000 on the units we model in the simulator). */
export const SUNSPEC_ESS_DEFAULT: SunSpecEssLayout = deepFreeze({ m701: 40070, m704: 40200, m713: 40300 });
export const SUNSPEC_PV_DEFAULT: SunSpecPvLayout = deepFreeze({ m103: 40069, m123: 40121 });

// --- Vendor single-register maps ---------------------------------------------------------------------------------

export interface VendorLayout {
  /** Holding register of the command (int16 for ESS, uint16 for PV and chargers). */
  setpointAddress: number;
  /** W per LSB of the command: 100 for "0.1 kW" registers, 1000 for kW. */
  setpointUnitW: number;
  /** +1 when the device's positive command means discharge/production/consumption, -1 when the opposite. */
  setpointSign: 1 | -1;
  /** Input or holding register of the actual power (int16) and its W per LSB. */
  powerAddress: number;
  powerFc: 3 | 4;
  powerUnitW: number;
  powerSign: 1 | -1;
  /** State of charge register (uint16, `socUnitPct` % per LSB) right after the power register, or -1. */
  socAddress: number;
  socUnitPct: number;
}

/**
 * The common vendor PCS pattern: one int16 holding register for the active-power command in 100 W units, written
 * with FC06, and status registers for actual power and SoC. No hardware revert timer: the control loop's safe
 * state is the only fallback (see docs/control.md).
 */
export const GENERIC_PCS_LAYOUT: VendorLayout = deepFreeze({
  setpointAddress: 0x1000,
  setpointUnitW: 100,
  setpointSign: 1,
  powerAddress: 0x2000,
  powerFc: 4,
  powerUnitW: 100,
  powerSign: 1,
  socAddress: 0x2001,
  socUnitPct: 0.1,
});

export function vendorDeviceMap(name: string, kind: DeviceKind, layout: VendorLayout): DeviceMap {
  const hasSoc = layout.socAddress >= 0;
  const adjacentSoc = hasSoc && layout.socAddress === layout.powerAddress + 1;
  const blocks: BlockDef[] = [{ fc: layout.powerFc, address: layout.powerAddress, count: adjacentSoc ? 2 : 1 }];
  if (hasSoc && !adjacentSoc) blocks.push({ fc: layout.powerFc, address: layout.socAddress, count: 1, when: "slow" });
  return {
    name,
    kind,
    blocks,
    power: { block: 0, offset: 0, type: "i16", scale: layout.powerUnitW },
    powerSign: layout.powerSign,
    soc: hasSoc ? { block: adjacentSoc ? 0 : 1, offset: adjacentSoc ? 1 : 0, type: "u16", scale: layout.socUnitPct } : null,
    command: {
      address: layout.setpointAddress,
      count: 1,
      single: true,
      fields: [{ offset: 0, type: kind === "ess" ? "i16" : "u16", value: "setpoint" }],
      encoding: { unit: "W", unitW: layout.setpointUnitW, sign: layout.setpointSign },
    },
  };
}

export const GENERIC_PV_LAYOUT: VendorLayout = deepFreeze({
  setpointAddress: 0x3000,
  setpointUnitW: 100,
  setpointSign: 1,
  powerAddress: 0x3100,
  powerFc: 4,
  powerUnitW: 100,
  powerSign: 1,
  socAddress: -1,
  socUnitPct: 0,
});

/** Charger limited by power: uint16 holding register in 100 W units; actual power as an input register. */
export const GENERIC_CHARGER_LAYOUT: VendorLayout = deepFreeze({
  setpointAddress: 0x4000,
  setpointUnitW: 100,
  setpointSign: 1,
  powerAddress: 0x4100,
  powerFc: 4,
  powerUnitW: 100,
  powerSign: 1,
  socAddress: -1,
  socUnitPct: 0,
});

/**
 * Charger limited by current per phase (the OCPP/IEC 61851 way): command in 0.1 A per phase at 230 V, 3 phases,
 * written with FC06 at 0x4010; actual power as for the power-limited charger.
 */
export function chargerCurrentMap(): DeviceMap {
  const base = vendorDeviceMap("generic-charger-current", "charger", GENERIC_CHARGER_LAYOUT);
  return {
    ...base,
    command: {
      address: 0x4010,
      count: 1,
      single: true,
      fields: [{ offset: 0, type: "u16", value: "setpoint" }],
      encoding: { unit: "A", unitA: 0.1, phases: 3, volts: 230 },
    },
  };
}

/** Every device map by name, as strategies and site configs refer to them. */
export function findDeviceMap(name: string): DeviceMap | null {
  for (const map of DEVICE_MAPS) if (map.name === name) return map;
  return null;
}

/**
 * The named maps, built once and frozen: every device of a model shares its map (read only), instead of a copy per
 * device (~100 XS slots each; on the device this table is preloaded into flash and costs no RAM).
 */
const DEVICE_MAPS: readonly DeviceMap[] = deepFreeze([
  sunspecEssMap(SUNSPEC_ESS_DEFAULT),
  vendorDeviceMap("generic-pcs", "ess", GENERIC_PCS_LAYOUT),
  sunspecPvMap(SUNSPEC_PV_DEFAULT),
  vendorDeviceMap("generic-pv", "pv", GENERIC_PV_LAYOUT),
  vendorDeviceMap("generic-charger", "charger", GENERIC_CHARGER_LAYOUT),
  chargerCurrentMap(),
]);

export const DEVICE_MAP_NAMES = deepFreeze(["sunspec-704", "generic-pcs", "sunspec-123", "generic-pv", "generic-charger", "generic-charger-current"] as const);
