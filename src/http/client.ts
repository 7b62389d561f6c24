/**
 * A sans-I/O HTTP/1.1 client for ranged downloads over the HAL TcpConnector (TLS with `tls: true`).
 *
 * One request at a time: `get(url, start, end, sink)` connects (or reuses the kept-alive connection to the same
 * origin), writes `GET ... Range: bytes=start-end`, and the owner drives it with `poll(nowMs, budgetBytes)` from its
 * tick: poll reads at most `budgetBytes` from the socket, so a slow consumer (a flash erase per 4 KiB) paces the
 * download and TCP flow control pushes back on the server instead of a buffer growing. Timeouts come from the
 * `nowMs` passed in (the HAL clock). Redirects are followed up to `maxRedirects` (never https -> http).
 *
 * Memory: the receive buffer, the request buffer and the parser's line buffer are allocated here; a request
 * allocates a handler object and the TcpOptions when it has to connect, the body path allocates nothing.
 */
import type { TcpConnector, TcpHandlers, TcpSocket } from "../../hal/types";
import { HttpError } from "./errors";
import { REQUEST_OVERHEAD_BYTES, RequestWriter } from "./request";
import { HttpResponseParser, type HttpParserSink } from "./response-parser";
import { MAX_URL_LENGTH, parseHttpUrl, resolveLocation, UrlError, type HttpUrl } from "./url";
import { deepFreeze } from "../core/freeze";

export interface HttpClientOptions {
  /** TCP connect plus TLS handshake plus the request written must finish within this. */
  connectTimeoutMs?: number;
  /** A request fails when no byte arrives for this long while its response is awaited or received. */
  idleTimeoutMs?: number;
  /** Redirects followed per request; 0 refuses them. */
  maxRedirects?: number;
  /** Bytes read from the socket per read call. */
  receiveBufferBytes?: number;
  maxHeadBytes?: number;
  userAgent?: string;
}

/** What the owner of a request hears. Calls come from inside `poll` or a socket event; do not call `get` from them. */
export interface HttpDownloadSink {
  /**
   * The response was accepted: body bytes follow, the first being byte `first` of the resource (the Content-Range
   * start of a 206; 0 for a 200, the whole resource). `total` is the resource size when the server said it, else -1.
   */
  onStart(first: number, total: number): void;
  onData(data: Uint8Array, offset: number, length: number): void;
  onComplete(): void;
  /** The request failed; `detail` says why (HTTP status, socket message, parser finding). */
  onError(error: HttpError, detail: string): void;
}

const Phase = deepFreeze({ Idle: 0, Connecting: 1, Sending: 2, Receiving: 3 } as const);
type Phase = (typeof Phase)[keyof typeof Phase];

export interface HttpClientStats {
  requests: number;
  connects: number;
  /** Requests sent on a kept-alive connection. */
  reused: number;
  redirects: number;
  bodyBytes: number;
  failures: number;
}

export class HttpClient implements HttpParserSink {
  readonly stats: HttpClientStats = { requests: 0, connects: 0, reused: 0, redirects: 0, bodyBytes: 0, failures: 0 };
  /** Status of the last response head (0 before one). */
  lastStatus = 0;
  /** Resource size from the last Content-Range, -1 when unknown (e.g. the total of a 416). */
  lastTotal = -1;
  private readonly tcp: TcpConnector;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  private readonly receive: Uint8Array;
  private readonly request: Uint8Array;
  private readonly writer: RequestWriter;
  private readonly parser: HttpResponseParser;
  private phase: Phase = Phase.Idle;
  private sink: HttpDownloadSink | null = null;
  private socket: TcpSocket | null = null;
  private generation = 0;
  /** Origin of the open socket (for keep-alive reuse). */
  private socketTls = false;
  private socketHost = "";
  private socketPort = 0;
  private socketConnected = false;
  private peerClosed = false;
  private socketError = "";
  private url: HttpUrl | null = null;
  private requestedUrl = "";
  /** Where the last redirect chain of `requestedUrl` ended (reused for the next range of the same download). */
  private redirectedUrl: HttpUrl | null = null;
  private rangeStart = 0;
  private rangeEnd = -1;
  private requestLength = 0;
  private requestSent = 0;
  private redirects = 0;
  private startedMs = 0;
  private lastActivityMs = 0;
  private reusedSocket = false;
  private responseBytes = 0;
  private pendingRedirect: string | null = null;
  private stopAfterHead = false;
  private nowMs = 0;

