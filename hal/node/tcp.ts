import { isIP, Socket, connect as netConnect } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import type { TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../types";

export interface NodeTcpOptions {
  /**
   * Bytes received but not yet read that one socket may hold. Past it the socket is paused (TCP flow control
   * pushes back on the peer) until `read` drains it: nothing is dropped. Each pause is counted.
   */
  receiveLimitBytes?: number;
  /** Bytes written but not yet on the wire that one socket accepts, like lwIP's send buffer on the device. */
  sendLimitBytes?: number;
  /** Give up a connection attempt after this long (onError "connect timeout", then onClose). */
  connectTimeoutMs?: number;
  /** Extra node:tls options for TLS connections (a private CA in tests, client certificates). */
  tls?: Pick<ConnectionOptions, "ca" | "cert" | "key" | "rejectUnauthorized">;
}

/** Counters over all sockets of one connector. */
export interface NodeTcpStats {
  connects: number;
  /** Times a socket was paused because its receive queue was full. */
  receivePauses: number;
  /** Writes that were accepted only in part (or not at all) because the send buffer was full. */
  shortWrites: number;
}

/** TcpConnector over node:net and node:tls with the HAL's event contract. */
export class NodeTcpConnector implements TcpConnector {
  readonly stats: NodeTcpStats = { connects: 0, receivePauses: 0, shortWrites: 0 };
  readonly receiveLimitBytes: number;
  readonly sendLimitBytes: number;
  readonly connectTimeoutMs: number;
  readonly tlsOptions: NodeTcpOptions["tls"];
  private readonly open = new Set<NodeTcpSocket>();

  constructor(options: NodeTcpOptions = {}) {
    this.receiveLimitBytes = options.receiveLimitBytes ?? 64 * 1024;
    this.sendLimitBytes = options.sendLimitBytes ?? 8 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.tlsOptions = options.tls;
  }

  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    if (typeof options.host !== "string" || options.host.length === 0) throw new Error("tcp connect: host must be a non-empty string");
    if (!(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
      throw new Error(`tcp connect: port must be 1..65535, got ${options.port}`);
    }
    this.stats.connects++;
    const socket = new NodeTcpSocket(this, options, handlers);
    this.open.add(socket);
    return socket;
  }

  /** Sockets not yet closed. */
  get openCount(): number {
    return this.open.size;
  }

  /** Destroy every open socket without callbacks (end of a run). */
  close(): void {
    for (const socket of [...this.open]) socket.close();
  }

  /** @internal */
  forget(socket: NodeTcpSocket): void {
    this.open.delete(socket);
  }
}

/**
 * One connection. Incoming chunks are queued as Node delivers them and `read` copies them out into the caller's
 * buffer; outgoing bytes are copied at `write` (the caller reuses its buffer) and handed to Node, which keeps them
 * until the kernel takes them.
 *
 * Callback rules (the same as the simulated network): onConnect once; onReadable after each arrival with the bytes
 * waiting; onWritable once space comes back after a short write; onError then onClose for a failure, onClose
 * alone for a peer close. After the local `close()` no callback is made.
 */
class NodeTcpSocket implements TcpSocket {
  private readonly socket: Socket;
  private readonly chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private headOffset = 0;
  private queued = 0;
  private paused = false;
  private connected = false;
  private closedLocally = false;
  private closed = false;
  private wantWritable = false;
  private connectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connector: NodeTcpConnector,
    options: TcpOptions,
    private readonly handlers: TcpHandlers,
  ) {
    if (options.tls) {
      const serverName = options.serverName ?? options.host;
      this.socket = tlsConnect({
        host: options.host,
        port: options.port,
        // SNI carries names only; an address is checked against the certificate's IP entries instead.
        ...(isIP(serverName) ? {} : { servername: serverName }),
        ...connector.tlsOptions,
      });
      this.socket.once("secureConnect", () => this.onConnected());
    } else {
      this.socket = netConnect({ host: options.host, port: options.port });
      this.socket.once("connect", () => this.onConnected());
    }
    this.socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (!this.connected) this.socket.destroy(new Error(`connect timeout after ${connector.connectTimeoutMs} ms`));
    }, connector.connectTimeoutMs);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (error: Error) => {
      if (!this.closedLocally) this.handlers.onError(describe(error, options));
    });
    this.socket.on("close", () => this.onClosed());
  }

  read(into: Uint8Array, offset: number, length: number): number {
    let copied = 0;
    const chunks = this.chunks;
    while (copied < length && chunks.length > 0) {
      const head = chunks[0];
      const take = Math.min(length - copied, head.length - this.headOffset);
      into.set(head.subarray(this.headOffset, this.headOffset + take), offset + copied);
      copied += take;
      this.headOffset += take;
      if (this.headOffset === head.length) {
        chunks.shift();
        this.headOffset = 0;
      }
    }
    this.queued -= copied;
    if (this.paused && this.queued < this.connector.receiveLimitBytes && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
    return copied;
  }

  write(data: Uint8Array, offset: number, length: number): number {
    if (!this.connected || this.closed || this.closedLocally) return 0;
    const space = this.connector.sendLimitBytes - this.socket.writableLength;
    const accepted = space <= 0 ? 0 : Math.min(space, length);
    if (accepted < length) {
      this.connector.stats.shortWrites++;
      this.wantWritable = true;
    }
    // Buffer.from copies: the caller may reuse its buffer as soon as write returns.
    if (accepted > 0) this.socket.write(Buffer.from(data.subarray(offset, offset + accepted)), this.flushed);
    return accepted;
  }

  close(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.clearConnectTimer();
    // end() sends what was accepted, then FIN; destroy after a grace period if the peer never answers.
    if (this.connected && !this.closed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    } else {
      this.socket.destroy();
    }
    this.connector.forget(this);
  }

  private onConnected(): void {
    this.connected = true;
    this.clearConnectTimer();
    if (!this.closedLocally) this.handlers.onConnect();
  }

  private onData(chunk: Buffer): void {
    if (this.closedLocally) return;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (!this.paused && this.queued >= this.connector.receiveLimitBytes) {
      this.paused = true;
      this.connector.stats.receivePauses++;
      this.socket.pause();
    }
    this.handlers.onReadable(this.queued);
  }

  /**
   * Called as each accepted write leaves Node's buffer for the kernel. Node's own 'drain' only fires past its
   * 16 KiB high-water mark, not at our send limit, so the write callbacks are what tell us space came back.
   */
  private readonly flushed = (): void => {
    if (!this.wantWritable || this.closedLocally || this.closed) return;
    const space = this.connector.sendLimitBytes - this.socket.writableLength;
    if (space <= 0) return;
    this.wantWritable = false;
    this.handlers.onWritable?.(space);
  };

  private onClosed(): void {
    this.closed = true;
    this.clearConnectTimer();
    this.connector.forget(this);
    if (!this.closedLocally) this.handlers.onClose();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}

function describe(error: Error, options: TcpOptions): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${options.host}:${options.port}`;
  if (code === "ECONNREFUSED") return `connection refused by ${where}`;
  if (code === "ECONNRESET") return `connection reset by ${where}`;
  return code ? `${where}: ${code} ${error.message}` : `${where}: ${error.message}`;
}
