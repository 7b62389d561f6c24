/**
 * Register maps of the grid meters the gateway reads, as data. Values are what the meter reports on its secondary
 * side (before PT/CT); scaling to primary values and the installation's direction are applied by MeterDriver.
 *
 * Sources: Acrel ADW300 user manual (Modbus-RTU register table); Eastron SDM630 Modbus protocol (input registers,
 * IEEE-754 float, high word first). Addresses are 0-based PDU addresses (SDM630's "30013" is input register 12).
 */
import type { BlockDef, PointRef } from "./blocks";
import { deepFreeze } from "../core/freeze";

export interface MeterMap {
  /** The name the platform sends in ele_device_type.name. */
  readonly model: string;
  /** Other spellings accepted for `model` (compared case-insensitively). */
  readonly aliases: readonly string[];
  readonly blocks: readonly BlockDef[];
  /** Total active power, W, import positive; null: the sum of the phase powers. */
  readonly totalPower: PointRef | null;
  readonly phasePower: readonly [PointRef, PointRef, PointRef];
  readonly voltage: readonly [PointRef, PointRef, PointRef] | null;
  readonly current: readonly [PointRef, PointRef, PointRef] | null;
  readonly importKwh: PointRef | null;
  readonly exportKwh: PointRef | null;
  /** The meter's own present forward (import) demand, W, if it computes one. */
  readonly demandW: PointRef | null;
}

const i32 = (block: number, offset: number, scale = 1): PointRef => ({ block, offset, type: "i32", scale });
const u32 = (block: number, offset: number, scale = 1): PointRef => ({ block, offset, type: "u32", scale });
const u16 = (block: number, offset: number, scale = 1): PointRef => ({ block, offset, type: "u16", scale });
const f32 = (block: number, offset: number, scale = 1): PointRef => ({ block, offset, type: "f32", scale });

/**
 * Acrel ADW300 (FC03). Fast block: Pa, Pb, Pc, P total at 0x001E..0x0025 (int32, W). Slow blocks: Ua..Uc
 * 0x0014..0x0016 (0.1 V) with Ia..Ic 0x001A..0x001C (0.01 A); import/export energy 0x003E/0x0040 (uint32,
 * 0.01 kWh); present forward demand 0x015A (uint32, W).
 */
export const ADW300: MeterMap = deepFreeze({
  model: "Acrel-ADW300",
  aliases: ["ADW300", "Acrel ADW300", "Acrel_ADW300"],
  blocks: [
    { fc: 3, address: 0x001e, count: 8 },
    { fc: 3, address: 0x0014, count: 9, when: "slow" },
    { fc: 3, address: 0x003e, count: 4, when: "slow" },
    { fc: 3, address: 0x015a, count: 2, when: "slow" },
  ],
  totalPower: i32(0, 6),
  phasePower: [i32(0, 0), i32(0, 2), i32(0, 4)],
  voltage: [u16(1, 0, 0.1), u16(1, 1, 0.1), u16(1, 2, 0.1)],
  current: [u16(1, 6, 0.01), u16(1, 7, 0.01), u16(1, 8, 0.01)],
  importKwh: u32(2, 0, 0.01),
  exportKwh: u32(2, 2, 0.01),
  demandW: u32(3, 0),
});

/**
 * Eastron SDM630 (FC04, float32). One fast block 0x0000..0x0011: phase voltages (V), currents (A) and active
 * powers (W); the total is the sum of the phases (its own total sits 34 registers further: one read is cheaper).
 * Slow: import/export energy 0x0048/0x004A (kWh), total system power demand 0x0054 (W).
 */
export const SDM630: MeterMap = deepFreeze({
  model: "Eastron-SDM630",
  aliases: ["SDM630", "Eastron SDM630", "SDM630-Modbus"],
  blocks: [
    { fc: 4, address: 0x0000, count: 18 },
    { fc: 4, address: 0x0048, count: 4, when: "slow" },
    { fc: 4, address: 0x0054, count: 2, when: "slow" },
  ],
  totalPower: null,
  phasePower: [f32(0, 12), f32(0, 14), f32(0, 16)],
  voltage: [f32(0, 0), f32(0, 2), f32(0, 4)],
  current: [f32(0, 6), f32(0, 8), f32(0, 10)],
  importKwh: f32(1, 0),
  exportKwh: f32(1, 2),
  demandW: f32(2, 0),
});

export const METER_MAPS: readonly MeterMap[] = deepFreeze([ADW300, SDM630]);

/** The map for a platform meter type name, or null when the gateway has no map for it. */
export function findMeterMap(model: string): MeterMap | null {
  const wanted = model.trim().toLowerCase();
  for (const map of METER_MAPS) {
    if (map.model.toLowerCase() === wanted) return map;
    for (const alias of map.aliases) if (alias.toLowerCase() === wanted) return map;
  }
  return null;
}
