/**
 * Register encoders for the simulated devices. Written separately from src/devices/points.ts on purpose: the
 * simulator is the reference the drivers are tested against, so it must not share their decoding code.
 */
const scratch = new DataView(new ArrayBuffer(4));

export function putU16(regs: Uint16Array, at: number, value: number): void {
  regs[at] = Math.max(0, Math.min(0xffff, Math.round(value)));
}

export function putI16(regs: Uint16Array, at: number, value: number): void {
  scratch.setInt16(0, Math.max(-32768, Math.min(32767, Math.round(value))));
  regs[at] = scratch.getUint16(0);
}

export function putI32(regs: Uint16Array, at: number, value: number): void {
  scratch.setInt32(0, Math.max(-2147483648, Math.min(2147483647, Math.round(value))));
  regs[at] = scratch.getUint16(0);
  regs[at + 1] = scratch.getUint16(2);
}

export function putU32(regs: Uint16Array, at: number, value: number): void {
  scratch.setUint32(0, Math.max(0, Math.min(4294967295, Math.round(value))));
  regs[at] = scratch.getUint16(0);
  regs[at + 1] = scratch.getUint16(2);
}

export function putF32(regs: Uint16Array, at: number, value: number): void {
  scratch.setFloat32(0, value);
  regs[at] = scratch.getUint16(0);
  regs[at + 1] = scratch.getUint16(2);
}

export function getI16(regs: Uint16Array, at: number): number {
  scratch.setUint16(0, regs[at]);
  return scratch.getInt16(0);
}

export function getI32(regs: Uint16Array, at: number): number {
  scratch.setUint16(0, regs[at]);
  scratch.setUint16(2, regs[at + 1]);
  return scratch.getInt32(0);
}

export function getU32(regs: Uint16Array, at: number): number {
  scratch.setUint16(0, regs[at]);
  scratch.setUint16(2, regs[at + 1]);
  return scratch.getUint32(0);
}