  constructor(tcp: TcpConnector, options: HttpClientOptions = {}) {
    this.tcp = tcp;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.maxRedirects = options.maxRedirects ?? 3;
    this.userAgent = options.userAgent ?? "ess-gateway";
    this.receive = new Uint8Array(options.receiveBufferBytes ?? 2048);
    this.request = new Uint8Array(MAX_URL_LENGTH + REQUEST_OVERHEAD_BYTES + this.userAgent.length);
    this.writer = new RequestWriter(this.request);
    this.parser = new HttpResponseParser({ maxHeadBytes: options.maxHeadBytes ?? 8192 });
  }

  get busy(): boolean {
    return this.phase !== Phase.Idle;
  }

  /** A kept-alive connection is open (for tests and status). */
  get connectionOpen(): boolean {
    return this.socket !== null && !this.peerClosed;
  }

  /**
   * Start `GET url` for bytes `start`..`end` (inclusive; `end` < 0: to the end). Returns HttpError.None when the
   * request is under way, otherwise the reason it could not start (the sink is not called then).
   */
  get(url: string, start: number, end: number, sink: HttpDownloadSink, nowMs: number): HttpError {
    if (this.phase !== Phase.Idle) throw new Error("HttpClient.get: a request is already under way");
    if (!(Number.isSafeInteger(start) && start >= 0 && (end < 0 || (Number.isSafeInteger(end) && end >= start)))) {
      throw new RangeError(`HttpClient.get: bad range ${start}-${end}`);
    }
    let target: HttpUrl;
    if (url === this.requestedUrl && this.redirectedUrl !== null) target = this.redirectedUrl;
    else {
      try {
        target = parseHttpUrl(url);
      } catch {
        return HttpError.BadUrl;
      }
      this.requestedUrl = url;
      this.redirectedUrl = null;
    }
    this.sink = sink;
    this.rangeStart = start;
    this.rangeEnd = end;
    this.redirects = 0;
    this.stats.requests++;
    this.begin(target, nowMs);
    return HttpError.None;
  }

  /** Drop the request under way (no sink call) and the connection. */
  abort(): void {
    this.sink = null;
    this.phase = Phase.Idle;
    this.dropSocket();
  }

  /** Close the kept-alive connection, if any (end of a download). */
  close(): void {
    if (this.phase === Phase.Idle) this.dropSocket();
  }

  /**
   * Advance the request: check timeouts, finish sending, read and parse up to `budgetBytes`. Returns the bytes read.
   */
  poll(nowMs: number, budgetBytes: number): number {
    this.nowMs = nowMs;
    if (this.phase === Phase.Idle) {
      // A kept-alive connection the server closed while idle: forget it.
      if (this.socket !== null && this.peerClosed) this.dropSocket();
      return 0;
    }
    if (this.phase === Phase.Connecting) {
      if (this.peerClosed) return this.connectionLost();
      if (nowMs - this.startedMs > this.connectTimeoutMs) this.fail(HttpError.ConnectTimeout, `no connection after ${this.connectTimeoutMs} ms`);
      return 0;
    }
    if (this.phase === Phase.Sending) {
      this.send();
      if (this.phase === Phase.Sending) {
        if (this.peerClosed) return this.connectionLost();
        if (nowMs - this.lastActivityMs > this.idleTimeoutMs) this.fail(HttpError.IdleTimeout, "request not accepted by the socket");
        return 0;
      }
    }
    let total = 0;
    const buffer = this.receive;
    while (this.phase === Phase.Receiving && total < budgetBytes) {
      const socket = this.socket;
      if (socket === null) break;
      const count = socket.read(buffer, 0, Math.min(buffer.length, budgetBytes - total));
      if (count === 0) break;
      total += count;
      this.lastActivityMs = nowMs;
      this.responseBytes += count;
      this.parser.feed(buffer, 0, count, this);
      this.afterFeed();
    }
    if (this.phase === Phase.Receiving && total < budgetBytes) {
      if (this.peerClosed) {
        // Everything the socket held has been read: the close ends the body or truncates it.
        this.parser.finish(this);
        if (this.phase === Phase.Receiving) this.afterFeed();
        if (this.phase === Phase.Receiving) this.connectionLost();
      } else if (nowMs - this.lastActivityMs > this.idleTimeoutMs) {
        this.fail(HttpError.IdleTimeout, `no data for ${this.idleTimeoutMs} ms`);
      }
    }
    return total;
  }

