import type { SerialConfig, SerialHandlers, SerialPort, Timer } from "../types";
import type { SimLoop } from "./loop";

/** A simulated device on the RS-485 bus (a meter, a PCS): gets whole frames as they finish arriving. */
export interface SimBusDevice {
  /**
   * A frame the master sent; answer with `bus.transmitFromDevice(bytes, turnaroundMs)` or stay silent. `frame` is
   * a view the bus reuses: copy what must outlive the call.
   */
  onFrame(frame: Uint8Array, bus: SimSerialBus): void;
}

/** Milliseconds one 8N1 character (11 bit times with start, stop and a parity/idle bit as Modbus counts) takes. */
export function characterTimeMs(baud: number): number {
  return (11 * 1000) / baud;
}

/** Largest frame on the bus (Modbus RTU: 256 bytes). */
const FRAME_BYTES = 256;
const RX_RING_BYTES = 1024;

/**
 * A half-duplex RS-485 bus driven by the SimLoop. Bytes take real line time at the configured baud; a frame reaches
 * the devices once its last byte has left plus the t3.5 silence, and a device's answer reaches the master at line
 * speed (in chunks of `rxChunkBytes` when set, as a UART FIFO would deliver them).
 *
 * Steady state allocates nothing: frames live in preallocated buffers, the timers are created once. One frame can be
 * on the line in each direction; a second one sent while the first is still travelling collides, is lost, and is
 * counted in `collisions` (a master must wait for the answer or its timeout, as Modbus requires).
 */
export class SimSerialBus {
  readonly devices: SimBusDevice[] = [];
  framesFromMaster = 0;
  framesFromDevices = 0;
  /** Frames lost because the line was already busy in that direction. */
  collisions = 0;
  /** Received bytes the master never read because its receive buffer was full. */
  rxOverflowBytes = 0;
  /** Corrupt (flip one bit in) the next this-many device answers: CRC errors on demand. */
  corruptAnswers = 0;
  /** Deliver answers to the master in chunks of this many bytes (0: the whole frame at once). */
  rxChunkBytes = 0;
  private handlers: SerialHandlers | null = null;
  private baud = 9600;
  private busyUntilMs = 0;

  // Master -> devices: one frame on the line.
  private readonly masterFrame = new Uint8Array(FRAME_BYTES);
  private masterLength = 0;
  private masterPending = false;
  private readonly writeDoneTimer: Timer;
  private readonly arriveTimer: Timer;
  /** Views of masterFrame by length, made once per length so delivery allocates nothing afterwards. */
  private readonly views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(FRAME_BYTES + 1);

  // Devices -> master: one answer on the line, delivered chunk by chunk into the receive ring.
  private readonly deviceFrame = new Uint8Array(FRAME_BYTES);
  private deviceLength = 0;
  private deviceDelivered = 0;
  private devicePending = false;
  private deviceLineStartMs = 0;
  private readonly deviceStartTimer: Timer;
  private readonly deviceChunkTimer: Timer;

  private readonly rx = new Uint8Array(RX_RING_BYTES);
  private rxHead = 0;
  private rxSize = 0;
  private readonly port: SerialPort;

  constructor(readonly loop: SimLoop) {
    this.writeDoneTimer = loop.createTimer(() => this.handlers?.onWriteDone?.());
    this.arriveTimer = loop.createTimer(() => this.deliverToDevices());
    this.deviceStartTimer = loop.createTimer(() => this.startDeviceAnswer());
    this.deviceChunkTimer = loop.createTimer(() => this.deliverChunk());
    const bus = this;
    this.port = {
      get baud() {
        return bus.baud;
      },
      read(into, offset, length) {
        let count = 0;
        while (count < length && bus.rxSize > 0) {
          into[offset + count++] = bus.rx[bus.rxHead];
          bus.rxHead = (bus.rxHead + 1) % RX_RING_BYTES;
          bus.rxSize--;
        }
        return count;
      },
      write(data, offset, length) {
        return bus.masterWrite(data, offset, length);
      },
      close() {
        bus.handlers = null;
      },
    };
  }

