import type { SerialConfig, SerialHandlers, SerialPort } from "../types";
import type { SimLoop } from "./loop";

/** A simulated device on the RS-485 bus (a meter, a PCS): gets whole frames as they finish arriving. */
export interface SimBusDevice {
  /** A frame the master sent; answer with `bus.transmitFromDevice(bytes, turnaroundMs)` or stay silent. */
  onFrame(frame: Uint8Array, bus: SimSerialBus): void;
}

/** Milliseconds one 8N1 character (11 bit times with start, stop and a parity/idle bit as Modbus counts) takes. */
export function characterTimeMs(baud: number): number {
  return (11 * 1000) / baud;
}

/**
 * A half-duplex RS-485 bus driven by the SimLoop. Bytes take real line time at the configured baud; a frame reaches
 * the devices once its last byte has left plus the t3.5 silence, and a device's answer reaches the master the same way.
 */
export class SimSerialBus {
  readonly devices: SimBusDevice[] = [];
  framesFromMaster = 0;
  framesFromDevices = 0;
  private handlers: SerialHandlers | null = null;
  private baud = 9600;
  private readonly rx: number[] = [];
  private rxReadOffset = 0;
  private busyUntilMs = 0;

  constructor(readonly loop: SimLoop) {}

  attach(device: SimBusDevice): void {
    this.devices.push(device);
  }

  open(config: SerialConfig, handlers: SerialHandlers): SerialPort {
    this.handlers = handlers;
    this.baud = config.baud;
    const bus = this;
    return {
      baud: config.baud,
      read(into, offset, length) {
        let count = 0;
        while (count < length && bus.rxReadOffset < bus.rx.length) into[offset + count++] = bus.rx[bus.rxReadOffset++];
        if (bus.rxReadOffset === bus.rx.length) {
          bus.rx.length = 0;
          bus.rxReadOffset = 0;
        }
        return count;
      },
      write(data, offset, length) {
        const frame = data.slice(offset, offset + length);
        bus.framesFromMaster++;
        const doneMs = bus.lineTime(length);
        const writeDone = bus.loop.createTimer(() => bus.handlers?.onWriteDone?.());
        writeDone.start(doneMs - bus.loop.monotonicMs());
        const arrive = bus.loop.createTimer(() => {
          for (const device of bus.devices) device.onFrame(frame, bus);
        });
        arrive.start(doneMs + bus.silenceMs() - bus.loop.monotonicMs());
        return true;
      },
      close() {
        bus.handlers = null;
      },
    };
  }

  /** A device answers after `turnaroundMs`; the bytes arrive at the master at line speed. */
  transmitFromDevice(bytes: Uint8Array, turnaroundMs: number): void {
    const copy = bytes.slice();
    const start = this.loop.createTimer(() => {
      this.framesFromDevices++;
      const doneMs = this.lineTime(copy.length);
      const arrive = this.loop.createTimer(() => {
        for (let i = 0; i < copy.length; i++) this.rx.push(copy[i]);
        this.handlers?.onReadable(this.rx.length - this.rxReadOffset);
      });
      arrive.start(doneMs - this.loop.monotonicMs());
    });
    start.start(turnaroundMs);
  }

  /** Reserve the line for `byteCount` characters; returns when the last one has been sent. */
  private lineTime(byteCount: number): number {
    const start = Math.max(this.loop.monotonicMs(), this.busyUntilMs);
    this.busyUntilMs = start + byteCount * characterTimeMs(this.baud);
    return this.busyUntilMs;
  }

  private silenceMs(): number {
    return this.baud > 19200 ? 1.75 : 3.5 * characterTimeMs(this.baud);
  }
}
