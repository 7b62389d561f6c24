import { world } from "./world";

const SNDBUF = 2920;

/** The peer side of the last socket opened (tests talk to one connection at a time). */
export const peer = {
  socket: null as FakeTcp | null,
  address: "",
  refuse: false,
  received: new Uint8Array(65536),
  receivedCount: 0,
  toClient: new Uint8Array(65536),
  toClientHead: 0,
  toClientCount: 0,
  sndbuf: SNDBUF,
  sockets: 0,
  /** Peer sends bytes: onReadable(total waiting) at the next step. */
  send(bytes: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) this.toClient[(this.toClientHead + this.toClientCount++) % 65536] = bytes[i];
    const socket = this.socket;
    if (socket) world.post(socket.readableMessage);
  },
  /** Peer acknowledges everything: the send buffer is free again, onWritable follows. */
  ack(): void {
    this.sndbuf = SNDBUF;
    const socket = this.socket;
    if (socket) world.post(socket.writableMessage);
  },
  /** Peer closes: onError after the input is read, as lwIP's socket does. */
  close(): void {
    const socket = this.socket;
    if (socket) world.post(socket.errorMessage);
  },
  reset(): void {
    this.socket = null;
    this.receivedCount = 0;
    this.toClientCount = 0;
    this.toClientHead = 0;
    this.sndbuf = SNDBUF;
    this.refuse = false;
  },
};

export interface Options {
  address: string;
  port: number;
  onReadable?: (bytes: number) => void;
  onWritable?: (bytes: number) => void;
  onError?: () => void;
}

export default class FakeTcp {
  format: "number" | "buffer" = "buffer";
  closed = false;
  private readonly options: Options;
  readonly readableMessage = (): void => {
    if (!this.closed && peer.toClientCount > 0) this.options.onReadable?.(peer.toClientCount);
  };
  readonly writableMessage = (): void => {
    if (!this.closed) this.options.onWritable?.(peer.sndbuf);
  };
  readonly errorMessage = (): void => {
    if (!this.closed) this.options.onError?.();
  };

  constructor(options: Options) {
    const parts = options.address.split(".");
    if (parts.length !== 4) throw new Error("invalid address");
    this.options = options;
    peer.socket = this;
    peer.address = options.address;
    peer.sockets++;
    world.post(peer.refuse ? this.errorMessage : this.writableMessage);
  }

  read(into: Uint8Array): number {
    if (this.format !== "buffer") throw new Error("fake tcp: buffer format expected");
    if (into.length > peer.toClientCount || into.length === 0) throw new Error("invalid");
    for (let i = 0; i < into.length; i++) {
      into[i] = peer.toClient[peer.toClientHead];
      peer.toClientHead = (peer.toClientHead + 1) % 65536;
      peer.toClientCount--;
    }
    return into.length;
  }

  write(data: Uint8Array): number {
    if (this.format !== "buffer") throw new Error("fake tcp: buffer format expected");
    if (data.length > peer.sndbuf) throw new Error("would block");
    for (let i = 0; i < data.length; i++) peer.received[peer.receivedCount++ % 65536] = data[i];
    peer.sndbuf -= data.length;
    return peer.sndbuf;
  }

  close(): void {
    this.closed = true;
  }
}
