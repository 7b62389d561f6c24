import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Timer from "timer";
import type { TcpConnector, TcpHandlers, TcpOptions, TcpSocket } from "../types";
import { sdkSystem } from "./platform";

/** Largest chunk moved per native read/write call; the scratch views are powers of two up to this. */
const SCRATCH_BYTES = 1024;
/** What the SDK's TLS socket keeps back from the TCP send buffer for a record's header, MAC and padding. */
const TLS_RECORD_OVERHEAD = 96;

/** Counters over all sockets of the connector. */
export interface ModdableTcpStats {
  connects: number;
  resolveFailures: number;
  shortWrites: number;
}

/**
 * Scratch views over one ArrayBuffer, one per power of two: the ECMA-419 sockets read into and write from a whole
 * view, so moving `n` bytes at an offset is done as n's binary digits, each through the view of that size, with no
 * allocation. Shared by all sockets: every call completes before it returns.
 */
class Scratch {
  readonly views: Uint8Array[] = [];
  constructor() {
    const buffer = new ArrayBuffer(SCRATCH_BYTES);
    for (let size = 1; size <= SCRATCH_BYTES; size *= 2) this.views.push(new Uint8Array(buffer, 0, size));
  }
  /** The largest view not longer than `n` (n >= 1). */
  viewFor(n: number): Uint8Array {
    const views = this.views;
    let index = 0;
    while (index + 1 < views.length && views[index + 1].length <= n) index++;
    return views[index];
  }
}

/** TcpConnector over the ECMA-419 TCP socket (lwIP) and the SDK's ECMA-419 TLS socket. */
export class ModdableTcpConnector implements TcpConnector {
  readonly stats: ModdableTcpStats = { connects: 0, resolveFailures: 0, shortWrites: 0 };
  readonly scratch = new Scratch();

  /** @param tlsSecure options handed to the TLS session (CA selection, ALPN); the server name is added per connect. */
  constructor(readonly tlsSecure: Record<string, unknown> = {}) {}

  connect(options: TcpOptions, handlers: TcpHandlers): TcpSocket {
    if (typeof options.host !== "string" || options.host.length === 0) throw new Error("tcp connect: host must be a non-empty string");
    if (!(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
      throw new Error(`tcp connect: port must be 1..65535, got ${options.port}`);
    }
    this.stats.connects++;
    return new ModdableTcpSocket(this, options, handlers);
  }
}

/** Socket-level callbacks bound once per connection. */
interface Native {
  read(into: Uint8Array): number | undefined;
  write(data: Uint8Array): unknown;
  close(): void;
  format: "number" | "buffer";
}

/**
 * One connection. Names are resolved first (the lwIP socket takes an address only) with the DHCP-given DNS
 * servers. Event mapping: the socket's first onWritable is the connection (onConnect); onReadable passes through;
 * later onWritable after a short write is onWritable; onError before the connection is a failed connect (onError
 * then onClose), after it the peer has gone: the SDK reports clean closes and resets alike, without detail, so it
 * becomes onClose. After the local close() no callback is made.
 *
 * `read` moves at most the bytes the last onReadable announced (less what was read since): the lwIP socket throws
 * on a read past what is waiting, and more data always comes with a new onReadable.
 */
class ModdableTcpSocket implements TcpSocket {
  private socket: Native | null = null;
  private connected = false;
  private closed = false;
  private readable = 0;
  private sendSpace = 0;
  private wantWritable = false;
  private readonly tls: boolean;

  constructor(
    private readonly connector: ModdableTcpConnector,
    private readonly options: TcpOptions,
    private readonly handlers: TcpHandlers,
  ) {
    this.tls = options.tls === true;
    // Start on the next turn: every callback then comes after connect() has returned, failures included.
    Timer.set(() => this.start());
  }

  read(into: Uint8Array, offset: number, length: number): number {
    const socket = this.socket;
    if (socket === null || this.closed) return 0;
    const scratch = this.connector.scratch;
    let copied = 0;
    let want = length < this.readable ? length : this.readable;
    while (want > 0) {
      const view = scratch.viewFor(want > SCRATCH_BYTES ? SCRATCH_BYTES : want);
      const got = socket.read(view);
      const count = typeof got === "number" ? got : 0;
      if (count <= 0) break;
      if (count === view.length) into.set(view, offset + copied);
      else for (let i = 0; i < count; i++) into[offset + copied + i] = view[i];
      copied += count;
      want -= count;
      this.readable -= count;
    }
    return copied;
  }

  write(data: Uint8Array, offset: number, length: number): number {
    const socket = this.socket;
    if (socket === null || !this.connected || this.closed) return 0;
    let accepted = length < this.sendSpace ? length : this.sendSpace;
    if (accepted < 0) accepted = 0;
    if (accepted < length) {
      this.connector.stats.shortWrites++;
      this.wantWritable = true;
    }
    if (accepted === 0) return 0;
    if (this.tls) {
      // One record per write; the TLS session allocates per record anyway, so a view here costs nothing extra.
      socket.write(offset === 0 && accepted === data.length ? data : new Uint8Array(data.buffer, data.byteOffset + offset, accepted));
      this.sendSpace -= accepted + TLS_RECORD_OVERHEAD;
      return accepted;
    }
    if (offset === 0 && accepted === data.length) {
      this.noteSendSpace(socket.write(data));
      return accepted;
    }
    const scratch = this.connector.scratch;
    let done = 0;
    while (done < accepted) {
      const rest = accepted - done;
      const view = scratch.viewFor(rest > SCRATCH_BYTES ? SCRATCH_BYTES : rest);
      const n = view.length;
      for (let i = 0; i < n; i++) view[i] = data[offset + done + i];
      this.noteSendSpace(socket.write(view));
      done += n;
    }
    return accepted;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.close();
    this.socket = null;
  }

