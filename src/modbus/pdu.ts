/**
 * Modbus PDU encoding and decoding shared by the RTU and TCP transports: function code, data, and the checks an
 * answer must pass. Works on caller-owned buffers; nothing here allocates.
 */
import { FunctionCode, MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, type ModbusTransaction } from "./transaction";
import { deepFreeze } from "../core/freeze";

/** Why a transaction cannot be encoded, or null when it can. The strings are constants: no allocation. */
export function requestProblem(tx: ModbusTransaction): string | null {
  if (!(tx.unit >= 0 && tx.unit <= 247 && (tx.unit | 0) === tx.unit)) return "unit must be 0..247";
  if (!(tx.address >= 0 && tx.address <= 0xffff && (tx.address | 0) === tx.address)) return "address must be 0..65535";
  if ((tx.count | 0) !== tx.count || tx.count < 1 || tx.address + tx.count > 0x10000) return "count out of range";
  switch (tx.functionCode) {
    case FunctionCode.ReadHoldingRegisters:
    case FunctionCode.ReadInputRegisters:
      if (tx.count > MAX_READ_REGISTERS) return "read count must be 1..125";
      if (tx.base + tx.count > tx.registers.length) return "read count exceeds the transaction's register buffer";
      if (tx.unit === 0) return "a read cannot be broadcast (unit 0)";
      return null;
    case FunctionCode.WriteSingleRegister:
      if (tx.count !== 1) return "FC06 writes exactly one register";
      if (tx.base >= tx.registers.length) return "write count exceeds the transaction's register buffer";
      return null;
    case FunctionCode.WriteMultipleRegisters:
      if (tx.count > MAX_WRITE_REGISTERS) return "write count must be 1..123";
      if (tx.base + tx.count > tx.registers.length) return "write count exceeds the transaction's register buffer";
      return null;
    default:
      return "unsupported function code";
  }
}

/** Bytes of the request PDU (function code + data), without unit, CRC or MBAP header. */
export function requestPduLength(tx: ModbusTransaction): number {
  return tx.functionCode === FunctionCode.WriteMultipleRegisters ? 6 + 2 * tx.count : 5;
}

/** Bytes of a normal answer's PDU for `tx`. */
export function responsePduLength(tx: ModbusTransaction): number {
  return tx.isRead ? 2 + 2 * tx.count : 5;
}

/** Write the request PDU at `offset`; returns its length. The transaction must have passed `requestProblem`. */
export function encodeRequestPdu(tx: ModbusTransaction, out: Uint8Array, offset: number): number {
  out[offset] = tx.functionCode;
  out[offset + 1] = tx.address >>> 8;
  out[offset + 2] = tx.address & 0xff;
  if (tx.functionCode === FunctionCode.WriteSingleRegister) {
    out[offset + 3] = tx.registers[tx.base] >>> 8;
    out[offset + 4] = tx.registers[tx.base] & 0xff;
    return 5;
  }
  out[offset + 3] = tx.count >>> 8;
  out[offset + 4] = tx.count & 0xff;
  if (tx.functionCode !== FunctionCode.WriteMultipleRegisters) return 5;
  out[offset + 5] = 2 * tx.count;
  let at = offset + 6;
  const registers = tx.registers;
  const end = tx.base + tx.count;
  for (let i = tx.base; i < end; i++) {
    out[at++] = registers[i] >>> 8;
    out[at++] = registers[i] & 0xff;
  }
  return at - offset;
}

/** Result of checking an answer PDU: ok, an exception (code in tx.exceptionCode), or malformed. */
export const PduCheck = deepFreeze({ Ok: 0, Exception: 1, Malformed: 2 } as const);
export type PduCheck = (typeof PduCheck)[keyof typeof PduCheck];

/**
 * Check the answer PDU of `length` bytes at `offset` against the request in `tx`, and copy read values into
 * `tx.registers` at `tx.base`. Write answers must echo the request (address, count or value), as the standard says.
 */
export function decodeResponsePdu(tx: ModbusTransaction, data: Uint8Array, offset: number, length: number): PduCheck {
  if (length < 2) return PduCheck.Malformed;
  const fc = data[offset];
  if (fc === (tx.functionCode | 0x80)) {
    if (length !== 2) return PduCheck.Malformed;
    tx.exceptionCode = data[offset + 1];
    return PduCheck.Exception;
  }
  if (fc !== tx.functionCode) return PduCheck.Malformed;
  if (tx.isRead) {
    const byteCount = data[offset + 1];
    if (byteCount !== 2 * tx.count || length !== 2 + byteCount) return PduCheck.Malformed;
    const registers = tx.registers;
    let at = offset + 2;
    const end = tx.base + tx.count;
    for (let i = tx.base; i < end; i++, at += 2) registers[i] = (data[at] << 8) | data[at + 1];
    return PduCheck.Ok;
  }
  if (length !== 5) return PduCheck.Malformed;
  const address = (data[offset + 1] << 8) | data[offset + 2];
  const second = (data[offset + 3] << 8) | data[offset + 4];
  if (address !== tx.address) return PduCheck.Malformed;
  if (tx.functionCode === FunctionCode.WriteSingleRegister ? second !== tx.registers[tx.base] : second !== tx.count) return PduCheck.Malformed;
  return PduCheck.Ok;
}

/** Names of the standard exception codes, for logs and status (constant strings). */
export function exceptionName(code: number): string {
  switch (code) {
    case 1:
      return "illegal function";
    case 2:
      return "illegal data address";
    case 3:
      return "illegal data value";
    case 4:
      return "server device failure";
    case 5:
      return "acknowledge";
    case 6:
      return "server device busy";
    case 10:
      return "gateway path unavailable";
    case 11:
      return "gateway target failed to respond";
    default:
      return "unknown exception";
  }
}