  // --- parser sink (called from parser.feed) ---

  onHead(parser: HttpResponseParser): boolean {
    const status = parser.status;
    this.lastStatus = status;
    this.lastTotal = parser.rangeTotal;
    if (parser.encoded) return this.stop(HttpError.Unsupported, "the response has a Content-Encoding (identity was asked for)");
    if (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) {
      if (this.redirects >= this.maxRedirects) {
        return this.stop(HttpError.TooManyRedirects, this.maxRedirects === 0 ? `redirect (${status}) refused` : `more than ${this.maxRedirects} redirects`);
      }
      const location = parser.location();
      if (location === null) return this.stop(HttpError.RedirectRefused, `redirect (${status}) without a Location`);
      this.pendingRedirect = location;
      this.stopAfterHead = true;
      return false;
    }
    if (status === 416) return this.stop(HttpError.RangeNotSatisfiable, `416: range ${this.rangeStart}- is past the end of the resource`);
    if (status === 206) {
      const end = this.rangeEnd;
      if (parser.rangeStart !== this.rangeStart || (end >= 0 && parser.rangeEnd > end) || parser.rangeStart < 0) {
        return this.stop(HttpError.RangeMismatch, `206 for bytes ${parser.rangeStart}-${parser.rangeEnd}, asked ${this.rangeStart}-${end < 0 ? "" : end}`);
      }
      if (parser.contentLength >= 0 && parser.contentLength !== parser.rangeEnd - parser.rangeStart + 1) {
        return this.stop(HttpError.RangeMismatch, "206 whose Content-Length is not its Content-Range");
      }
      this.sink?.onStart(parser.rangeStart, parser.rangeTotal);
      return true;
    }
    if (status === 200) {
      // The server ignored the Range: the body is the whole resource; the owner skips what it already has.
      this.lastTotal = parser.contentLength;
      this.sink?.onStart(0, parser.contentLength);
      return true;
    }
    return this.stop(HttpError.Status, `HTTP status ${status}`);
  }

  onBody(data: Uint8Array, offset: number, length: number): void {
    this.stats.bodyBytes += length;
    this.sink?.onData(data, offset, length);
  }

  onEnd(): void {
    // Handled in afterFeed, once the parser has returned.
  }

  // --- internals ---

  private begin(target: HttpUrl, nowMs: number): void {
    this.url = target;
    this.startedMs = nowMs;
    this.lastActivityMs = nowMs;
    this.responseBytes = 0;
    this.pendingRedirect = null;
    this.stopAfterHead = false;
    this.parser.reset();
    this.requestLength = this.writer.write(target, this.rangeStart, this.rangeEnd, this.userAgent);
    this.requestSent = 0;
    if (this.requestLength < 0) {
      this.fail(HttpError.BadUrl, "the request does not fit the request buffer");
      return;
    }
    const reuse = this.socket !== null && !this.peerClosed && this.socketConnected && this.socketTls === target.tls && this.socketHost === target.host && this.socketPort === target.port;
    this.reusedSocket = reuse;
    if (reuse) {
      this.stats.reused++;
      this.phase = Phase.Sending;
      this.send();
      return;
    }
    this.dropSocket();
    this.connect(target);
  }

