/**
 * Host serial adapter: the HAL SerialPort over a tty path (a USB RS-485 dongle, or a pseudo-terminal made by socat
 * in tests) through the `serialport` package, which sets baud and raw mode with termios.
 *
 * Node only (Buffers, streams): never bundled into the device. Received bytes are kept in a fixed ring; when it
 * overflows, the oldest bytes are dropped and counted in `overflowBytes`.
 */
import { SerialPort as NodeSerialPortStream } from "serialport";
import type { SerialConfig, SerialHandlers, SerialPort } from "../types";

export interface NodeSerialOptions {
  /** tty path, e.g. /dev/ttyUSB0; when absent, `config.port` is used (it must then be a path string). */
  path?: string;
  /** Receive ring size in bytes. */
  ringBytes?: number;
}

export class NodeSerialPort implements SerialPort {
  readonly baud: number;
  readonly path: string;
  /** Resolves once the tty is open (writes before that are queued by the stream). */
  readonly opened: Promise<void>;
  overflowBytes = 0;
  errors = 0;
  lastError: string | null = null;
  private readonly stream: NodeSerialPortStream;
  private readonly ring: Uint8Array;
  private head = 0;
  private size = 0;
  private closed = false;

  constructor(
    config: SerialConfig,
    private readonly handlers: SerialHandlers,
    options: NodeSerialOptions = {},
  ) {
    const path = options.path ?? (typeof config.port === "string" ? config.port : "");
    if (path === "") throw new Error(`NodeSerialPort: no tty path for port ${String(config.port)}`);
    this.path = path;
    this.baud = config.baud;
    this.ring = new Uint8Array(options.ringBytes ?? 4096);
    this.stream = new NodeSerialPortStream({ path, baudRate: config.baud, autoOpen: false });
    this.opened = new Promise((resolve, reject) => {
      this.stream.open((error) => (error ? reject(error) : resolve()));
    });
    this.stream.on("data", (chunk: Buffer) => this.received(chunk));
    this.stream.on("error", (error: Error) => {
      this.errors++;
      this.lastError = error.message;
    });
  }

  read(into: Uint8Array, offset: number, length: number): number {
    let count = 0;
    const ring = this.ring;
    while (count < length && this.size > 0) {
      into[offset + count++] = ring[this.head];
      this.head = (this.head + 1) % ring.length;
      this.size--;
    }
    return count;
  }

  write(data: Uint8Array, offset: number, length: number): boolean {
    if (this.closed) return false;
    this.stream.write(Buffer.from(data.subarray(offset, offset + length)));
    this.stream.drain((error) => {
      if (error) {
        this.errors++;
        this.lastError = error.message;
        return;
      }
      this.handlers.onWriteDone?.();
    });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.stream.isOpen) this.stream.close();
  }

  private received(chunk: Buffer): void {
    const ring = this.ring;
    for (let i = 0; i < chunk.length; i++) {
      if (this.size === ring.length) {
        this.head = (this.head + 1) % ring.length;
        this.size--;
        this.overflowBytes++;
      }
      ring[(this.head + this.size) % ring.length] = chunk[i];
      this.size++;
    }
    this.handlers.onReadable(this.size);
  }
}

/** Open a host serial port (the shape of Hal.openSerial). */
export function openNodeSerial(config: SerialConfig, handlers: SerialHandlers, options: NodeSerialOptions = {}): NodeSerialPort {
  return new NodeSerialPort(config, handlers, options);
}
