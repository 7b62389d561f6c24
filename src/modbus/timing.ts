/**
 * RTU line timing. Modbus counts 11 bits per character (start, 8 data, parity or a second stop, stop). Above 19200
 * baud the standard fixes the inter-frame gap at 1.75 ms instead of 3.5 characters.
 */
import { responsePduLength, requestPduLength } from "./pdu";
import type { ModbusTransaction } from "./transaction";

export function charTimeMs(baud: number): number {
  return 11_000 / baud;
}

/** Silent interval that ends a frame (t3.5). */
export function frameGapMs(baud: number): number {
  return baud > 19_200 ? 1.75 : 3.5 * charTimeMs(baud);
}

/** RTU frame bytes: unit + PDU + CRC. */
export function rtuRequestBytes(tx: ModbusTransaction): number {
  return 1 + requestPduLength(tx) + 2;
}

export function rtuResponseBytes(tx: ModbusTransaction): number {
  return 1 + responsePduLength(tx) + 2;
}

/**
 * Bus time of one RTU transaction when the slave answers: request on the wire, its closing gap, the slave's
 * turnaround, the answer, and the gap after it before the next request may start.
 */
export function rtuTransactionMs(baud: number, requestBytes: number, responseBytes: number, turnaroundMs: number): number {
  return (requestBytes + responseBytes) * charTimeMs(baud) + 2 * frameGapMs(baud) + turnaroundMs;
}

/** Bus time of a read of `registers` registers (FC03/04), for planning a cycle. */
export function rtuReadMs(baud: number, registers: number, turnaroundMs: number): number {
  return rtuTransactionMs(baud, 8, 5 + 2 * registers, turnaroundMs);
}

/** Bus time of an FC16 write of `registers` registers (FC06 for one costs the same 8 + 8 bytes). */
export function rtuWriteMs(baud: number, registers: number, single: boolean, turnaroundMs: number): number {
  return rtuTransactionMs(baud, single ? 8 : 9 + 2 * registers, 8, turnaroundMs);
}
