/**
 * `embedded:io/serial` on ESP32 (modules/io/serial/esp32/serial.js, serial.c): 8N1 at `baud` on UART `port`
 * (0 when the key is absent; a key present with the value undefined is "invalid"), pins `transmit`/`receive` taken
 * until close, `format` "buffer" (default) or "number". In "number" format `read()` is one byte or undefined and
 * `write(byte)` throws "output full" when the 128-byte TX FIFO has no room; onWritable(free bytes) comes when
 * fewer than 10 bytes remain queued (the TX interrupt is armed at open, so once after opening too); onReadable(bytes
 * in the RX FIFO). Options the ESP32 serial does not know (`device`) are ignored, as the native code never reads them.
 */
import { uart } from "./hardware";
import { world } from "./world";

const FIFO = 128;
const THRESHOLD = 10;
/** UART_NUM_MAX on the ESP32. */
const UARTS = 3;

const portsOpen: boolean[] = new Array<boolean>(UARTS).fill(false);

interface Options {
  port?: number;
  transmit?: number;
  receive?: number;
  baud: number;
  format?: "number" | "buffer";
  onReadable?: (bytes: number) => void;
  onWritable?: (bytes: number) => void;
}

/** builtinGetUnsignedInteger / builtinGetSignedInteger: undefined is "invalid". */
function integerOption(options: Options, key: "port" | "transmit" | "receive"): number | undefined {
  if (!(key in options)) return undefined;
  const value = options[key];
  if (value === undefined) throw new Error("invalid");
  return Number(value) | 0;
}

class FakeSerial {
  private formatNumber: boolean;
  private readonly charMs: number;
  private txInterrupt: boolean;
  private readonly port: number;
  private readonly pins: number[] = [];
  private closed = false;
  private readonly onReadable?: (bytes: number) => void;
  private readonly onWritable?: (bytes: number) => void;
  readonly readableMessage = (): void => {
    if (!this.closed && uart.rxCount > 0) this.onReadable?.(uart.rxCount);
  };
  private readonly writableMessage = (): void => {
    const free = FIFO - this.#fifoCount();
    if (!this.closed && free > 0) this.onWritable?.(free);
  };

  constructor(options: Options) {
    const transmit = integerOption(options, "transmit");
    if (transmit !== undefined && !world.pinFree(transmit)) throw new Error("in use");
    const receive = integerOption(options, "receive");
    if (receive !== undefined && !world.pinFree(receive)) throw new Error("in use");
    if (transmit === undefined && receive === undefined) throw new Error("invalid");
    const port = integerOption(options, "port") ?? 0;
    if (port < 0 || port >= UARTS) throw new RangeError("invalid port");
    const baud = Number(options.baud) | 0;
    if (baud <= 0 || baud > 20_000_000) throw new RangeError("invalid baud");
    const format = options.format ?? "buffer";
    if (format !== "number" && format !== "buffer") throw new RangeError("invalid format");
    if (portsOpen[port]) throw new RangeError("port in use");
    portsOpen[port] = true;
    this.port = port;
    if (transmit !== undefined) this.pins.push(transmit);
    if (receive !== undefined) this.pins.push(receive);
    for (const pin of this.pins) world.usePin(pin);
    uart.opened.port = port;
    uart.opened.transmit = transmit ?? -1;
    uart.opened.receive = receive ?? -1;
    uart.opened.baud = baud;
    this.formatNumber = format === "number";
    this.charMs = 10_000 / baud;
    this.onReadable = receive === undefined ? undefined : options.onReadable;
    this.onWritable = transmit === undefined ? undefined : options.onWritable;
    // As on ESP32: the TX interrupt is on from the start, so onWritable comes once after opening.
    this.txInterrupt = this.onWritable !== undefined;
    uart.instance = this;
    world.steppers.push(() => this.#step());
  }

  get format(): "number" | "buffer" {
    return this.formatNumber ? "number" : "buffer";
  }

  set format(value: "number" | "buffer") {
    if (value !== "number" && value !== "buffer") throw new RangeError("unimplemented");
    this.formatNumber = value === "number";
  }

  /** Bytes still in the FIFO: written, not yet moved into the shift register. */
  #fifoCount(): number {
    let count = 0;
    for (let i = uart.sentCount - 1; i >= 0 && uart.doneAt[i] - this.charMs > world.now; i--) count++;
    return count;
  }

  read(): number | undefined {
    this.#check();
    if (uart.rxCount === 0) return undefined;
    if (!this.formatNumber) throw new Error("fake serial: \"buffer\" format reads are not modelled (the HAL reads numbers)");
    const value = uart.rx[uart.rxHead];
    uart.rxHead = (uart.rxHead + 1) % 512;
    uart.rxCount--;
    return value;
  }

  write(value: number): void {
    this.#check();
    if (!this.formatNumber) throw new Error("fake serial: \"buffer\" format writes are not modelled (the HAL writes numbers)");
    if (this.#fifoCount() >= FIFO) throw new Error("output full");
    const start = Math.max(world.now, uart.lastDone());
    uart.doneAt[uart.sentCount] = start + this.charMs;
    uart.sent[uart.sentCount++] = value & 0xff;
    if (this.onWritable) this.txInterrupt = true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    portsOpen[this.port] = false;
    for (const pin of this.pins) world.freePin(pin);
    if (uart.instance === this) uart.instance = null;
  }

  /** A call on a closed instance: xsmcGetHostDataValidate throws. */
  #check(): void {
    if (this.closed) throw new TypeError("fake serial: closed");
  }

  #step(): void {
    if (!this.closed && this.txInterrupt && this.#fifoCount() < THRESHOLD) {
      this.txInterrupt = false;
      world.post(this.writableMessage);
    }
  }
}

export default FakeSerial;
