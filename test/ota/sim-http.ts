/**
 * An HTTP/1.1 range server on the simulated network (SimNetwork), for deterministic OTA runs on Node and in XS:
 * it answers `GET path` with 206 for `Range: bytes=a-b`, keeps connections alive, and can break a connection after
 * a number of body bytes. No Node APIs: this file is bundled into the XS test entry.
 */
import type { SimConnection, SimNetwork } from "../../hal/sim/tcp";

interface Served {
  body: Uint8Array;
  /** Reset the connection after this many body bytes of the next `dropTimes` responses. */
  dropAfter: number;
  dropTimes: number;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export class SimHttpServer {
  readonly files = new Map<string, Served>();
  readonly requests: string[] = [];
  private readonly pending = new Map<SimConnection, string>();

  constructor(network: SimNetwork, host: string, port: number) {
    network.listen(host, port, () => ({
      onData: (connection, bytes) => this.onData(connection, bytes),
      onClose: (connection) => {
        this.pending.delete(connection);
      },
    }));
  }

  serve(path: string, body: Uint8Array, dropAfter = -1, dropTimes = 0): void {
    this.files.set(path, { body, dropAfter, dropTimes });
  }

  private onData(connection: SimConnection, bytes: Uint8Array): void {
    let text = (this.pending.get(connection) ?? "") + String.fromCharCode(...bytes);
    for (;;) {
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) break;
      this.respond(connection, text.slice(0, end));
      text = text.slice(end + 4);
    }
    this.pending.set(connection, text);
  }

  private respond(connection: SimConnection, head: string): void {
    const lines = head.split("\r\n");
    const path = lines[0].split(" ")[1];
    const rangeLine = lines.find((line) => line.toLowerCase().startsWith("range:")) ?? "";
    this.requests.push(`${path} ${rangeLine.slice(6).trim()}`);
    const file = this.files.get(path);
    if (!file) {
      connection.send(ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
      return;
    }
    const size = file.body.length;
    const match = /bytes=(\d+)-(\d*)/.exec(rangeLine);
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] !== "" ? Math.min(Number(match[2]), size - 1) : size - 1;
    if (start >= size) {
      connection.send(ascii(`HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */${size}\r\nContent-Length: 0\r\n\r\n`));
      return;
    }
    connection.send(ascii(`HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${end}/${size}\r\nContent-Length: ${end - start + 1}\r\n\r\n`));
    const body = file.body.subarray(start, end + 1);
    if (file.dropTimes > 0 && file.dropAfter >= 0 && file.dropAfter < body.length) {
      file.dropTimes--;
      connection.send(body.subarray(0, file.dropAfter));
      connection.reset();
      return;
    }
    connection.send(body);
  }
}
