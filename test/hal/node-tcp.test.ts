import test from "ava";
import { makeCertificate } from "../helpers/certificate";
import { createServer, type AddressInfo, type Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { NodeTcpConnector } from "../../hal/node/tcp";
import type { TcpHandlers, TcpSocket } from "../../hal/types";

/** Records every callback so a test can wait for the one it expects. */
class Recorder implements TcpHandlers {
  events: string[] = [];
  errors: string[] = [];
  received: number[] = [];
  socket: TcpSocket | null = null;
  private waiters: Array<() => void> = [];
  constructor(private readonly readSize = 64) {}
  onConnect(): void {
    this.push("connect");
  }
  onReadable(): void {
    const buffer = new Uint8Array(this.readSize);
    for (;;) {
      const count = this.socket!.read(buffer, 0, buffer.length);
      if (count === 0) break;
      for (let i = 0; i < count; i++) this.received.push(buffer[i]);
    }
    this.push("readable");
  }
  onWritable(): void {
    this.push("writable");
  }
  onClose(): void {
    this.push("close");
  }
  onError(message: string): void {
    this.errors.push(message);
    this.push("error");
  }
  until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; events: ${this.events.join(",")}`)), timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }
  private push(event: string): void {
    this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function echoServer(): Server {
  return createServer((socket) => socket.pipe(socket));
}

test("plain TCP: connect, write, read the echo back, close", async (t) => {
  const server = echoServer();
  const port = await listen(server);
  const connector = new NodeTcpConnector();
  const rec = new Recorder(7);
  rec.socket = connector.connect({ host: "127.0.0.1", port }, rec);
  t.is(rec.socket.write(new Uint8Array([1]), 0, 1), 0, "nothing is accepted before the connection is up");
  await rec.until(() => rec.events.includes("connect"), "connect");
  const payload = new Uint8Array(100);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  t.is(rec.socket.write(payload, 10, 50), 50);
  payload.fill(0); // write copied the bytes: reusing the buffer must not change what is sent
  await rec.until(() => rec.received.length === 50, "echo");
  t.deepEqual(rec.received, Array.from({ length: 50 }, (_, i) => ((i + 10) * 7) & 0xff));
  t.is(connector.openCount, 1);
  rec.socket.close();
  t.is(connector.openCount, 0);
  t.is(rec.socket.write(payload, 0, 1), 0, "nothing is accepted after close");
  await new Promise((resolve) => server.close(resolve));
  t.false(rec.events.includes("close"), "no callback after the local close");
  t.deepEqual(rec.errors, []);
});

test("plain TCP: a peer close is reported with onClose alone", async (t) => {
  const server = createServer((socket) => socket.end(Buffer.from("bye")));
  const port = await listen(server);
  const rec = new Recorder();
  rec.socket = new NodeTcpConnector().connect({ host: "127.0.0.1", port }, rec);
  await rec.until(() => rec.events.includes("close"), "close");
  t.is(String.fromCharCode(...rec.received), "bye");
  t.deepEqual(rec.errors, []);
  t.is(rec.events.indexOf("connect"), 0);
  server.close();
});

test("plain TCP: a refused port gives onError then onClose", async (t) => {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  const rec = new Recorder();
  rec.socket = new NodeTcpConnector().connect({ host: "127.0.0.1", port }, rec);
  await rec.until(() => rec.events.includes("close"), "close");
  t.deepEqual(rec.events, ["error", "close"]);
  t.is(rec.errors[0], `connection refused by 127.0.0.1:${port}`);
});

test("plain TCP: bad connect options are refused with a message naming the field", (t) => {
  const connector = new NodeTcpConnector();
  const rec = new Recorder();
  t.throws(() => connector.connect({ host: "", port: 1883 }, rec), { message: /host/ });
  t.throws(() => connector.connect({ host: "127.0.0.1", port: 70000 }, rec), { message: /port must be 1\.\.65535, got 70000/ });
  t.is(connector.stats.connects, 0);
});

test("plain TCP: a full send buffer accepts part of a write, onWritable follows", async (t) => {
  // The server reads nothing at first, so the kernel buffers fill and Node's queue grows past the send limit.
  let serverSide: import("node:net").Socket | null = null;
  const server = createServer((socket) => {
    serverSide = socket;
    socket.pause();
  });
  const port = await listen(server);
  const connector = new NodeTcpConnector({ sendLimitBytes: 4096 });
  const rec = new Recorder();
  rec.socket = connector.connect({ host: "127.0.0.1", port }, rec);
  await rec.until(() => rec.events.includes("connect"), "connect");
  const block = new Uint8Array(4096);
  let total = 0;
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    accepted = rec.socket.write(block, 0, block.length);
    total += accepted;
    if (accepted < block.length) break;
  }
  t.true(accepted < block.length, "a write was eventually cut short");
  t.is(connector.stats.shortWrites, 1);
  let drained = 0;
  serverSide!.on("data", (chunk: Buffer) => {
    drained += chunk.length;
  });
  serverSide!.resume();
  await rec.until(() => rec.events.includes("writable"), "writable");
  for (let i = 0; i < 500 && drained < total; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(drained, total, "every accepted byte arrived, none of the refused ones");
  rec.socket.close();
  server.close();
});

test("plain TCP: a full receive queue pauses the socket and loses nothing", async (t) => {
  const size = 256 * 1024;
  const server = createServer((socket) => {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = i & 0xff;
    socket.end(data);
  });
  const port = await listen(server);
  const connector = new NodeTcpConnector({ receiveLimitBytes: 16 * 1024 });
  // A lazy reader: it takes nothing on the first notifications, so the queue fills up.
  let lazy = 3;
  const received: number[] = [];
  let closed = false;
  const buffer = new Uint8Array(1000);
  let socket: TcpSocket;
  await new Promise<void>((resolve, reject) => {
    socket = connector.connect(
      { host: "127.0.0.1", port },
      {
        onConnect() {},
        onReadable() {
          if (lazy-- > 0) {
            setTimeout(() => this.onReadable(0), 20);
            return;
          }
          let count;
          while ((count = socket.read(buffer, 0, buffer.length)) > 0) for (let i = 0; i < count; i++) received.push(buffer[i]);
          if (closed) resolve();
        },
        onClose() {
          closed = true;
          let count;
          while ((count = socket.read(buffer, 0, buffer.length)) > 0) for (let i = 0; i < count; i++) received.push(buffer[i]);
          resolve();
        },
        onError: (message) => reject(new Error(message)),
      },
    );
  });
  t.is(received.length, size);
  t.true(received.every((value, i) => value === (i & 0xff)));
  t.true(connector.stats.receivePauses >= 1, `receive pauses counted: ${connector.stats.receivePauses}`);
  server.close();
});

test("TLS: connect to a self-signed server made with openssl, echo, and reject an untrusted certificate", async (t) => {
  const { key, cert } = makeCertificate("ec");
  const server = createTlsServer({ key, cert }, (socket) => socket.pipe(socket));
  const port = await listen(server as unknown as Server);

  const trusted = new NodeTcpConnector({ tls: { ca: cert } });
  const rec = new Recorder();
  rec.socket = trusted.connect({ host: "127.0.0.1", port, tls: true, serverName: "localhost" }, rec);
  await rec.until(() => rec.events.includes("connect"), "TLS connect");
  const hello = new TextEncoder().encode("hello over tls");
  t.is(rec.socket.write(hello, 0, hello.length), hello.length);
  await rec.until(() => rec.received.length === hello.length, "TLS echo");
  t.is(String.fromCharCode(...rec.received), "hello over tls");
  rec.socket.close();

  // Without the CA the certificate is untrusted: the handshake fails with onError then onClose.
  const untrusted = new NodeTcpConnector();
  const bad = new Recorder();
  bad.socket = untrusted.connect({ host: "127.0.0.1", port, tls: true, serverName: "localhost" }, bad);
  await bad.until(() => bad.events.includes("close"), "TLS refusal");
  t.deepEqual(bad.events, ["error", "close"]);
  t.regex(bad.errors[0], /self[- ]signed|certificate/i);
  server.close();
});
