/**
 * Where each device map's rated power is read when the platform sends none (spec 000 defines no `rated_power`):
 * frozen data, one entry per map of device-maps.ts (docs/points.md, "Ratings").
 *
 * - SunSpec PCS: 702.WMax (the DER's maximum active power setting, W) with 702.W_SF; model 702 at 40310 in our
 *   layout (the offsets +26 and +45 are SunSpec's; the model's start address is the layout's, as for 701/704/713).
 * - SunSpec PV inverter: 121.WMax with 121.WMax_SF (+2, +22), the base WMaxLimPct is a percentage of; 121 at 40147.
 * - Vendor maps: the rated power in 100 W right after the on/off register (command + 2): THIS GATEWAY'S CHOICE for
 *   the generic vendor pattern, as the on/off register is; chargers: maximum current per phase (0.1 A) and nominal
 *   voltage (0.1 V) at 0x4020/0x4021, rated power = 3 x A x V.
 * No default is invented when the read fails: a wrong rating would let the loop command beyond the device. The
 * device stays out of control (its problem says why) and the read is retried.
 */
import { deepFreeze } from "../core/freeze";

export interface RatingDef {
  /** The device map (device-maps.ts) this applies to. */
  readonly map: string;
  readonly fc: 3 | 4;
  readonly address: number;
  /** 1: one uint16 register; 2: current (0.1 A) then voltage (0.1 V), three phases. */
  readonly count: 1 | 2;
  /** W per LSB (count 1). */
  readonly scale: number;
  /** SunSpec scale factor register (int16), or -1. */
  readonly sfAddress: number;
  readonly what: string;
}

const SUNSPEC_M702 = 40310;
const SUNSPEC_M121 = 40147;

export const RATINGS: readonly RatingDef[] = deepFreeze([
  { map: "sunspec-704", fc: 3, address: SUNSPEC_M702 + 26, count: 1, scale: 1, sfAddress: SUNSPEC_M702 + 45, what: "SunSpec 702.WMax" },
  { map: "generic-pcs", fc: 3, address: 0x1002, count: 1, scale: 100, sfAddress: -1, what: "rated power register 0x1002" },
  { map: "sunspec-123", fc: 3, address: SUNSPEC_M121 + 2, count: 1, scale: 1, sfAddress: SUNSPEC_M121 + 22, what: "SunSpec 121.WMax" },
  { map: "generic-pv", fc: 3, address: 0x3002, count: 1, scale: 100, sfAddress: -1, what: "rated power register 0x3002" },
  { map: "generic-charger", fc: 3, address: 0x4020, count: 2, scale: 1, sfAddress: -1, what: "maximum current and voltage 0x4020" },
  { map: "generic-charger-current", fc: 3, address: 0x4020, count: 2, scale: 1, sfAddress: -1, what: "maximum current and voltage 0x4020" },
] as RatingDef[]);

export function findRating(map: string): RatingDef | null {
  for (const def of RATINGS) if (def.map === map) return def;
  return null;
}
