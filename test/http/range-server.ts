/**
 * A local HTTP server (node:http on 127.0.0.1) serving byte ranges, with the faults download tests need: ignore
 * Range (200 with everything), chunked bodies, connections dropped after N body bytes, redirects, wrong status,
 * silence. Test helper, not device code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface ServedFile {
  body: Uint8Array;
  /** Answer 200 with the whole body, whatever Range says. */
  ignoreRange?: boolean;
  /** Send the body with Transfer-Encoding: chunked (pieces of `chunkBytes`). */
  chunked?: boolean;
  chunkBytes?: number;
  /** Drop the connection after this many body bytes of the next `dropTimes` responses. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Answer with this status and no body. */
  status?: number;
  /** Redirect (302) to this location. */
  redirectTo?: string;
  /** Send "Connection: close" and close after each response. */
  close?: boolean;
  /** Accept the request and never answer. */
  silent?: boolean;
}

export interface RangeServer {
  port: number;
  base: string;
  files: Map<string, ServedFile>;
  /** Range header of every request, by path ("" when absent). */
  requests: { path: string; range: string }[];
  connections: number;
  close(): Promise<void>;
}

/** With `tls` (PEM key and certificate) the server speaks https and `base` is an https:// URL. */
export async function startRangeServer(tls?: { key: Buffer; cert: Buffer }): Promise<RangeServer> {
  const files = new Map<string, ServedFile>();
  const requests: { path: string; range: string }[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const path = request.url ?? "/";
    const range = typeof request.headers.range === "string" ? request.headers.range : "";
    requests.push({ path, range });
    const file = files.get(path);
    if (!file) {
      response.writeHead(404, { "Content-Length": 0 });
      response.end();
      return;
    }
    if (file.silent) return;
    if (file.redirectTo !== undefined) {
      response.writeHead(302, { Location: file.redirectTo, "Content-Length": 5 });
      response.end("moved");
      return;
    }
    if (file.status !== undefined) {
      response.writeHead(file.status, { "Content-Length": 0 });
      response.end();
      return;
    }
    const size = file.body.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const match = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (match && !file.ignoreRange) {
      start = Number(match[1]);
      end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
      if (start >= size) {
        response.writeHead(416, { "Content-Range": `bytes */${size}`, "Content-Length": 0 });
        response.end();
        return;
      }
      status = 206;
    }
    const slice = file.body.subarray(start, end + 1);
    const headers: Record<string, string | number> = {};
    if (status === 206) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    if (file.chunked) headers["Transfer-Encoding"] = "chunked";
    else headers["Content-Length"] = slice.length;
    if (file.close) headers.Connection = "close";
    response.writeHead(status, headers);
    const drop = file.dropAfterBytes !== undefined && (file.dropTimes ?? 1) > 0;
    if (drop) {
      file.dropTimes = (file.dropTimes ?? 1) - 1;
      const cut = Math.min(file.dropAfterBytes as number, slice.length);
      response.write(Buffer.from(slice.subarray(0, cut)), () => {
        // Let the bytes leave, then break the connection mid-body.
        setTimeout(() => request.socket.destroy(), 5);
      });
      return;
    }
    if (file.chunked) {
      const piece = file.chunkBytes ?? 1000;
      for (let at = 0; at < slice.length; at += piece) response.write(Buffer.from(slice.subarray(at, at + piece)));
      response.end();
    } else {
      response.end(Buffer.from(slice));
    }
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  server.keepAliveTimeout = 5000;
  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    files,
    requests,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
