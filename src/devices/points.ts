/**
 * Register values as numbers: the register maps (meter-maps.ts, device-maps.ts) are data that name a register
 * offset and a type; these functions turn registers into numbers and back, without allocating.
 */
import { deepFreeze } from "../core/freeze";

/**
 * u16/i16: one register. u32/i32/f32: two registers, high word first (Modbus convention); the `_sw` variants have
 * the low word first (word-swapped, as some meters send them).
 */
export type PointType = "u16" | "i16" | "u32" | "i32" | "f32" | "u32_sw" | "i32_sw" | "f32_sw";

export function pointWords(type: PointType): 1 | 2 {
  return type === "u16" || type === "i16" ? 1 : 2;
}

/**
 * A 4-byte scratch for float conversion, owned by the caller (one per poller or device) and reused, so decoding a
 * float allocates nothing. Not a module-level buffer: the module is preloaded into flash on the device, where a
 * module-level DataView is read-only.
 */
export function newFloatScratch(): DataView {
  return new DataView(new ArrayBuffer(4));
}

/** The raw (unscaled) value of a point at `offset` in `registers`; `floatScratch` from newFloatScratch(). */
export function readPoint(registers: Uint16Array, offset: number, type: PointType, floatScratch: DataView): number {
  switch (type) {
    case "u16":
      return registers[offset];
    case "i16":
      return (registers[offset] << 16) >> 16;
    case "u32":
      return registers[offset] * 65536 + registers[offset + 1];
    case "i32":
      return ((registers[offset] << 16) | registers[offset + 1]) | 0;
    case "u32_sw":
      return registers[offset + 1] * 65536 + registers[offset];
    case "i32_sw":
      return ((registers[offset + 1] << 16) | registers[offset]) | 0;
    case "f32":
      floatScratch.setUint16(0, registers[offset]);
      floatScratch.setUint16(2, registers[offset + 1]);
      return floatScratch.getFloat32(0);
    case "f32_sw":
      floatScratch.setUint16(0, registers[offset + 1]);
      floatScratch.setUint16(2, registers[offset]);
      return floatScratch.getFloat32(0);
  }
}

/**
 * Write `value` (already in raw units, rounded by the caller for integer types) at `offset`. Integer values outside
 * the type's range are clamped to it: a setpoint beyond int16 must saturate, never wrap to the opposite sign.
 */
export function writePoint(registers: Uint16Array, offset: number, type: PointType, value: number, floatScratch: DataView): void {
  switch (type) {
    case "u16":
      registers[offset] = clampInt(value, 0, 0xffff);
      return;
    case "i16":
      registers[offset] = clampInt(value, -0x8000, 0x7fff) & 0xffff;
      return;
    case "u32":
    case "u32_sw": {
      const v = clampInt(value, 0, 0xffffffff);
      writeWords(registers, offset, type === "u32_sw", Math.floor(v / 65536), v % 65536);
      return;
    }
    case "i32":
    case "i32_sw": {
      const v = clampInt(value, -0x80000000, 0x7fffffff);
      writeWords(registers, offset, type === "i32_sw", (v >> 16) & 0xffff, v & 0xffff);
      return;
    }
    case "f32":
    case "f32_sw":
      floatScratch.setFloat32(0, value);
      writeWords(registers, offset, type === "f32_sw", floatScratch.getUint16(0), floatScratch.getUint16(2));
      return;
  }
}

function writeWords(registers: Uint16Array, offset: number, swapped: boolean, high: number, low: number): void {
  registers[offset] = swapped ? low : high;
  registers[offset + 1] = swapped ? high : low;
}

function clampInt(value: number, min: number, max: number): number {
  const rounded = Math.round(value);
  return rounded < min ? min : rounded > max ? max : rounded;
}

/** SunSpec "not implemented" markers: int16 0x8000, uint16 0xFFFF, int32 0x80000000. */
export function isSunSpecNotImplemented(registers: Uint16Array, offset: number, type: PointType): boolean {
  if (type === "i16") return registers[offset] === 0x8000;
  if (type === "u16") return registers[offset] === 0xffff;
  if (type === "i32") return registers[offset] === 0x8000 && registers[offset + 1] === 0;
  return false;
}

/** 10^sf for SunSpec scale factors (sf in -10..10); constant table, no Math.pow per sample. */
const POW10 = deepFreeze([1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]);
export function pow10(sf: number): number {
  return sf >= -10 && sf <= 10 ? POW10[sf + 10] : NaN;
}
