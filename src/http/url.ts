/**
 * http:// and https:// URLs as the download client needs them: where to connect and what to put on the request
 * line. Parsing allocates (a few strings): it runs once per download and per redirect, never per byte.
 */

/** Longest URL accepted: pre-signed CDN URLs run to several hundred characters; the request buffer is sized from it. */
export const MAX_URL_LENGTH = 1024;

export interface HttpUrl {
  tls: boolean;
  /** Host to connect to (an IPv6 literal without its brackets). */
  host: string;
  port: number;
  /** Value of the Host header (brackets kept, port only when not the scheme's default). */
  hostHeader: string;
  /** Request target: path and query, at least "/". */
  target: string;
}

/** Why a URL was refused; `message` names the problem. */
export class UrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UrlError";
  }
}

/** Parse an absolute http(s) URL; throws UrlError naming what is wrong. */
export function parseHttpUrl(url: string): HttpUrl {
  if (typeof url !== "string") throw new UrlError("must be a string");
  if (url.length === 0) throw new UrlError("must not be empty");
  if (url.length > MAX_URL_LENGTH) throw new UrlError(`is ${url.length} characters, at most ${MAX_URL_LENGTH} are accepted`);
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    // Control characters, spaces and non-ASCII would corrupt the request line (or smuggle a header): percent-encode them.
    if (c <= 0x20 || c >= 0x7f) throw new UrlError(`has a character that must be percent-encoded at ${i}`);
  }
  const schemeEnd = url.indexOf("://");
  const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd).toLowerCase() : "";
  if (scheme !== "http" && scheme !== "https") throw new UrlError(`must start with http:// or https://, got "${url.slice(0, 12)}"`);
  // A RegExp made per call, not a module-level one: the gateway module is preloaded, and the SDK's exec of a
  // preloaded RegExp gives its match state a malloc block that the garbage collector then treats as a chunk, so
  // a collection during the exec corrupts memory (a segmentation fault in the simulator; docs/ota.md, Memory).
  const match = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::(\d{1,5}))?([/?][^#]*)?$/.exec(scheme + url.slice(schemeEnd));
  if (match === null) {
    if (url.slice(schemeEnd + 3).split(/[/?#]/)[0].includes("@")) throw new UrlError("must not carry user credentials");
    if (url.includes("#")) throw new UrlError("must not have a fragment");
    throw new UrlError("has no valid host[:port]");
  }
  const tls = match[1] === "https";
  const rawHost = match[2];
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  const defaultPort = tls ? 443 : 80;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (!(port >= 1 && port <= 65535)) throw new UrlError(`port ${match[3]} is outside 1..65535`);
  const rest = match[4] ?? "";
  const target = rest.length === 0 ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
  const hostHeader = port === defaultPort ? rawHost : `${rawHost}:${port}`;
  return { tls, host, port, hostHeader, target };
}

/**
 * Resolve a redirect's Location against the URL it came from: an absolute http(s) URL, a scheme-relative
 * "//host/path", or an absolute path "/path". Relative paths without a leading slash are refused (no server we
 * download from sends them, and resolving them correctly needs dot-segment rules).
 */
export function resolveLocation(base: HttpUrl, location: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  const origin = `${base.tls ? "https" : "http"}://`;
  if (location.startsWith("//")) return `${base.tls ? "https" : "http"}:${location}`;
  if (location.startsWith("/")) return `${origin}${base.hostHeader}${location}`;
  throw new UrlError(`redirect Location "${location.slice(0, 60)}" is not an absolute URL or path`);
}
