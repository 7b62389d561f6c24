/**
 * A simulated Modbus slave: register banks that answer FC03/04/06/16 with real RTU frames (CRC, the bus's baud
 * timing, a turnaround delay) or over Modbus TCP (see tcp-server.ts). Unknown addresses get exception 2, unknown
 * function codes exception 1, as a real device would. Faults: `silent` (no answer at all), `ignoreWrites`
 * (acknowledge writes, change nothing: a PCS in local mode).
 *
 * Steady state allocates nothing: answers are built in a preallocated buffer and handed to the bus as reused views.
 */
import { appendCrc, checkCrc } from "../../src/modbus/crc16";
import type { SimBusDevice, SimSerialBus } from "../../hal/sim/serial";

/** A set of register ranges; addresses outside them are illegal (exception 2). */
export class RegisterBank {
  private readonly starts: number[] = [];
  private readonly arrays: Uint16Array[] = [];

  /** Add `count` registers from `start`; returns the array backing them (index 0 = `start`). */
  add(start: number, count: number): Uint16Array {
    const values = new Uint16Array(count);
    this.starts.push(start);
    this.arrays.push(values);
    return values;
  }

  /** The backing array and index of `address`, encoded as index into `arrays` * 65536 + offset; -1 if unmapped. */
  private locate(address: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      const offset = address - this.starts[i];
      if (offset >= 0 && offset < this.arrays[i].length) return i * 65536 + offset;
    }
    return -1;
  }

  /** True when every address of [address, address+count) is mapped. */
  covers(address: number, count: number): boolean {
    for (let a = address; a < address + count; a++) if (this.locate(a) < 0) return false;
    return true;
  }

  get(address: number): number {
    const at = this.locate(address);
    return at < 0 ? 0 : this.arrays[(at / 65536) | 0][at % 65536];
  }

  set(address: number, value: number): void {
    const at = this.locate(address);
    if (at >= 0) this.arrays[(at / 65536) | 0][at % 65536] = value & 0xffff;
  }
}

/** Told after a write was applied: the device model reacts (a new setpoint). */
export interface SlaveWriteListener {
  onRegistersWritten(slave: SimModbusSlave, address: number, count: number): void;
}

const FRAME_BYTES = 256;

export class SimModbusSlave implements SimBusDevice {
  readonly holding = new RegisterBank();
  readonly input = new RegisterBank();
  /** No answer to anything (a dead or unplugged device). */
  silent = false;
  /** Acknowledge writes without applying them. */
  ignoreWrites = false;
  /** Time from the end of a request to the start of the answer. */
  turnaroundMs = 10;
  requests = 0;
  exceptions = 0;
  /** Frames with a bad CRC (ignored, as the standard says). */
  crcErrors = 0;
  writeListener: SlaveWriteListener | null = null;
  private readonly answer = new Uint8Array(FRAME_BYTES);
  private readonly views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(FRAME_BYTES + 1);

  constructor(public unit: number) {}

  onFrame(frame: Uint8Array, bus: SimSerialBus): void {
    if (frame.length < 4) return;
    if (!checkCrc(frame, 0, frame.length)) {
      this.crcErrors++;
      return;
    }
    const unit = frame[0];
    if (unit !== this.unit && unit !== 0) return;
    if (this.silent) return;
    const length = this.handlePdu(frame, 1, frame.length - 3, this.answer, 1);
    if (unit === 0 || length === 0) return;
    this.answer[0] = this.unit;
    const total = appendCrc(this.answer, 0, 1 + length);
    bus.transmitFromDevice(this.view(total), this.turnaroundMs);
  }

  /**
   * Answer the request PDU at `req[reqOffset, +reqLength)` into `out` at `outOffset`; returns the answer PDU's
   * length (0: no answer). Shared by the RTU and TCP front ends.
   */
  handlePdu(req: Uint8Array, reqOffset: number, reqLength: number, out: Uint8Array, outOffset: number): number {
    this.requests++;
    const fc = req[reqOffset];
    if (reqLength < 5) return this.exception(out, outOffset, fc, 3);
    const address = (req[reqOffset + 1] << 8) | req[reqOffset + 2];
    const second = (req[reqOffset + 3] << 8) | req[reqOffset + 4];
    switch (fc) {
      case 3:
      case 4: {
        const bank = fc === 3 ? this.holding : this.input;
        if (second < 1 || second > 125) return this.exception(out, outOffset, fc, 3);
        if (!bank.covers(address, second)) return this.exception(out, outOffset, fc, 2);
        out[outOffset] = fc;
        out[outOffset + 1] = 2 * second;
        for (let i = 0; i < second; i++) {
          const value = bank.get(address + i);
          out[outOffset + 2 + 2 * i] = value >>> 8;
          out[outOffset + 3 + 2 * i] = value & 0xff;
        }
        return 2 + 2 * second;
      }
      case 6: {
        if (!this.holding.covers(address, 1)) return this.exception(out, outOffset, fc, 2);
        if (!this.ignoreWrites) {
          this.holding.set(address, second);
          this.writeListener?.onRegistersWritten(this, address, 1);
        }
        for (let i = 0; i < 5; i++) out[outOffset + i] = req[reqOffset + i];
        return 5;
      }
      case 16: {
        const byteCount = req[reqOffset + 5];
        if (second < 1 || second > 123 || byteCount !== 2 * second || reqLength !== 6 + byteCount) return this.exception(out, outOffset, fc, 3);
        if (!this.holding.covers(address, second)) return this.exception(out, outOffset, fc, 2);
        if (!this.ignoreWrites) {
          for (let i = 0; i < second; i++) this.holding.set(address + i, (req[reqOffset + 6 + 2 * i] << 8) | req[reqOffset + 7 + 2 * i]);
          this.writeListener?.onRegistersWritten(this, address, second);
        }
        for (let i = 0; i < 5; i++) out[outOffset + i] = req[reqOffset + i];
        return 5;
      }
      default:
        return this.exception(out, outOffset, fc, 1);
    }
  }

  private exception(out: Uint8Array, offset: number, fc: number, code: number): number {
    this.exceptions++;
    out[offset] = fc | 0x80;
    out[offset + 1] = code;
    return 2;
  }

  private view(length: number): Uint8Array {
    let view = this.views[length];
    if (view === undefined) {
      view = this.answer.subarray(0, length);
      this.views[length] = view;
    }
    return view;
  }
}