  attach(device: SimBusDevice): void {
    this.devices.push(device);
  }

  /** Remove a device (it was unplugged); returns whether it was attached. */
  detach(device: SimBusDevice): boolean {
    const index = this.devices.indexOf(device);
    if (index < 0) return false;
    this.devices.splice(index, 1);
    return true;
  }

  open(config: SerialConfig, handlers: SerialHandlers): SerialPort {
    this.handlers = handlers;
    this.baud = config.baud;
    return this.port;
  }

  /** The bus's configured baud (what the master opened it with). */
  get lineBaud(): number {
    return this.baud;
  }

  /** A device answers after `turnaroundMs`; the bytes arrive at the master at line speed. */
  transmitFromDevice(bytes: Uint8Array, turnaroundMs: number): void {
    if (this.devicePending || bytes.length > FRAME_BYTES) {
      this.collisions++;
      return;
    }
    this.deviceFrame.set(bytes, 0);
    this.deviceLength = bytes.length;
    this.deviceDelivered = 0;
    this.devicePending = true;
    if (this.corruptAnswers > 0 && bytes.length > 2) {
      this.corruptAnswers--;
      this.deviceFrame[bytes.length >> 1] ^= 0x10;
    }
    this.deviceStartTimer.start(turnaroundMs);
  }

  private masterWrite(data: Uint8Array, offset: number, length: number): boolean {
    if (length > FRAME_BYTES) return false;
    this.framesFromMaster++;
    if (this.masterPending) {
      this.collisions++;
      return true;
    }
    for (let i = 0; i < length; i++) this.masterFrame[i] = data[offset + i];
    this.masterLength = length;
    this.masterPending = true;
    const doneMs = this.lineTime(length);
    this.writeDoneTimer.start(doneMs - this.loop.monotonicMs());
    this.arriveTimer.start(doneMs + this.silenceMs() - this.loop.monotonicMs());
    return true;
  }

  private deliverToDevices(): void {
    this.masterPending = false;
    const length = this.masterLength;
    let view = this.views[length];
    if (view === undefined) {
      view = this.masterFrame.subarray(0, length);
      this.views[length] = view;
    }
    for (let i = 0; i < this.devices.length; i++) this.devices[i].onFrame(view, this);
  }

  private startDeviceAnswer(): void {
    this.framesFromDevices++;
    this.deviceLineStartMs = Math.max(this.loop.monotonicMs(), this.busyUntilMs);
    this.busyUntilMs = this.deviceLineStartMs + this.deviceLength * characterTimeMs(this.baud);
    this.scheduleChunk();
  }

  private scheduleChunk(): void {
    const chunk = this.rxChunkBytes > 0 ? this.rxChunkBytes : this.deviceLength;
    const end = Math.min(this.deviceDelivered + chunk, this.deviceLength);
    const atMs = this.deviceLineStartMs + end * characterTimeMs(this.baud);
    this.deviceChunkTimer.start(atMs - this.loop.monotonicMs());
  }

  private deliverChunk(): void {
    const chunk = this.rxChunkBytes > 0 ? this.rxChunkBytes : this.deviceLength;
    const end = Math.min(this.deviceDelivered + chunk, this.deviceLength);
    for (let i = this.deviceDelivered; i < end; i++) {
      if (this.rxSize === RX_RING_BYTES) {
        this.rxOverflowBytes++;
        continue;
      }
      this.rx[(this.rxHead + this.rxSize) % RX_RING_BYTES] = this.deviceFrame[i];
      this.rxSize++;
    }
    this.deviceDelivered = end;
    if (end < this.deviceLength) this.scheduleChunk();
    else this.devicePending = false;
    if (this.rxSize > 0) this.handlers?.onReadable(this.rxSize);
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
