/**
 * `embedded:io/socket/tcp` (ESP32: modules/io/socket/lwip/tcp.js + tcp.c; Linux simulator: modules/io/socket/lin,
 * the same class shape). Options: `address` (an IP literal: neither resolves names, there is no `host` option),
 * `port` (0..65535, undefined is "invalid"), `nodelay`, `onReadable`, `onWritable`, `onError`, `format`.
 * "buffer" format: `read(view)` returns undefined when nothing is buffered, fills the whole view and returns its
 * length, and throws "invalid" when the view is longer than what is buffered; `write(view)` throws "not ready"
 * before the connection is up and "would block" beyond the free send buffer, returns the send buffer left, and
 * returns undefined once the connection has failed. onError comes once buffered input has been read.
 */
import { peer } from "./hardware";
import { world } from "./world";

export interface Options {
  address: string;
  port: number;
  nodelay?: boolean;
  format?: "number" | "buffer";
  onReadable?: (bytes: number) => void;
  onWritable?: (bytes: number) => void;
  onError?: () => void;
}

function isAddress(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

class FakeTcp {
  private formatBuffer = true;
  private closed = false;
  private ready = false;
  private failed = false;
  private readonly options: Options;
  readonly readableMessage = (): void => {
    if (!this.closed && peer.toClientCount > 0) this.options.onReadable?.(peer.toClientCount);
  };
  readonly writableMessage = (): void => {
    if (this.closed || this.failed) return;
    this.ready = true;
    this.options.onWritable?.(peer.sndbuf);
  };
  readonly errorMessage = (): void => {
    if (this.closed) return;
    this.failed = true;
    this.options.onError?.();
  };

  constructor(options: Options) {
    const format = options.format ?? "buffer";
    if (format !== "number" && format !== "buffer") throw new RangeError("unimplemented");
    if (!isAddress(String(options.address))) throw new Error("invalid address");
    if (options.port === undefined) throw new Error("invalid");
    const port = Number(options.port) | 0;
    if (port < 0 || port > 65535) throw new RangeError("invalid port");
    this.formatBuffer = format === "buffer";
    this.options = options;
    peer.socket = this;
    peer.address = options.address;
    peer.port = port;
    peer.sockets++;
    world.post(peer.refuse ? this.errorMessage : this.writableMessage);
  }

  get format(): "number" | "buffer" {
    return this.formatBuffer ? "buffer" : "number";
  }

  set format(value: "number" | "buffer") {
    if (value !== "number" && value !== "buffer") throw new RangeError("unimplemented");
    this.formatBuffer = value === "buffer";
  }

  get remoteAddress(): string | undefined {
    return this.ready ? peer.address : undefined;
  }

  get remotePort(): number | undefined {
    return this.ready ? peer.port : undefined;
  }

  read(into?: Uint8Array): number | undefined {
    this.#check();
    if (peer.toClientCount === 0) return undefined;
    if (!this.formatBuffer || !(into instanceof Uint8Array)) throw new Error("fake tcp: only buffer-format reads into a view are modelled");
    if (into.length > peer.toClientCount || into.length === 0) throw new Error("invalid");
    for (let i = 0; i < into.length; i++) {
      into[i] = peer.toClient[peer.toClientHead];
      peer.toClientHead = (peer.toClientHead + 1) % 65536;
      peer.toClientCount--;
    }
    return into.length;
  }

  write(data: Uint8Array): number | undefined {
    this.#check();
    if (!this.ready) throw new Error("not ready");
    if (this.failed) return undefined;
    if (!this.formatBuffer || !(data instanceof Uint8Array)) throw new Error("fake tcp: only buffer-format writes of a Uint8Array are modelled");
    if (data.length > peer.sndbuf) throw new Error("would block");
    for (let i = 0; i < data.length; i++) peer.received[peer.receivedCount++ % 65536] = data[i];
    peer.sndbuf -= data.length;
    return peer.sndbuf;
  }

  close(): void {
    this.closed = true;
  }

  /** A call after close: the host data is gone and xsmcGetHostDataValidate throws. */
  #check(): void {
    if (this.closed) throw new TypeError("fake tcp: closed");
  }
}

export default FakeTcp;
