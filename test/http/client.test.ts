import test from "ava";
import { makeCertificate } from "../helpers/certificate";
import { NodeClock } from "../../hal/node/clock";
import { NodeTcpConnector } from "../../hal/node/tcp";
import type { TcpConnector } from "../../hal/types";
import { HttpClient, type HttpDownloadSink } from "../../src/http/client";
import { HttpError, HTTP_ERROR_NAMES } from "../../src/http/errors";
import { startRangeServer } from "./range-server";

const clock = new NodeClock();

interface Outcome {
  first: number;
  total: number;
  bytes: number[];
  error: HttpError;
  detail: string;
}

/** Run one request to its end, polling every 2 ms with `budget` bytes per poll. */
function fetchRange(client: HttpClient, url: string, start: number, end: number, budget = 4096, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const out: Outcome = { first: -1, total: -2, bytes: [], error: HttpError.None, detail: "" };
    let finished = false;
    const sink: HttpDownloadSink = {
      onStart(first, total) {
        out.first = first;
        out.total = total;
      },
      onData(data, offset, length) {
        for (let i = 0; i < length; i++) out.bytes.push(data[offset + i]);
      },
      onComplete() {
        finished = true;
      },
      onError(error, detail) {
        out.error = error;
        out.detail = detail;
        finished = true;
      },
    };
    const started = client.get(url, start, end, sink, clock.monotonicMs());
    if (started !== HttpError.None) {
      out.error = started;
      resolve(out);
      return;
    }
    const deadline = clock.monotonicMs() + timeoutMs;
    const timer = setInterval(() => {
      client.poll(clock.monotonicMs(), budget);
      if (finished) {
        clearInterval(timer);
        resolve(out);
      } else if (clock.monotonicMs() > deadline) {
        clearInterval(timer);
        reject(new Error("request did not finish"));
      }
    }, 2);
  });
}

const image = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);

test("ranged GETs over one kept-alive connection return exactly the bytes asked for", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/fw.bin", { body: image });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp, { receiveBufferBytes: 512 });
  const windows: [number, number][] = [
    [0, 9_999],
    [10_000, 29_999],
    [30_000, 49_999],
  ];
  for (const [start, end] of windows) {
    const out = await fetchRange(client, `${server.base}/fw.bin`, start, end, 3000);
    t.is(out.error, HttpError.None, out.detail);
    t.is(out.first, start);
    t.is(out.total, image.length);
    t.deepEqual(out.bytes, Array.from(image.subarray(start, end + 1)));
  }
  t.is(server.connections, 1, "the connection was reused");
  t.is(client.stats.reused, 2);
  t.deepEqual(
    server.requests.map((r) => r.range),
    ["bytes=0-9999", "bytes=10000-29999", "bytes=30000-49999"],
  );
  client.close();
  tcp.close();
});

test("chunked bodies, open-ended ranges, a server that ignores Range (200) and Connection: close", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/chunked", { body: image, chunked: true, chunkBytes: 777 });
  server.files.set("/full", { body: image, ignoreRange: true, close: true });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp);
  const chunked = await fetchRange(client, `${server.base}/chunked`, 40_000, -1);
  t.is(chunked.error, HttpError.None, chunked.detail);
  t.deepEqual(chunked.bytes, Array.from(image.subarray(40_000)));
  const full = await fetchRange(client, `${server.base}/full`, 1000, 1999);
  t.is(full.error, HttpError.None);
  t.is(full.first, 0, "a 200 body starts at byte 0: the owner skips what it has");
  t.is(full.bytes.length, image.length);
  t.false(client.connectionOpen, "Connection: close was honoured");
  tcp.close();
});

test("status handling: 416, 404, redirects followed and bounded", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/fw.bin", { body: image });
  server.files.set("/r1", { body: image, redirectTo: "/r2" });
  server.files.set("/r2", { body: image, redirectTo: `${server.base}/fw.bin` });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp, { maxRedirects: 2 });
  const past = await fetchRange(client, `${server.base}/fw.bin`, 60_000, 70_000);
  t.is(past.error, HttpError.RangeNotSatisfiable);
  t.is(client.lastTotal, image.length);
  const missing = await fetchRange(client, `${server.base}/nope`, 0, 10);
  t.is(missing.error, HttpError.Status);
  t.is(missing.detail, "HTTP status 404");
  const redirected = await fetchRange(client, `${server.base}/r1`, 5, 9);
  t.is(redirected.error, HttpError.None, redirected.detail);
  t.deepEqual(redirected.bytes, Array.from(image.subarray(5, 10)));
  t.is(client.stats.redirects, 2);
  const again = await fetchRange(client, `${server.base}/r1`, 10, 19);
  t.deepEqual(again.bytes, Array.from(image.subarray(10, 20)));
  t.is(client.stats.redirects, 2, "the end of the redirect chain is reused for the next range");

  const strict = new HttpClient(tcp, { maxRedirects: 1 });
  const tooMany = await fetchRange(strict, `${server.base}/r1`, 0, 9);
  t.is(tooMany.error, HttpError.TooManyRedirects);
  const none = new HttpClient(tcp, { maxRedirects: 0 });
  t.is((await fetchRange(none, `${server.base}/r1`, 0, 9)).detail, "redirect (302) refused");
  t.is(client.get("ftp://x/y", 0, 1, { onStart() {}, onData() {}, onComplete() {}, onError() {} }, 0), HttpError.BadUrl);
  t.is(HTTP_ERROR_NAMES.length, Object.keys(HttpError).length);
  tcp.close();
});

