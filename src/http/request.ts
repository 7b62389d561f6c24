/**
 * Writes a ranged GET request into a caller-owned buffer (ASCII only: parseHttpUrl refuses anything else), without
 * building strings. The request asks for the identity encoding, since a compressed image would not match its hash.
 */
import type { HttpUrl } from "./url";

/** Request bytes beyond the target and Host: request line, Range with two 16-digit numbers, fixed headers. */
export const REQUEST_OVERHEAD_BYTES = 256;

export class RequestWriter {
  private at = 0;

  constructor(private readonly buffer: Uint8Array) {}

  /**
   * GET `url.target` for bytes `start`..`end` (inclusive; `end` < 0 asks for everything from `start`). Returns the
   * request length, or -1 when it does not fit the buffer (nothing else is wrong with it).
   */
  write(url: HttpUrl, start: number, end: number, userAgent: string): number {
    this.at = 0;
    this.text("GET ");
    this.text(url.target);
    this.text(" HTTP/1.1\r\nHost: ");
    this.text(url.hostHeader);
    this.text("\r\nRange: bytes=");
    this.decimal(start);
    this.text("-");
    if (end >= 0) this.decimal(end);
    this.text("\r\nAccept-Encoding: identity\r\nUser-Agent: ");
    this.text(userAgent);
    this.text("\r\nConnection: keep-alive\r\n\r\n");
    return this.at > this.buffer.length ? -1 : this.at;
  }

  private text(value: string): void {
    const buffer = this.buffer;
    for (let i = 0; i < value.length; i++) {
      if (this.at < buffer.length) buffer[this.at] = value.charCodeAt(i);
      this.at++;
    }
  }

  private decimal(value: number): void {
    let divisor = 1;
    while (divisor * 10 <= value) divisor *= 10;
    const buffer = this.buffer;
    for (; divisor >= 1; divisor /= 10) {
      const digit = Math.floor(value / divisor) % 10;
      if (this.at < buffer.length) buffer[this.at] = 48 + digit;
      this.at++;
    }
  }
}
