/**
 * `embedded:io/serial` in the SDK's Linux simulator (modules/io/serial/lin/serial.js, serial.c): a tty opened by its
 * `device` path (there is no `port`, `transmit` or `receive`), `baud`, `format` "buffer" (default) or
 * "string;ascii"; "number" throws "unimplemented format". `read(count?)` returns a new ArrayBuffer of what is
 * waiting (undefined when nothing is); `write(buffer)` writes at once, throwing "would overflow" beyond 1024 bytes or
 * while a previous write is pending; onWritable(1024) when the tty can take more (at open and after each write);
 * onReadable(bytes waiting). boards/sim/modules/rs485-tty.js wraps it for the HAL.
 */
import { tty } from "./hardware";
import { world } from "./world";

const WRITE_BUFFER = 1024;

interface Options {
  device: string;
  baud: number;
  format?: string;
  onReadable?: (bytes: number) => void;
  onWritable?: (bytes: number) => void;
  onError?: () => void;
}

function checkFormat(format: string): void {
  if (format === "number") throw new Error("unimplemented format");
  if (format !== "buffer" && format !== "string;ascii") throw new Error("invalid format");
}

class FakeLinSerial {
  private formatBuffer = true;
  private closed = false;
  private readonly onReadable?: (bytes: number) => void;
  private readonly onWritable?: (bytes: number) => void;
  readonly readableMessage = (): void => {
    if (!this.closed && tty.rxCount > 0) this.onReadable?.(tty.rxCount);
  };
  private readonly writableMessage = (): void => {
    if (!this.closed) this.onWritable?.(WRITE_BUFFER);
  };

  constructor(options: Options) {
    if ("format" in options) {
      checkFormat(String(options.format));
      this.formatBuffer = options.format === "buffer";
    }
    const device = String(options.device);
    if (device !== tty.devicePath) throw new Error(`fake lin serial: open ${device} failed`);
    tty.opened.device = device;
    tty.opened.baud = Number(options.baud) | 0;
    this.onReadable = options.onReadable;
    this.onWritable = options.onWritable;
    tty.instance = this;
    if (this.onWritable) world.post(this.writableMessage);
  }

  get format(): string {
    return this.formatBuffer ? "buffer" : "string;ascii";
  }

  set format(value: string) {
    checkFormat(String(value));
    this.formatBuffer = value === "buffer";
  }

  read(count?: number): ArrayBuffer | undefined {
    this.#check();
    if (tty.rxCount === 0) return undefined;
    if (!this.formatBuffer) throw new Error("fake lin serial: string reads are not modelled");
    const n = count === undefined ? tty.rxCount : Math.min(count, tty.rxCount);
    const result = tty.rx.slice(0, n).buffer;
    tty.rx.copyWithin(0, n, tty.rxCount);
    tty.rxCount -= n;
    return result;
  }

  write(data: ArrayBuffer): void {
    this.#check();
    if (!this.formatBuffer) throw new Error("fake lin serial: string writes are not modelled");
    const bytes = new Uint8Array(data);
    if (bytes.length === 0) return;
    if (bytes.length > WRITE_BUFFER) throw new Error("would overflow");
    for (let i = 0; i < bytes.length; i++) tty.sent[tty.sentCount++ % 8192] = bytes[i];
    if (this.onWritable) world.post(this.writableMessage);
  }

  purge(): void {}

  set(_options: { RTS?: boolean; DTR?: boolean }): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (tty.instance === this) tty.instance = null;
  }

  #check(): void {
    if (this.closed) throw new TypeError("fake lin serial: closed");
  }
}

export default FakeLinSerial;