  private start(): void {
    if (this.closed) return;
    const options = this.options;
    if (isIPv4(options.host)) {
      this.open(options.host);
      return;
    }
    sdkSystem().resolve(options.host, (_name, address) => {
      if (this.closed) return;
      if (address === undefined) {
        this.connector.stats.resolveFailures++;
        this.fail(`cannot resolve ${options.host}`);
      } else {
        this.open(address);
      }
    });
  }

  private open(address: string): void {
    const options = this.options;
    const callbacks = {
      address,
      port: options.port,
      nodelay: true,
      onReadable: (bytes: number) => this.onSocketReadable(bytes),
      onWritable: (bytes: number) => this.onSocketWritable(bytes),
      onError: () => this.onSocketError(),
    };
    try {
      const socket: Native = this.tls
        ? new TLSSocket({
            ...callbacks,
            host: options.serverName ?? options.host,
            secure: this.connector.tlsSecure,
            TCP: { io: ShieldedTcp as unknown as typeof TCP },
            // Passed through by the TLS socket to ShieldedTcp (it spreads its options into the TCP's).
            onTlsFailure: (error: unknown) => this.onTlsFailure(error),
          })
        : new TCP(callbacks);
      socket.format = "buffer";
      this.socket = socket;
    } catch (error) {
      // No socket left (lwIP's pool is small) or a bad address: report it like any failed connect.
      this.fail(`connect to ${options.host}:${options.port} failed: ${String(error)}`);
    }
  }

  private onSocketReadable(bytes: number): void {
    if (this.closed) return;
    this.readable = bytes;
    this.handlers.onReadable(bytes);
  }

  private onSocketWritable(bytes: number): void {
    if (this.closed) return;
    this.sendSpace = bytes;
    if (!this.connected) {
      this.connected = true;
      this.handlers.onConnect();
      return;
    }
    if (this.wantWritable) {
      this.wantWritable = false;
      this.handlers.onWritable?.(bytes);
    }
  }

  /** The TLS session threw inside a socket callback (bad certificate, alert, protocol error): a failed link. */
  private onTlsFailure(error: unknown): void {
    if (this.closed) return;
    const wasConnected = this.connected;
    this.closed = true;
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close();
    } catch {
      // the session is already broken; closing is best effort
    }
    const message = `tls with ${this.options.serverName ?? this.options.host}:${this.options.port}: ${String(error)}`;
    if (!wasConnected) this.handlers.onError(message);
    this.handlers.onClose();
  }

  private onSocketError(): void {
    if (this.closed) return;
    const wasConnected = this.connected;
    this.closed = true;
    this.socket?.close();
    this.socket = null;
    if (!wasConnected) this.handlers.onError(`connection to ${this.options.host}:${this.options.port} failed`);
    this.handlers.onClose();
  }

  private fail(message: string): void {
    this.closed = true;
    this.handlers.onError(message);
    this.handlers.onClose();
  }

  private noteSendSpace(left: unknown): void {
    this.sendSpace = typeof left === "number" ? left : 0;
  }
}

/**
 * The TCP class handed to the SDK's TLS socket. The TLS socket runs its handshake and record layer inside the TCP
 * socket's callbacks and does not catch what the session throws (a certificate it cannot verify, an alert): the
 * exception would leave the native callback and abort the XS machine (the device restarts; the simulator exits).
 * Each callback is wrapped so such an exception reaches `onTlsFailure` instead, which ends just this connection.
 */
class ShieldedTcp {
  constructor(options: ConstructorParameters<typeof TCP>[0] & { onTlsFailure?: (error: unknown) => void }) {
    const fail = options.onTlsFailure;
    const guard = <T>(callback: ((value: T) => void) | undefined): ((value: T) => void) | undefined =>
      callback === undefined
        ? undefined
        : (value: T) => {
            try {
              callback(value);
            } catch (error) {
              if (fail) fail(error);
              else throw error;
            }
          };
    const onError = options.onError;
    return new TCP({
      ...options,
      onReadable: guard(options.onReadable),
      onWritable: guard(options.onWritable),
      onError: onError === undefined ? undefined : guard<void>(() => onError()),
    }) as unknown as ShieldedTcp;
  }
}

/** Dotted-quad IPv4 literal (what the lwIP socket accepts as `address`). */
function isIPv4(host: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= host.length; i++) {
    const code = i < host.length ? host.charCodeAt(i) : 46;
    if (code === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (code >= 48 && code <= 57) {
      if (++digits > 3) return false;
      value = value * 10 + (code - 48);
    } else {
      return false;
    }
  }
  return parts === 4;
}
