/**
 * The app in the SDK's simulator with a platform beside it: a local mosquitto (started here on a free port), the
 * build, the simulator run, and an MQTT.js client playing the platform that records everything the gateway
 * publishes. Used by the real-SDK end-to-end test (test/moddable/) and the memory measurement (bench/moddable/).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { bundle, configure, linkReport, make, type Creation, type LinkReport } from "./build";
import { SimRun, type SimStatus } from "./run-sim";
import { findSdk, hasCommand, simulatorPath, type Sdk } from "./sdk";

export const DEVICE_PREFIX = "v1/wudun/pk-demo/GW-0001/";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Mosquitto {
  url: string;
  stop(): void;
}

/** mosquitto on 127.0.0.1:<free port>, no persistence, anonymous. */
export async function startMosquitto(): Promise<Mosquitto> {
  const port = await freePort();
  const child: ChildProcess = spawn("mosquitto", ["-p", String(port)], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const up = await new Promise<boolean>((resolve) => {
      const probe = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
      probe.once("connect", () => {
        probe.end(true);
        resolve(true);
      });
      probe.once("error", () => {
        probe.end(true);
        resolve(false);
      });
    });
    if (up) return { url: `mqtt://127.0.0.1:${port}`, stop: () => child.kill() };
  }
  child.kill();
  throw new Error(`mosquitto did not start on port ${port}`);
}

export interface SimBuild {
  sdk: Sdk;
  soPath: string;
  creation: Creation;
  link: LinkReport;
}

/** Builds the app for the simulator with the broker and state directory baked into mc/config. */
export function buildForSimulator(options: {
  buildDir: string;
  stateDir: string;
  brokerUrl: string;
  creation: Creation;
  config?: Record<string, unknown>;
  /** Extra resources built into the app (paths without extension, e.g. a CA certificate's .der). */
  resources?: string[];
}): SimBuild {
  const sdk = findSdk();
  mkdirSync(options.stateDir, { recursive: true });
  bundle();
  const makeDir = configure(sdk, {
    platform: "lin",
    outDir: options.buildDir,
    debug: true,
    config: { ...options.config, simDir: `${options.stateDir}/`, mqtt: { ...(options.config?.mqtt as object | undefined), broker: options.brokerUrl } },
    creation: { chunk: options.creation.chunk, heap: options.creation.heap, stack: options.creation.stack },
    resources: options.resources,
  });
  const link = linkReport(make(sdk, makeDir, ["build"]));
  return { sdk, soPath: join(options.buildDir, "bin", "lin", "mc", "debug", "ess-gateway", "mc.so"), creation: options.creation, link };
}

export interface Received {
  topic: string;
  text: string;
  json: unknown;
  at: number;
}

/** The platform side: subscribed to everything under the device's prefix and the spec 004 /sys tree. */
export class Platform {
  readonly received: Received[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload) => {
      const text = payload.toString();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      this.received.push({ topic, text, json, at: Date.now() });
    });
  }

  static async connect(url: string): Promise<Platform> {
    const client = await mqtt.connectAsync(url, { clientId: `platform-${process.pid}-${Date.now()}`, protocolVersion: 4, reconnectPeriod: 0 });
    const platform = new Platform(client);
    await client.subscribeAsync([`${DEVICE_PREFIX}#`, "/sys/#"], { qos: 1 });
    return platform;
  }

  publish(topic: string, payload: string | Buffer): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** The first message (received at or after `since`) on a topic ending with `suffix` that `accept` takes. */
  async waitFor(suffix: string, timeoutMs: number, accept: (m: Received) => boolean = () => true, since = 0): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((m) => m.at >= since && m.topic.endsWith(suffix) && accept(m));
      if (found) return found;
      if (Date.now() > deadline) {
        const last = [...this.received].reverse().find((m) => m.topic.endsWith(suffix));
        throw new Error(`no accepted message on ...${suffix} within ${timeoutMs} ms (${last ? `last one: ${last.text.slice(0, 300)}` : `topics seen: ${[...new Set(this.received.map((m) => m.topic))].join(", ")}`})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** One simulator run with its log kept (and echoed when `echo`). */
/** `exceptions`: break on every exception thrown (caught ones too) and print where, then go on (debugging). */
export async function runSimulator(build: SimBuild, echo = false, exceptions = false): Promise<{ run: SimRun; log: string[]; breaks: string[] }> {
  const log: string[] = [];
  const breaks: string[] = [];
  const run = await SimRun.start(build.soPath, simulatorPath(build.sdk), build.creation, {
    onLog: (line) => {
      log.push(line);
      if (echo) console.log(line);
    },
    onBreak: (where, message, frames) => {
      breaks.push(`${where}: ${message} | ${frames.join(" < ")}`);
      if (exceptions) console.log(`  BREAK ${where}: ${message} | ${frames.join(" < ")}`);
    },
    breakOnExceptions: exceptions,
  });
  return { run, log, breaks };
}

/** What a real-SDK run needs on this machine, or why it cannot run (for a visible skip). */
export function simulatorUnavailable(): string | null {
  if (!process.env.MODDABLE) return "MODDABLE is not set (no Moddable SDK on this machine)";
  try {
    simulatorPath(findSdk());
  } catch (error) {
    return (error as Error).message;
  }
  for (const [command, pkg] of [
    ["xvfb-run", "xvfb"],
    ["mosquitto", "mosquitto"],
  ]) {
    if (!hasCommand(command)) return `${command} is not installed (apt-get install -y ${pkg})`;
  }
  return null;
}

export type { SimStatus };