test("a connection dropped mid-body is reported as truncated after the bytes that arrived", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/fw.bin", { body: image, dropAfterBytes: 12_345 });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp);
  const out = await fetchRange(client, `${server.base}/fw.bin`, 100, 40_000);
  t.is(out.error, HttpError.Truncated, `${HTTP_ERROR_NAMES[out.error]}: ${out.detail}`);
  t.deepEqual(out.bytes, Array.from(image.subarray(100, 100 + 12_345)));
  const rest = await fetchRange(client, `${server.base}/fw.bin`, 100 + 12_345, 40_000);
  t.is(rest.error, HttpError.None);
  t.deepEqual(rest.bytes, Array.from(image.subarray(12_445, 40_001)));
  tcp.close();
});

test("timeouts come from the clock passed to poll: connect and idle", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/silent", { body: image, silent: true });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp, { idleTimeoutMs: 150 });
  const silent = await fetchRange(client, `${server.base}/silent`, 0, 9);
  t.is(silent.error, HttpError.IdleTimeout);
  // A connect that never completes (a black-holed address): the client gives up at its own deadline.
  let closed = 0;
  const blackHole: TcpConnector = {
    connect: () => ({ read: () => 0, write: () => 0, close: () => void closed++ }),
  };
  const slow = new HttpClient(blackHole, { connectTimeoutMs: 100 });
  const out = await fetchRange(slow, "http://192.0.2.1/x", 0, 9);
  t.is(out.error, HttpError.ConnectTimeout);
  t.is(out.detail, "no connection after 100 ms");
  t.is(closed, 1, "the socket attempt was closed");
  tcp.close();
});

test("polling with a small budget paces the download: nothing is read beyond the budget", async (t) => {
  const server = await startRangeServer();
  t.teardown(() => server.close());
  server.files.set("/fw.bin", { body: image });
  const tcp = new NodeTcpConnector();
  const client = new HttpClient(tcp);
  let maxPerPoll = 0;
  const original = client.poll.bind(client);
  client.poll = (now, budget) => {
    const read = original(now, budget);
    if (read > maxPerPoll) maxPerPoll = read;
    return read;
  };
  const out = await fetchRange(client, `${server.base}/fw.bin`, 0, 49_999, 1000);
  t.deepEqual(out.bytes, Array.from(image));
  t.true(maxPerPoll <= 1000 && maxPerPoll > 0, `max per poll ${maxPerPoll}`);
  tcp.close();
});

test("https through tls: true: a trusted server is downloaded from, an untrusted one fails the connection", async (t) => {
  const { key, cert } = makeCertificate("ec");
  const server = await startRangeServer({ key: Buffer.from(key), cert: Buffer.from(cert) });
  t.teardown(() => server.close());
  server.files.set("/fw.bin", { body: image });
  t.true(server.base.startsWith("https://"));
  const trusted = new NodeTcpConnector({ tls: { ca: cert } });
  const client = new HttpClient(trusted);
  const out = await fetchRange(client, `${server.base}/fw.bin`, 1000, 20_999);
  t.is(out.error, HttpError.None, out.detail);
  t.deepEqual(out.bytes, Array.from(image.subarray(1000, 21_000)));
  server.files.set("/down", { body: image, redirectTo: "http://127.0.0.1:1/fw.bin" });
  const downgrade = await fetchRange(client, `${server.base}/down`, 0, 9);
  t.is(downgrade.error, HttpError.RedirectRefused);
  t.is(downgrade.detail, "redirect from https to http refused");
  trusted.close();
  const untrusted = new NodeTcpConnector();
  const refused = await fetchRange(new HttpClient(untrusted), `${server.base}/fw.bin`, 0, 9);
  t.is(refused.error, HttpError.Connection);
  t.regex(refused.detail, /self[- ]signed|certificate/i);
  untrusted.close();
});
