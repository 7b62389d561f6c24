import test from "ava";
import { HttpError } from "../../src/http/errors";
import { HttpResponseParser, type HttpParserSink } from "../../src/http/response-parser";
import { SeededRandom } from "../../hal/sim/random";

const encoder = new TextEncoder();

interface Collected {
  heads: { status: number; contentLength: number; chunked: boolean; keepAlive: boolean; range: [number, number, number]; location: string | null }[];
  body: number[];
  ended: number;
}

function collector(stopAtHead = false): { sink: HttpParserSink; out: Collected } {
  const out: Collected = { heads: [], body: [], ended: 0 };
  const sink: HttpParserSink = {
    onHead(p) {
      out.heads.push({
        status: p.status,
        contentLength: p.contentLength,
        chunked: p.chunked,
        keepAlive: p.keepAlive,
        range: [p.rangeStart, p.rangeEnd, p.rangeTotal],
        location: p.location(),
      });
      return !stopAtHead;
    },
    onBody(data, offset, length) {
      for (let i = 0; i < length; i++) out.body.push(data[offset + i]);
    },
    onEnd() {
      out.ended++;
    },
  };
  return { sink, out };
}

/** Feed `bytes` in pieces cut at random points (seeded), as a TCP stream would deliver them. */
function feedSplit(parser: HttpResponseParser, bytes: Uint8Array, sink: HttpParserSink, seed: number): number {
  const random = new SeededRandom(seed);
  let at = 0;
  let consumed = 0;
  while (at < bytes.length) {
    const size = 1 + random.nextInt(Math.min(40, bytes.length - at));
    // Copy into a scratch buffer at an offset, so offsets are exercised too.
    const scratch = new Uint8Array(size + 7);
    scratch.set(bytes.subarray(at, at + size), 7);
    const used = parser.feed(scratch, 7, size, sink);
    consumed += used;
    at += size;
    if (used < size) break;
  }
  return consumed;
}

const body = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);

function chunked(data: Uint8Array, sizes: number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(encoder.encode(`${size.toString(16)};ext=1\r\n`));
    parts.push(data.subarray(at, at + size));
    parts.push(encoder.encode("\r\n"));
    at += size;
  }
  parts.push(encoder.encode("0\r\nX-Trailer: 1\r\n\r\n"));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test("206 with Content-Length: head fields and the exact body, at every split", (t) => {
  const head = encoder.encode("HTTP/1.1 206 Partial Content\r\ncontent-RANGE: bytes 100-399/5000\r\nContent-Length: 300\r\nX-Other:  v \r\n\r\n");
  const response = concat(head, body, encoder.encode("garbage after"));
  for (let seed = 1; seed <= 40; seed++) {
    const parser = new HttpResponseParser();
    const { sink, out } = collector();
    const used = feedSplit(parser, response, sink, seed);
    t.is(used, head.length + body.length, "bytes after the body are not consumed");
    t.deepEqual(out.heads, [{ status: 206, contentLength: 300, chunked: false, keepAlive: true, range: [100, 399, 5000], location: null }]);
    t.deepEqual(out.body, Array.from(body));
    t.is(out.ended, 1);
    t.true(parser.done);
  }
});

test("chunked body with extensions and trailers; interim 100 skipped; bare LF line ends", (t) => {
  const head = encoder.encode("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 5\n\n");
  const response = concat(head, chunked(body, [1, 100, 17, 182]));
  for (let seed = 1; seed <= 40; seed++) {
    const parser = new HttpResponseParser();
    const { sink, out } = collector();
    feedSplit(parser, response, sink, seed);
    t.is(out.heads.length, 1);
    t.is(out.heads[0].status, 200);
    t.true(out.heads[0].chunked);
    t.is(out.heads[0].contentLength, -1, "Transfer-Encoding overrides Content-Length");
    t.deepEqual(out.body, Array.from(body));
    t.is(out.ended, 1);
  }
});

