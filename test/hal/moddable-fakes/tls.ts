/**
 * `embedded:io/socket/tcp/tls` (examples/io/tcp/tlssocket/tlssocket.js): a TLS session over a socket of the class
 * given as `options.TCP.io`, constructed with all the options passed through. The server name is `host` unless
 * `secure.serverName` overrides it. This fake runs the same callback plumbing with a null cipher: the handshake
 * completes at the socket's first onWritable (no bytes exchanged), a record is the plaintext, so what the HAL writes
 * reaches the fake TCP peer as is. As in the SDK: onWritable(count - 96) only when count > 96 after the handshake;
 * `read(view)` copies up to the view's length of the current record and returns the count, undefined when none;
 * `format` is "buffer" or "number" (RangeError otherwise).
 */
import { tlsPeer } from "./hardware";
import type { Options as TcpOptions } from "./tcp";

interface Socket {
  read(into: Uint8Array): number | undefined;
  write(data: Uint8Array): number | undefined;
  close(): void;
  format: "number" | "buffer";
}

const OVERHEAD = 96;

class FakeTls {
  #socket: (Socket & { readable: number; writable: number }) | undefined;
  #callbacks: { onReadable?: (n: number) => void; onWritable?: (n: number) => void; onError?: () => void };
  #ready = false;
  #format = true;
  #data: Uint8Array | undefined;
  #position = 0;

  constructor(options: TcpOptions & { host: string; secure?: Record<string, unknown>; TCP: { io: new (options: TcpOptions) => Socket } }) {
    this.#callbacks = { onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError };
    tlsPeer.serverName = String(options.secure?.serverName ?? options.host);
    tlsPeer.sessions++;
    const socket = new options.TCP.io({
      ...options,
      onReadable: (count: number) => this.#onReadable(count),
      onWritable: (count: number) => this.#onWritable(count),
      onError: () => this.#callbacks.onError?.(),
    }) as Socket & { readable: number; writable: number };
    socket.readable = socket.writable = 0;
    this.#socket = socket;
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }

  read(into: Uint8Array): number | undefined {
    const data = this.#data;
    if (!data) return undefined;
    if (!this.#format || !(into instanceof Uint8Array)) throw new Error("fake tls: only buffer-format reads into a view are modelled");
    const available = data.length - this.#position;
    const count = into.length < available ? into.length : available;
    for (let i = 0; i < count; i++) into[i] = data[this.#position + i];
    this.#position += count;
    if (this.#position === data.length) this.#data = undefined;
    return count;
  }

  write(buffer: Uint8Array): number | undefined {
    const socket = this.#socket;
    if (!socket) throw new TypeError("fake tls: closed");
    return socket.write(buffer);
  }

  set format(format: string) {
    if (format !== "buffer" && format !== "number") throw new RangeError();
    this.#format = format === "buffer";
  }

  get format(): string {
    return this.#format ? "buffer" : "number";
  }

  #onWritable(count: number): void {
    const socket = this.#socket;
    if (!socket) return;
    socket.writable = count;
    if (!this.#ready) {
      this.#ready = true;
      this.#onWritable(socket.writable);
    } else if (count > OVERHEAD) {
      this.#callbacks.onWritable?.(count - OVERHEAD);
    }
  }

  #onReadable(count: number): void {
    const socket = this.#socket;
    if (!socket) return;
    socket.readable = count;
    if (this.#data || !this.#ready) return;
    const record = new Uint8Array(count);
    socket.read(record);
    socket.readable = 0;
    this.#data = record;
    this.#position = 0;
    this.#callbacks.onReadable?.(count);
  }
}

export default FakeTls;
