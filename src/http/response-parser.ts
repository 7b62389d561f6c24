/**
 * A sans-I/O HTTP/1.1 response parser (RFC 9112) for downloads: bytes in, head fields and body ranges out.
 *
 * Only what a ranged GET needs is kept from the head: status, Content-Length, Transfer-Encoding (chunked),
 * Content-Range, Content-Encoding, Connection and Location. Head lines go through one fixed line buffer; body bytes
 * are handed to the sink as ranges of the caller's buffer, never copied. Feeding bytes allocates nothing (but the
 * Location buffer, made once at the first Location header); only `location()` makes a string (once per redirect).
 * Interim 1xx responses are skipped.
 */
import { HttpError } from "./errors";
import { MAX_URL_LENGTH } from "./url";
import { deepFreeze } from "../core/freeze";

export interface HttpParserSink {
  /** The final response's head is complete. Return false to stop parsing here (the owner drops the connection). */
  onHead(parser: HttpResponseParser): boolean;
  /** Body bytes in order (after de-chunking). The range is only valid during the call. */
  onBody(data: Uint8Array, offset: number, length: number): void;
  /** The body is complete. */
  onEnd(): void;
}

const State = deepFreeze({
  StatusLine: 0,
  Header: 1,
  Body: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailer: 6,
  UntilClose: 7,
  Done: 8,
  Failed: 9,
} as const);
type State = (typeof State)[keyof typeof State];

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const H_CONTENT_LENGTH = ascii("content-length");
const H_TRANSFER_ENCODING = ascii("transfer-encoding");
const H_CONTENT_RANGE = ascii("content-range");
const H_CONTENT_ENCODING = ascii("content-encoding");
const H_CONNECTION = ascii("connection");
const H_LOCATION = ascii("location");
const V_CHUNKED = ascii("chunked");
const V_IDENTITY = ascii("identity");
const V_CLOSE = ascii("close");
const V_KEEP_ALIVE = ascii("keep-alive");
const V_BYTES = ascii("bytes ");
const HTTP_1 = ascii("HTTP/1.");

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
/** Largest number accepted in a header (2^53 - 1): exact in a double. */
const MAX_NUMBER = 9007199254740991;

function lower(byte: number): number {
  return byte >= 65 && byte <= 90 ? byte + 32 : byte;
}

export interface HttpParserOptions {
  /** Longest head line (status line, one header, a chunk-size line). Must hold a Location of MAX_URL_LENGTH. */
  maxLineBytes?: number;
  /** Most bytes of one head (status line and all headers). */
  maxHeadBytes?: number;
}

export class HttpResponseParser {
  status = 0;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion = 1;
  /** Content-Length, or -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** False after "Connection: close", for HTTP/1.0 without keep-alive, and for bodies delimited by the close. */
  keepAlive = true;
  /** Content-Range "bytes start-end/total": -1 when absent; total -1 for "*". */
  rangeStart = -1;
  rangeEnd = -1;
  rangeTotal = -1;
  /** A Content-Encoding other than identity was announced (the client does not decode one). */
  encoded = false;
  /** Body bytes delivered so far for this response. */
  bodyBytes = 0;
  error: HttpError = HttpError.None;
  /** A fixed description of the error (no allocation). */
  errorDetail = "";
  readonly maxLineBytes: number;
  readonly maxHeadBytes: number;
  private state: State = State.StatusLine;
  private readonly line: Uint8Array;
  private lineLength = 0;
  private headBytes = 0;
  private remaining = 0;
  private transferEncodingSeen = false;
  /** Made at the first Location header (a redirect is rare): a download that is not redirected never carries it. */
  private locationBytes: Uint8Array | null = null;
  private locationLength = -1;

  constructor(options: HttpParserOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? MAX_URL_LENGTH + 64;
    this.maxHeadBytes = options.maxHeadBytes ?? 8192;
    this.line = new Uint8Array(this.maxLineBytes);
  }

