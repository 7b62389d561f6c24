import type Digital from "embedded:io/digital";
import type Serial from "embedded:io/serial";
import type { BoardSerial } from "embedded:provider/builtin";
import type { Clock, SerialConfig, SerialHandlers, SerialPort, Timer } from "../types";
import { boardDigital } from "./board";

/** ESP32 (and S2/S3/C3) UART FIFO depth. */
const UART_FIFO_BYTES = 128;
/** Largest frame write accepts: a Modbus RTU ADU is at most 256 bytes. */
const TX_FRAME_BYTES = 256;
/** 8N1 on the wire: start + 8 data + stop. */
const BITS_PER_CHARACTER = 10;
/** Added to every DE hold time: the timer runs on whole milliseconds and fires no earlier than asked. */
const RELEASE_GUARD_MS = 1;

/** Counts of refused writes; the caller also sees `false`. */
export interface Rs485Stats {
  framesSent: number;
  refusedBusy: number;
  refusedTooLong: number;
}

/**
 * An RS-485 port over the ECMA-419 serial (8N1) with the transceiver's driver-enable pin driven by firmware, as
 * the SDK's serial has no RS-485 mode.
 *
 * The serial is opened in "number" format: reads copy byte by byte into the caller's buffer and writes feed the
 * FIFO byte by byte, with no allocation. A frame is copied into a preallocated buffer at `write` and fed into the
 * 128-byte TX FIFO as space allows (a frame may be longer than the FIFO, and the SDK throws rather than write part).
 *
 * Driver-enable timing: DE goes active before the first byte and must go inactive once the last stop bit has left,
 * not earlier (the frame would be cut) and not much later (the slave answers after 3.5 character times). The SDK
 * raises onWritable when fewer than 10 bytes remain in the TX FIFO, not when the line is idle, and nothing reports
 * the shift register empty. So the release is a timer: when onWritable reports `free` bytes after the last byte was
 * queued, (FIFO size - free) bytes plus the one in the shift register remain, and DE drops that many character
 * times later. As a fallback, queuing the last byte already arms the same timer from an upper bound of what is in
 * the FIFO (the free-space estimate only shrinks between onWritable calls), so DE is released even if onWritable
 * never comes. The hold time counts the shift-register byte as whole and adds 1 ms because Moddable timers run on a
 * millisecond counter and can fire up to 1 ms early in real time. At 9600 baud (1.04 ms per character) DE drops
 * 1-3 ms after the stop bit (1.7-2.7 ms in test/hal/moddable-xs.test.ts), inside the 3.5-character silence (4 ms)
 * before a slave may answer; above ~19200 baud that margin is gone and the board should use an auto-direction transceiver
 * (no `driverEnable` in the board's provider).
 */
export class Rs485Port implements SerialPort {
  readonly baud: number;
  readonly stats: Rs485Stats = { framesSent: 0, refusedBusy: 0, refusedTooLong: 0 };
  private readonly serial: Serial;
  private readonly de: Digital | null;
  private readonly deActive: 0 | 1;
  private readonly deInactive: 0 | 1;
  private readonly characterMs: number;
  private readonly frame = new Uint8Array(TX_FRAME_BYTES);
  private readonly release: Timer;
  private frameLength = 0;
  private frameSent = 0;
  /** Lower bound of free TX FIFO bytes: exact at each onWritable, decremented per byte queued since. */
  private fifoFree = UART_FIFO_BYTES;
  private busy = false;
  private closed = false;

  constructor(
    board: BoardSerial,
    config: SerialConfig,
    private readonly handlers: SerialHandlers,
    clock: Clock,
  ) {
    this.baud = config.baud;
    this.characterMs = (BITS_PER_CHARACTER * 1000) / config.baud;
    this.deActive = board.driverEnableActiveLow ? 0 : 1;
    this.deInactive = board.driverEnableActiveLow ? 1 : 0;
    this.release = clock.createTimer(() => this.releaseLine());
    if (board.driverEnable !== undefined) {
      const DigitalIo = boardDigital();
      if (DigitalIo === undefined) throw new Error("board: the RS-485 port has a driverEnable pin but the host provider has no io.Digital");
      this.de = new DigitalIo({ pin: board.driverEnable, mode: DigitalIo.Output });
      this.de.write(this.deInactive);
    } else {
      this.de = null;
    }
    // The board's serial class and where it is: UART number and pins on the ESP32, a tty path in the simulator.
    // Only the keys the board has: the ESP32 serial refuses a key that is present but undefined ("invalid").
    const SerialIo = board.io;
    this.serial = new SerialIo({
      ...(board.port !== undefined ? { port: board.port } : {}),
      ...(board.transmit !== undefined ? { transmit: board.transmit } : {}),
      ...(board.receive !== undefined ? { receive: board.receive } : {}),
      ...(board.device !== undefined ? { device: board.device } : {}),
      baud: config.baud,
      format: "number",
      onReadable: (bytes) => this.onSerialReadable(bytes),
      onWritable: (bytes) => this.onSerialWritable(bytes),
    });
  }

  read(into: Uint8Array, offset: number, length: number): number {
    if (this.closed) return 0;
    const serial = this.serial;
    let count = 0;
    while (count < length) {
      const value = serial.read();
      if (value === undefined) break;
      into[offset + count++] = value;
    }
    return count;
  }

  write(data: Uint8Array, offset: number, length: number): boolean {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length > 0 && offset + length <= data.length)) {
      throw new RangeError(`serial write: range ${offset}+${length} outside the ${data.length}-byte buffer or empty`);
    }
    if (this.closed) return false;
    if (this.busy) {
      this.stats.refusedBusy++;
      return false;
    }
    if (length > TX_FRAME_BYTES) {
      this.stats.refusedTooLong++;
      return false;
    }
    const frame = this.frame;
    for (let i = 0; i < length; i++) frame[i] = data[offset + i];
    this.frameLength = length;
    this.frameSent = 0;
    this.busy = true;
    this.de?.write(this.deActive);
    this.feed();
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release.stop();
    this.serial.close();
    if (this.de) {
      this.de.write(this.deInactive);
      this.de.close();
    }
  }

  /** Queue as much of the frame as the FIFO takes; once all is queued, arm the release from the upper bound. */
  private feed(): void {
    const serial = this.serial;
    const frame = this.frame;
    while (this.frameSent < this.frameLength && this.fifoFree > 0) {
      serial.write(frame[this.frameSent++]);
      this.fifoFree--;
    }
    if (this.frameSent === this.frameLength) this.armRelease(UART_FIFO_BYTES - this.fifoFree);
  }

  private onSerialWritable(free: number): void {
    this.fifoFree = free;
    if (!this.busy || this.closed) return;
    if (this.frameSent < this.frameLength) this.feed();
    // Everything is queued: this count is exact, so re-arm the release from it (it replaces the upper bound).
    else this.armRelease(UART_FIFO_BYTES - free);
  }

  private onSerialReadable(bytes: number): void {
    if (!this.closed) this.handlers.onReadable(bytes);
  }

  /** DE stays active while `queued` FIFO bytes and the byte in the shift register go out. */
  private armRelease(queued: number): void {
    this.release.start((queued + 1) * this.characterMs + RELEASE_GUARD_MS);
  }

  private releaseLine(): void {
    if (this.closed) return;
    this.de?.write(this.deInactive);
    this.busy = false;
    this.stats.framesSent++;
    this.handlers.onWriteDone?.();
  }
}
