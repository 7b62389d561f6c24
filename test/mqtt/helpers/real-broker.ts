/**
 * Real brokers for the session tests: aedes in process and mosquitto as a child process on a free loopback port,
 * both killable and restartable on the same port; and a TCP proxy between the session and the broker that records
 * the MQTT packets both ways (mqtt-packet parsers) and can go silent (half-open), cut, or inject bytes.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import mqttPacket from "mqtt-packet";

export interface BrokerHandle {
  readonly name: string;
  readonly port: number;
  /** The broker dies without goodbye (aedes: sockets destroyed; mosquitto: SIGKILL). */
  kill(): Promise<void>;
  /** Start again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(condition: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

export async function startAedes(port?: number): Promise<BrokerHandle> {
  const listenPort = port ?? (await freePort());
  let broker: Aedes | null = null;
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const up = async () => {
    broker = await Aedes.createBroker();
    const b = broker;
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      b.handle(socket);
    });
    await new Promise<void>((resolve) => server!.listen(listenPort, "127.0.0.1", resolve));
  };
  const down = async (graceful: boolean) => {
    const s = server;
    const b = broker;
    server = null;
    broker = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    if (b) await new Promise<void>((resolve) => b.close(() => resolve()));
    void graceful;
  };
  await up();
  return {
    name: "aedes",
    port: listenPort,
    kill: () => down(false),
    restart: up,
    close: () => down(true),
  };
}

export function mosquittoPath(): string | null {
  const found = spawnSync("which", ["mosquitto"], { encoding: "utf8" });
  return found.status === 0 && found.stdout.trim().length > 0 ? found.stdout.trim() : null;
}

export async function startMosquitto(port?: number): Promise<BrokerHandle> {
  const binary = mosquittoPath();
  if (!binary) throw new Error("mosquitto is not installed (apt-get install -y mosquitto)");
  const listenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
  const configPath = join(dir, "mosquitto.conf");
  writeFileSync(
    configPath,
    [`listener ${listenPort} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest none", "max_inflight_messages 20", "max_queued_messages 1000", ""].join("\n"),
  );
  let child: ChildProcess | null = null;
  const up = async () => {
    child = spawn(binary, ["-c", configPath], { stdio: ["ignore", "ignore", "pipe"] });
    await waitForPort(listenPort, 5000);
  };
  const down = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill(signal);
    });
  };
  await up();
  return {
    name: "mosquitto",
    port: listenPort,
    kill: () => down("SIGKILL"),
    restart: up,
    close: async () => {
      await down("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProxyRecord {
  /** "up": session -> broker, "down": broker -> session. */
  direction: "up" | "down";
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  packet: any;
  atMs: number;
}

/** A TCP relay in front of the broker that sees every packet. */
export class TcpProxy {
  readonly records: ProxyRecord[] = [];
  port = 0;
  /** While true, nothing is forwarded either way and TCP stays open: a half-open link. */
  silent = false;
  private server: Server | null = null;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }

  private accept(client: Socket): void {
    const upstream = netConnect({ host: "127.0.0.1", port: this.targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const upParser = mqttPacket.parser({ protocolVersion: 4 });
    const downParser = mqttPacket.parser({ protocolVersion: 4 });
    upParser.on("packet", (packet) => this.records.push({ direction: "up", packet, atMs: Date.now() }));
    downParser.on("packet", (packet) => this.records.push({ direction: "down", packet, atMs: Date.now() }));
    upParser.on("error", () => {});
    downParser.on("error", () => {});
    client.on("data", (chunk) => {
      if (this.silent) return;
      upParser.parse(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (this.silent) return;
      downParser.parse(chunk);
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    // While silent the broker may give up on the link first; the session must still see a live, mute TCP
    // connection (that is the half-open case), so the broker's close is not passed on then.
    const upstreamEnd = () => {
      if (this.silent) upstream.destroy();
      else end();
    };
    client.on("close", end);
    upstream.on("close", upstreamEnd);
    client.on("error", end);
    upstream.on("error", upstreamEnd);
  }

  /** Bytes to every connected session, as if from the broker. */
  inject(bytes: Uint8Array): void {
    for (const pair of this.pairs) pair.client.write(bytes);
  }

  get connections(): number {
    return this.pairs.size;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  packets(direction: "up" | "down", cmd: string): any[] {
    return this.records.filter((r) => r.direction === direction && r.packet.cmd === cmd).map((r) => r.packet);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