  private connect(target: HttpUrl): void {
    const generation = ++this.generation;
    this.socketTls = target.tls;
    this.socketHost = target.host;
    this.socketPort = target.port;
    this.socketConnected = false;
    this.peerClosed = false;
    this.socketError = "";
    this.phase = Phase.Connecting;
    this.stats.connects++;
    const client = this;
    const handlers: TcpHandlers = {
      onConnect() {
        if (generation !== client.generation) return;
        client.socketConnected = true;
        client.lastActivityMs = client.nowMs;
        if (client.phase === Phase.Connecting) {
          client.phase = Phase.Sending;
          client.send();
        }
      },
      onReadable() {
        // Read in poll, at the owner's pace.
      },
      onWritable() {
        if (generation === client.generation && client.phase === Phase.Sending) client.send();
      },
      onClose() {
        if (generation === client.generation) client.peerClosed = true;
      },
      onError(message: string) {
        if (generation === client.generation) {
          client.socketError = message;
          client.peerClosed = true;
        }
      },
    };
    this.socket = this.tcp.connect({ host: target.host, port: target.port, tls: target.tls, serverName: target.host }, handlers);
  }

  private send(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.requestSent < this.requestLength) {
      const accepted = socket.write(this.request, this.requestSent, this.requestLength - this.requestSent);
      if (accepted <= 0) return;
      this.requestSent += accepted;
    }
    this.phase = Phase.Receiving;
  }

  /** After the parser returned: act on the end of the body, a stop at the head, or a parse failure. */
  private afterFeed(): void {
    const parser = this.parser;
    if (this.phase !== Phase.Receiving) return;
    if (parser.failed) {
      this.fail(parser.error, parser.errorDetail);
      return;
    }
    if (!parser.done) return;
    if (this.pendingRedirect !== null) {
      this.followRedirect(this.pendingRedirect);
      return;
    }
    if (this.stopAfterHead) return;
    const sink = this.sink;
    this.sink = null;
    this.phase = Phase.Idle;
    if (!parser.keepAlive) this.dropSocket();
    sink?.onComplete();
  }

  private followRedirect(location: string): void {
    const from = this.url as HttpUrl;
    let next: HttpUrl;
    try {
      next = parseHttpUrl(resolveLocation(from, location));
    } catch (error) {
      this.fail(HttpError.RedirectRefused, error instanceof UrlError ? `Location ${error.message}` : "bad Location");
      return;
    }
    if (from.tls && !next.tls) {
      this.fail(HttpError.RedirectRefused, "redirect from https to http refused");
      return;
    }
    this.redirects++;
    this.stats.redirects++;
    this.redirectedUrl = next;
    // The redirect's body is not wanted; a fresh connection is simpler than draining it.
    this.dropSocket();
    this.begin(next, this.nowMs);
  }

  private stop(error: HttpError, detail: string): boolean {
    this.fail(error, detail);
    return false;
  }

  /** The socket went away before the response was complete. */
  private connectionLost(): number {
    if (this.reusedSocket && this.responseBytes === 0 && this.url !== null) {
      // The server closed the idle kept-alive connection just as we reused it: one fresh attempt.
      this.reusedSocket = false;
      this.dropSocket();
      this.connect(this.url);
      return 0;
    }
    if (this.parser.inBody) this.fail(HttpError.Truncated, this.socketError || "connection closed before the body was complete");
    else this.fail(HttpError.Connection, this.socketError || "connection closed before the response");
    return 0;
  }

  private fail(error: HttpError, detail: string): void {
    const sink = this.sink;
    this.sink = null;
    this.phase = Phase.Idle;
    this.stats.failures++;
    this.redirectedUrl = null;
    this.dropSocket();
    sink?.onError(error, detail);
  }

  private dropSocket(): void {
    if (this.socket !== null) {
      this.generation++;
      this.socket.close();
      this.socket = null;
    }
    this.socketConnected = false;
    this.peerClosed = false;
  }
}
