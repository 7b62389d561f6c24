import { deepFreeze } from "../core/freeze";

/** Why an HTTP request failed. Plain numbers (no enum) so every bundler treats them alike; names in HTTP_ERROR_NAMES. */
export const HttpError = deepFreeze({
  None: 0,
  /** The URL (or a redirect's Location) is not a usable http(s) URL. */
  BadUrl: 1,
  /** TCP or TLS connection refused, reset or failed before the response was complete. */
  Connection: 2,
  /** Connect (and TLS handshake) took longer than connectTimeoutMs. */
  ConnectTimeout: 3,
  /** No byte received for idleTimeoutMs while waiting for the response or its body. */
  IdleTimeout: 4,
  /** The connection closed before the body was complete. */
  Truncated: 5,
  /** The response is not HTTP/1.x as RFC 9112 frames it (status line, header syntax, chunk sizes). */
  Malformed: 6,
  /** A header line or the whole head is larger than the client's fixed buffer. */
  HeadTooLarge: 7,
  /** A status the client does not accept (4xx, 5xx, a 200 to a request for a later range than 0...). */
  Status: 8,
  /** 416: the requested range starts past the end of the resource. */
  RangeNotSatisfiable: 9,
  /** A 206 whose Content-Range is not the range asked for. */
  RangeMismatch: 10,
  /** More redirects than maxRedirects (0 = redirects refused). */
  TooManyRedirects: 11,
  /** A redirect from https to http, or without a usable Location. */
  RedirectRefused: 12,
  /** A content coding (gzip, ...) or transfer coding the client does not decode. */
  Unsupported: 13,
  /** The request could not be written (send buffer refused it). */
  SendFailed: 14,
  /** The owner aborted the request. */
  Aborted: 15,
} as const);
export type HttpError = (typeof HttpError)[keyof typeof HttpError];

export const HTTP_ERROR_NAMES = deepFreeze([
  "none",
  "bad url",
  "connection failed",
  "connect timeout",
  "idle timeout",
  "truncated body",
  "malformed response",
  "response head too large",
  "unexpected status",
  "range not satisfiable",
  "range mismatch",
  "too many redirects",
  "redirect refused",
  "unsupported encoding",
  "send failed",
  "aborted",
]);
