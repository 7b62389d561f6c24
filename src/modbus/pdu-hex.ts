/**
 * A Modbus request PDU given as hex text (spec 003 `transport`: the platform passes a raw PDU to a port) parsed into a
 * transaction, and a finished transaction's answer rendered back as hex for the event's `msg`. Command and fire rate:
 * these allocate.
 */
import { FunctionCode, TxStatus, type ModbusTransaction } from "./transaction";

/** Parse a hex request PDU into `tx` (unit given); null or the problem. FC 3/4 (read), 6 (one register), 16 (several). */
export function decodeRequestPdu(hex: string, tx: ModbusTransaction, unit: number): string | null {
  const clean = hex;
  if (clean.length < 2 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) return "pdu must be an even number of hex digits (no spaces)";
  const bytes = clean.length / 2;
  const byte = (i: number) => parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  const word = (i: number) => (byte(i) << 8) | byte(i + 1);
  const fc = byte(0);
  if (fc === FunctionCode.ReadHoldingRegisters || fc === FunctionCode.ReadInputRegisters) {
    if (bytes !== 5) return `a read PDU (FC ${fc}) is 5 bytes, got ${bytes}`;
    const count = word(3);
    if (count < 1 || count > 125) return "a read asks for 1..125 registers";
    tx.setRead(unit, fc, word(1), count);
    return null;
  }
  if (fc === FunctionCode.WriteSingleRegister) {
    if (bytes !== 5) return `an FC 6 PDU is 5 bytes, got ${bytes}`;
    tx.registers[0] = word(3);
    tx.setWrite(unit, word(1), 1, true);
    return null;
  }
  if (fc === FunctionCode.WriteMultipleRegisters) {
    const count = bytes >= 6 ? word(3) : 0;
    if (count < 1 || count > 123 || byte(5) !== 2 * count || bytes !== 6 + 2 * count) return "an FC 16 PDU is fc, address, count (1..123), byte count 2 x count, then the values";
    for (let i = 0; i < count; i++) tx.registers[i] = word(6 + 2 * i);
    tx.setWrite(unit, word(1), count, false);
    return null;
  }
  return `function ${fc} is not carried (the gateway's Modbus master speaks FC 3, 4, 6 and 16)`;
}

/** The answer PDU of a finished transaction, in hex (fire rate: allocates). */
export function responseHex(tx: ModbusTransaction): string {
  const hex = (v: number, digits: number) => v.toString(16).padStart(digits, "0");
  if (tx.status === TxStatus.Exception) return hex(tx.functionCode | 0x80, 2) + hex(tx.exceptionCode, 2);
  if (tx.isRead) {
    let out = hex(tx.functionCode, 2) + hex(2 * tx.count, 2);
    for (let i = 0; i < tx.count; i++) out += hex(tx.registers[tx.base + i], 4);
    return out;
  }
  const second = tx.functionCode === FunctionCode.WriteSingleRegister ? tx.registers[tx.base] : tx.count;
  return hex(tx.functionCode, 2) + hex(tx.address, 4) + hex(second, 4);
}