  /** Start on a new response (the next one on a kept-alive connection, or a fresh connection). */
  reset(): void {
    this.state = State.StatusLine;
    this.resetHead();
    this.headBytes = 0;
    this.bodyBytes = 0;
    this.error = HttpError.None;
    this.errorDetail = "";
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  get failed(): boolean {
    return this.state === State.Failed;
  }

  /** The head is complete and the body is being received. */
  get inBody(): boolean {
    return this.state >= State.Body && this.state <= State.UntilClose;
  }

  /** The Location header as a string, or null. Allocates: call it only to follow a redirect. */
  location(): string | null {
    const bytes = this.locationBytes;
    if (this.locationLength < 0 || bytes === null) return null;
    let out = "";
    for (let i = 0; i < this.locationLength; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }

  /**
   * Parse `length` bytes of `data` from `offset`. Returns how many were consumed: all of them, or fewer when the
   * response ended (extra bytes belong to nobody: one request is outstanding at a time), when `onHead` returned
   * false, or when the response is malformed (`failed`, `error`).
   */
  feed(data: Uint8Array, offset: number, length: number, sink: HttpParserSink): number {
    let at = offset;
    const end = offset + length;
    while (at < end) {
      const state = this.state;
      if (state === State.Done || state === State.Failed) break;
      if (state === State.Body || state === State.ChunkData || state === State.UntilClose) {
        const take = state === State.UntilClose ? end - at : Math.min(end - at, this.remaining);
        if (take > 0) {
          this.bodyBytes += take;
          sink.onBody(data, at, take);
          at += take;
        }
        if (state === State.UntilClose) continue;
        this.remaining -= take;
        if (this.remaining === 0) {
          if (state === State.Body) this.finishBody(sink);
          else this.state = State.ChunkDataEnd;
        }
        continue;
      }
      // Line-oriented states: collect one line.
      const byte = data[at++];
      if (this.state <= State.Header) {
        this.headBytes++;
        if (this.headBytes > this.maxHeadBytes) {
          this.fail(HttpError.HeadTooLarge, "response head larger than the client's head limit");
          break;
        }
      }
      if (byte !== LF) {
        if (this.lineLength === this.maxLineBytes) {
          this.fail(HttpError.HeadTooLarge, "a response line is longer than the client's line buffer");
          break;
        }
        this.line[this.lineLength++] = byte;
        continue;
      }
      let lineEnd = this.lineLength;
      if (lineEnd > 0 && this.line[lineEnd - 1] === CR) lineEnd--;
      this.lineLength = 0;
      if (!this.onLine(lineEnd, sink)) break;
    }
    return at - offset;
  }

  /** The connection closed: a body delimited by the close ends here; anything else unfinished is truncated. */
  finish(sink: HttpParserSink): void {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      sink.onEnd();
    } else if (this.state !== State.Done && this.state !== State.Failed) {
      this.fail(HttpError.Truncated, this.inBody ? "connection closed before the body was complete" : "connection closed before the response head");
    }
  }

  private resetHead(): void {
    this.status = 0;
    this.minorVersion = 1;
    this.contentLength = -1;
    this.chunked = false;
    this.keepAlive = true;
    this.rangeStart = -1;
    this.rangeEnd = -1;
    this.rangeTotal = -1;
    this.encoded = false;
    this.transferEncodingSeen = false;
    this.locationLength = -1;
    this.lineLength = 0;
  }

  private fail(error: HttpError, detail: string): void {
    this.state = State.Failed;
    this.error = error;
    this.errorDetail = detail;
  }

  /** Returns false to stop feeding. */
  private onLine(length: number, sink: HttpParserSink): boolean {
    switch (this.state) {
      case State.StatusLine:
        return this.parseStatusLine(length);
      case State.Header:
        if (length === 0) return this.endOfHead(sink);
        return this.parseHeader(length);
      case State.ChunkSize:
        return this.parseChunkSize(length);
      case State.ChunkDataEnd:
        if (length !== 0) {
          this.fail(HttpError.Malformed, "chunk data not followed by CRLF");
          return false;
        }
        this.state = State.ChunkSize;
        return true;
      case State.Trailer:
        if (length === 0) {
          this.finishBody(sink);
          return false;
        }
        return true;
      default:
        return false;
    }
  }

  private parseStatusLine(length: number): boolean {
    const line = this.line;
    // A blank line before the status line is tolerated (RFC 9112 §2.2).
    if (length === 0 && this.headBytes <= 2) return true;
    let ok = length >= 12;
    for (let i = 0; ok && i < HTTP_1.length; i++) ok = line[i] === HTTP_1[i];
    if (ok) {
      const minor = line[7] - 48;
      ok = (minor === 0 || minor === 1) && line[8] === SP && isDigit(line[9]) && isDigit(line[10]) && isDigit(line[11]) && (length === 12 || line[12] === SP);
      if (ok) {
        this.minorVersion = minor;
        this.status = (line[9] - 48) * 100 + (line[10] - 48) * 10 + (line[11] - 48);
        // HTTP/1.0 closes after each response unless it says keep-alive.
        this.keepAlive = minor === 1;
      }
    }
    if (!ok || this.status < 100) {
      this.fail(HttpError.Malformed, "bad status line (expected HTTP/1.x and a 3-digit status)");
      return false;
    }
    this.state = State.Header;
    return true;
  }

  private parseHeader(length: number): boolean {
    const line = this.line;
    if (line[0] === SP || line[0] === HT) {
      this.fail(HttpError.Malformed, "obsolete header line folding");
      return false;
    }
    let colon = -1;
    for (let i = 0; i < length; i++) {
      const c = line[i];
      if (c === 58) {
        colon = i;
        break;
      }
      if (c <= SP || c >= 127) break;
    }
    if (colon <= 0) {
      this.fail(HttpError.Malformed, "header line without a token name and a colon");
      return false;
    }
    let valueStart = colon + 1;
    let valueEnd = length;
    while (valueStart < valueEnd && (line[valueStart] === SP || line[valueStart] === HT)) valueStart++;
    while (valueEnd > valueStart && (line[valueEnd - 1] === SP || line[valueEnd - 1] === HT)) valueEnd--;
    if (this.nameIs(H_CONTENT_LENGTH, colon)) {
      const value = parseDecimal(line, valueStart, valueEnd);
      if (value < 0 || (this.contentLength >= 0 && this.contentLength !== value)) {
        this.fail(HttpError.Malformed, "bad or conflicting Content-Length");
        return false;
      }
      this.contentLength = value;
    } else if (this.nameIs(H_TRANSFER_ENCODING, colon)) {
      this.transferEncodingSeen = true;
      if (!equalsIgnoreCase(line, valueStart, valueEnd, V_CHUNKED)) {
        this.fail(HttpError.Unsupported, "a transfer coding other than chunked");
        return false;
      }
      this.chunked = true;
    } else if (this.nameIs(H_CONTENT_ENCODING, colon)) {
      if (valueEnd > valueStart && !equalsIgnoreCase(line, valueStart, valueEnd, V_IDENTITY)) this.encoded = true;
    } else if (this.nameIs(H_CONNECTION, colon)) {
      if (containsIgnoreCase(line, valueStart, valueEnd, V_CLOSE)) this.keepAlive = false;
      else if (this.minorVersion === 0 && containsIgnoreCase(line, valueStart, valueEnd, V_KEEP_ALIVE)) this.keepAlive = true;
    } else if (this.nameIs(H_CONTENT_RANGE, colon)) {
      if (!this.parseContentRange(valueStart, valueEnd)) {
        this.fail(HttpError.Malformed, "bad Content-Range (expected bytes a-b/total)");
        return false;
      }
    } else if (this.nameIs(H_LOCATION, colon)) {
      const count = valueEnd - valueStart;
      if (count > MAX_URL_LENGTH) {
        this.fail(HttpError.HeadTooLarge, "Location longer than the longest URL accepted");
        return false;
      }
      const bytes = this.locationBytes ?? (this.locationBytes = new Uint8Array(MAX_URL_LENGTH));
      for (let i = 0; i < count; i++) bytes[i] = line[valueStart + i];
      this.locationLength = count;
    }
    return true;
  }

  private endOfHead(sink: HttpParserSink): boolean {
    const status = this.status;
    if (status < 200) {
      // Interim response (100 Continue, 103 Early Hints): the real one follows.
      this.resetHead();
      this.state = State.StatusLine;
      return true;
    }
    if (this.transferEncodingSeen) {
      // Transfer-Encoding overrides Content-Length, and such a message must not be reused (RFC 9112 §6.3).
      this.contentLength = -1;
      if (this.minorVersion === 0) this.keepAlive = false;
    }
    let next: State;
    if (status === 204 || status === 304) next = State.Done;
    else if (this.chunked) next = State.ChunkSize;
    else if (this.contentLength >= 0) next = this.contentLength === 0 ? State.Done : State.Body;
    else {
      next = State.UntilClose;
      this.keepAlive = false;
    }
    this.remaining = this.contentLength > 0 ? this.contentLength : 0;
    this.state = next;
    if (!sink.onHead(this)) {
      this.state = State.Done;
      return false;
    }
    if (next === State.Done) {
      sink.onEnd();
      return false;
    }
    return true;
  }

  private parseChunkSize(length: number): boolean {
    const line = this.line;
    let size = 0;
    let digits = 0;
    let i = 0;
    for (; i < length; i++) {
      const v = hexValue(line[i]);
      if (v < 0) break;
      size = size * 16 + v;
      digits++;
      if (size > 0x7fffffff) {
        this.fail(HttpError.Malformed, "chunk size too large");
        return false;
      }
    }
    while (i < length && (line[i] === SP || line[i] === HT)) i++;
    if (digits === 0 || (i < length && line[i] !== 59)) {
      this.fail(HttpError.Malformed, "bad chunk size line");
      return false;
    }
    if (size === 0) {
      this.state = State.Trailer;
      return true;
    }
    this.remaining = size;
    this.state = State.ChunkData;
    return true;
  }

  private finishBody(sink: HttpParserSink): void {
    this.state = State.Done;
    sink.onEnd();
  }

  private nameIs(name: Uint8Array, length: number): boolean {
    if (length !== name.length) return false;
    const line = this.line;
    for (let i = 0; i < length; i++) if (lower(line[i]) !== name[i]) return false;
    return true;
  }

  private parseContentRange(start: number, end: number): boolean {
    const line = this.line;
    if (end - start < V_BYTES.length + 3) return false;
    for (let i = 0; i < V_BYTES.length; i++) if (lower(line[start + i]) !== V_BYTES[i]) return false;
    let at = start + V_BYTES.length;
    const slash = indexOf(line, at, end, 47);
    if (slash < 0) return false;
    if (line[at] === 42 && at + 1 === slash) {
      this.rangeStart = -1;
      this.rangeEnd = -1;
    } else {
      const dash = indexOf(line, at, slash, 45);
      if (dash < 0) return false;
      this.rangeStart = parseDecimal(line, at, dash);
      this.rangeEnd = parseDecimal(line, dash + 1, slash);
      if (this.rangeStart < 0 || this.rangeEnd < this.rangeStart) return false;
    }
    at = slash + 1;
    if (line[at] === 42 && at + 1 === end) this.rangeTotal = -1;
    else {
      this.rangeTotal = parseDecimal(line, at, end);
      if (this.rangeTotal < 0 || (this.rangeEnd >= 0 && this.rangeEnd >= this.rangeTotal)) return false;
    }
    return true;
  }
}

function isDigit(byte: number): boolean {
  return byte >= 48 && byte <= 57;
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

/** Decimal digits only, at least one; -1 otherwise or past 2^53 - 1. */
function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    if (!isDigit(bytes[i])) return -1;
    value = value * 10 + (bytes[i] - 48);
    if (value > MAX_NUMBER) return -1;
  }
  return value;
}

function indexOf(bytes: Uint8Array, start: number, end: number, byte: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === byte) return i;
  return -1;
}

function equalsIgnoreCase(bytes: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(bytes[start + i]) !== word[i]) return false;
  return true;
}

function containsIgnoreCase(bytes: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  for (let i = start; i + word.length <= end; i++) {
    let j = 0;
    while (j < word.length && lower(bytes[i + j]) === word[j]) j++;
    if (j === word.length) return true;
  }
  return false;
}