test("a body without framing ends at the close; a framed one closed early is truncated", (t) => {
  const parser = new HttpResponseParser();
  const { sink, out } = collector();
  parser.feed(encoder.encode("HTTP/1.1 200 OK\r\n\r\nabc"), 0, 22, sink);
  t.false(out.heads[0].keepAlive);
  t.is(out.ended, 0);
  parser.finish(sink);
  t.is(out.ended, 1);
  t.deepEqual(out.body, [97, 98, 99]);

  const short = new HttpResponseParser();
  const c2 = collector();
  short.feed(encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), 0, 41, c2.sink);
  short.finish(c2.sink);
  t.true(short.failed);
  t.is(short.error, HttpError.Truncated);
  t.is(c2.out.ended, 0);

  const chunkedShort = new HttpResponseParser();
  const c3 = collector();
  const bytes = concat(encoder.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), chunked(body, [300]).subarray(0, 50));
  chunkedShort.feed(bytes, 0, bytes.length, c3.sink);
  chunkedShort.finish(c3.sink);
  t.is(chunkedShort.error, HttpError.Truncated);
});

test("Connection: close, HTTP/1.0, redirects with Location, 416 with */total, 204", (t) => {
  const cases: [string, Partial<Collected["heads"][0]>][] = [
    ["HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", { keepAlive: false, status: 200 }],
    ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", { keepAlive: false }],
    ["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", { keepAlive: true }],
    ["HTTP/1.1 302 Found\r\nLocation: https://cdn.example.com/a?b=c\r\nContent-Length: 0\r\n\r\n", { status: 302, location: "https://cdn.example.com/a?b=c" }],
    ["HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */1234\r\nContent-Length: 0\r\n\r\n", { status: 416, range: [-1, -1, 1234] }],
    ["HTTP/1.1 204 No Content\r\n\r\n", { status: 204, contentLength: -1 }],
  ];
  for (const [text, expected] of cases) {
    const parser = new HttpResponseParser();
    const { sink, out } = collector();
    const bytes = encoder.encode(text);
    t.is(parser.feed(bytes, 0, bytes.length, sink), bytes.length, text);
    t.like(out.heads[0], expected, text);
    t.is(out.ended, 1, text);
  }
});

test("malformed responses fail with a reason and stop consuming", (t) => {
  const cases: [string, HttpError][] = [
    ["HTTP/2 200 OK\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 2000 OK\r\n\r\n", HttpError.Malformed],
    ["ICY 200 OK\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HttpError.Unsupported],
    ["HTTP/1.1 206 OK\r\nContent-Range: bytes 9-3/100\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 206 OK\r\nContent-Range: bytes 0-100/100\r\n\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", HttpError.Malformed],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n", HttpError.Malformed],
  ];
  for (const [text, error] of cases) {
    const parser = new HttpResponseParser();
    const { sink } = collector();
    const bytes = encoder.encode(text + "more bytes");
    const used = parser.feed(bytes, 0, bytes.length, sink);
    t.true(parser.failed, text);
    t.is(parser.error, error, text);
    t.true(parser.errorDetail.length > 0);
    t.true(used < bytes.length, text);
  }
});

test("head limits: a line longer than the line buffer and a head larger than maxHeadBytes", (t) => {
  const parser = new HttpResponseParser({ maxLineBytes: 64, maxHeadBytes: 4096 });
  const { sink } = collector();
  const long = encoder.encode(`HTTP/1.1 200 OK\r\nX-Long: ${"a".repeat(100)}\r\n\r\n`);
  parser.feed(long, 0, long.length, sink);
  t.is(parser.error, HttpError.HeadTooLarge);

  const many = new HttpResponseParser({ maxHeadBytes: 200 });
  const lines = "HTTP/1.1 200 OK\r\n" + "X-A: 0123456789\r\n".repeat(20) + "\r\n";
  const bytes = encoder.encode(lines);
  many.feed(bytes, 0, bytes.length, sink);
  t.is(many.error, HttpError.HeadTooLarge);
});

test("onHead returning false stops at the end of the head", (t) => {
  const parser = new HttpResponseParser();
  const { sink, out } = collector(true);
  const head = "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 3\r\n\r\n";
  const bytes = encoder.encode(head + "abc");
  t.is(parser.feed(bytes, 0, bytes.length, sink), head.length);
  t.true(parser.done);
  t.deepEqual(out.body, []);
  t.is(out.ended, 0);
});
