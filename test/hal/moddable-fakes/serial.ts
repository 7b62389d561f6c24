import { world } from "./world";

const FIFO = 128;
const THRESHOLD = 10;

/** The one open UART: what it sent, when each byte's stop bit ended, what the bus answers. */
export const uart = {
  sent: new Uint8Array(4096),
  sentCount: 0,
  /** Time (ms, fractional) the stop bit of each sent byte ends. */
  doneAt: new Float64Array(4096),
  rx: new Uint8Array(512),
  rxHead: 0,
  rxCount: 0,
  instance: null as FakeSerial | null,
  /** Bytes from the bus: delivered with onReadable at the next step. */
  inject(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.rx[(this.rxHead + this.rxCount++) % 512] = bytes[i];
    const serial = this.instance;
    if (serial) world.post(serial.readableMessage);
  },
  lastDone(): number {
    return this.sentCount === 0 ? 0 : this.doneAt[this.sentCount - 1];
  },
  clear(): void {
    this.sentCount = 0;
  },
};

class FakeSerial {
  format: "number" | "buffer" = "buffer";
  private readonly charMs: number;
  private txInterrupt: boolean;
  private readonly onReadable?: (bytes: number) => void;
  private readonly onWritable?: (bytes: number) => void;
  readonly readableMessage = (): void => {
    if (uart.rxCount > 0) this.onReadable?.(uart.rxCount);
  };
  private readonly writableMessage = (): void => {
    this.onWritable?.(FIFO - this.fifoCount());
  };

  constructor(options: { baud: number; format?: "number" | "buffer"; onReadable?: (bytes: number) => void; onWritable?: (bytes: number) => void }) {
    this.format = options.format ?? "buffer";
    this.charMs = 10_000 / options.baud;
    this.onReadable = options.onReadable;
    this.onWritable = options.onWritable;
    // As on ESP32: the TX interrupt is on from the start, so onWritable comes once after opening.
    this.txInterrupt = options.onWritable !== undefined;
    uart.instance = this;
    world.steppers.push(() => this.step());
  }

  /** Bytes still in the FIFO: written, not yet moved into the shift register. */
  fifoCount(): number {
    let count = 0;
    for (let i = uart.sentCount - 1; i >= 0 && uart.doneAt[i] - this.charMs > world.now; i--) count++;
    return count;
  }

  read(): number | undefined {
    if (this.format !== "number") throw new Error("fake serial: the adapter must read in number format");
    if (uart.rxCount === 0) return undefined;
    const value = uart.rx[uart.rxHead];
    uart.rxHead = (uart.rxHead + 1) % 512;
    uart.rxCount--;
    return value;
  }

  write(value: number): void {
    if (this.format !== "number") throw new Error("fake serial: the adapter must write in number format");
    if (this.fifoCount() >= FIFO) throw new Error("output full");
    const start = Math.max(world.now, uart.lastDone());
    uart.doneAt[uart.sentCount] = start + this.charMs;
    uart.sent[uart.sentCount++] = value;
    if (this.onWritable) this.txInterrupt = true;
  }

  close(): void {
    uart.instance = null;
  }

  private step(): void {
    if (this.txInterrupt && this.fifoCount() < THRESHOLD) {
      this.txInterrupt = false;
      world.post(this.writableMessage);
    }
  }
}

export default FakeSerial;
