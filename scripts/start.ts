/**
 * `npm start`: the firmware on the host. The unchanged core (src/app/firmware.ts) runs on the simulated HAL: a
 * simulated clock, flash, RS-485 bus and site (boards/host/site.json), with the platform link going to an embedded
 * MQTT broker (aedes on 127.0.0.1:1883, or a free port) or to `--broker URL`. Time runs at real speed, N times faster
 * (`--speed N`), or as fast as possible (`--speed max`, offline, then exit). `--scenario FILE` runs a control scenario
 * (scenarios/*.json) instead and reports its metrics.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FileFlashProvider } from "../hal/node/file-flash";
import { NodeTcpConnector } from "../hal/node/tcp";
import { createSimHal } from "../hal/sim/index";
import { prepareScenario, runScenario } from "../hal/sim/site/scenario";
import { SimSite, type SiteSpec } from "../hal/sim/site/site";
import type { FlashProvider } from "../hal/types";
import { bootFirmware } from "../src/app/firmware";
import { formatStatusLine } from "../src/app/status";
import { resolveConfig } from "../src/config/gateway-config";
import { parseBrokerUrl } from "../src/mqtt/config";
import { startEmbeddedBroker, type EmbeddedBroker } from "./host/embedded-broker";
import { RoutingTcpConnector } from "./host/routing-tcp";

const USAGE =
  "usage: npm start -- [--duration SECONDS] [--speed max|N] [--config FILE] [--flash FILE] [--broker mqtt[s]://HOST:PORT [--ca PEM]]\n" +
  "                    [--site FILE] [--seed N] [--quiet] | --scenario FILE [--speed max|N] [--json]";

function usage(problem: string): never {
  console.error(`npm start: ${problem}`);
  console.error(USAGE);
  process.exit(2);
}

function readJson(path: string | URL, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    usage(`cannot read ${what} ${String(path)}: ${(error as Error).message}`);
  }
}

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    speed: { type: "string", default: "1" },
    config: { type: "string" },
    flash: { type: "string" },
    broker: { type: "string" },
    ca: { type: "string" },
    site: { type: "string" },
    scenario: { type: "string" },
    json: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    quiet: { type: "boolean", default: false },
  },
  strict: true,
});

const durationS = values.duration === undefined ? Infinity : Number(values.duration);
if (!(durationS > 0)) usage(`--duration must be a positive number of seconds, got "${values.duration}"`);
const maxSpeed = values.speed === "max";
const speed = maxSpeed ? Infinity : Number(values.speed);
if (!(speed > 0)) usage(`--speed must be "max" or a positive factor, got "${values.speed}"`);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) usage(`--seed must be an integer, got "${values.seed}"`);

/** Drive `advance(ms)` at `speed` x real time (or all at once), then call `done`. */
function pace(totalMs: number, advance: (toMs: number) => void, onSecond: (nowMs: number) => void, done: () => void): void {
  if (maxSpeed) {
    for (let at = 0; at < totalMs; ) {
      at = Math.min(totalMs, at + 60_000);
      advance(at);
      onSecond(at);
    }
    done();
    return;
  }
  const started = performance.now();
  let lastShown = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(pump);
    done();
  };
  const pump = setInterval(() => {
    const now = Math.min(totalMs, Math.floor((performance.now() - started) * speed));
    advance(now);
    if (now - lastShown >= 1000 * Math.max(1, speed) || now >= totalMs) {
      lastShown = now;
      onSecond(now);
    }
    if (now >= totalMs) finish();
  }, 20);
  process.once("SIGINT", finish);
}

const live = process.stdout.isTTY && !maxSpeed;
function show(line: string): void {
  if (values.quiet) return;
  if (live) process.stdout.write(`\r${line}\x1b[K`);
  else console.log(line);
}

if (values.scenario) {
  // A control scenario: its own site, strategies and faults; the metrics are measured on the simulated physics.
  const text = readFileSync(values.scenario, "utf8");
  const options = { durationS: Number.isFinite(durationS) ? durationS : undefined, echo: values.quiet || values.json ? undefined : (line: string) => console.log(line) };
  if (maxSpeed) {
    const metrics = runScenario(text, options);
    console.log(values.json ? JSON.stringify(metrics) : JSON.stringify(metrics, null, 2));
    process.exit(0);
  }
  const run = prepareScenario(text, options);
  pace(
    run.durationMs,
    (toMs) => run.advance(toMs - run.elapsedMs),
    (nowMs) => show(`scenario ${Math.round(nowMs / 1000)}s / ${run.durationMs / 1000}s`),
    () => {
      if (live) process.stdout.write("\n");
      const metrics = run.finish();
      console.log(values.json ? JSON.stringify(metrics) : JSON.stringify(metrics, null, 2));
      process.exit(0);
    },
  );
} else {
  await runFirmware();
}

async function runFirmware(): Promise<void> {
  if (maxSpeed && durationS === Infinity) usage("--speed max needs --duration (simulated time would never end)");
  const hostBoard = new URL("../boards/host/config.json", import.meta.url);
  const board = (existsSync(hostBoard) ? readJson(hostBoard, "board config") : {}) as {
    config?: unknown;
    partitions?: Record<string, { sectorCount: number; sectorSize?: number }>;
  };
  const config = resolveConfig(board.config, values.config ? readJson(values.config, "--config") : undefined);
  const partitions = board.partitions ?? { [config.store.partition]: { sectorCount: 16 } };
  const flash: FlashProvider | undefined = values.flash
    ? new FileFlashProvider({ [config.store.partition]: { ...partitions[config.store.partition], file: values.flash } })
    : undefined;

  // The simulated device and site. The wall clock starts at the host's time (synced), as SNTP would set it.
  const sim = createSimHal({ seed, partitions, flash, wallStartMs: Date.now(), echo: values.quiet ? undefined : (line) => console.log(line) });
  sim.system.memory = () => ({ heapUsedBytes: process.memoryUsage().heapUsed, heapFreeBytes: null });
  const siteSpec = readJson(values.site ?? new URL("../boards/host/site.json", import.meta.url), "site") as SiteSpec;
  const site = new SimSite(siteSpec, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });

  // The platform link: real sockets to the broker, unless the run is at max speed (then it stays offline).
  let broker: EmbeddedBroker | null = null;
  let brokerUrl = values.broker ?? "";
  if (!maxSpeed && !brokerUrl) {
    broker = await startEmbeddedBroker(1883);
    brokerUrl = broker.url;
    console.log(`embedded MQTT broker (aedes) at ${brokerUrl}`);
  }
  let hal = sim;
  if (brokerUrl) {
    const endpoint = parseBrokerUrl(brokerUrl);
    // mqtts:// checks the broker's certificate against the system CAs, or against --ca (a private CA).
    const real = new NodeTcpConnector(values.ca ? { tls: { ca: readFileSync(values.ca, "utf8") } } : {});
    hal = { ...sim, tcp: new RoutingTcpConnector(real, sim.network, { host: endpoint.host, port: endpoint.port }) };
  } else {
    console.log("--speed max: the platform link stays offline (simulated time cannot drive a real broker)");
  }
  const firmware = bootFirmware(hal, config, brokerUrl ? { mqtt: { broker: brokerUrl } } : {});

  // Watch the site the way a grid operator would: time spent exporting while a strategy is in force.
  const EXPORT_TOLERANCE_W = 500;
  let exportMsUnderStrategy = 0;
  const watch = sim.loop.createTimer(() => {
    if (firmware.overdemand.handler.strategies.length > 0 && site.gridW < -EXPORT_TOLERANCE_W) exportMsUnderStrategy += 100;
  });
  watch.start(100, 100);
  const siteSummary = () => {
    const battery = site.batteries[0];
    return {
      gridW: Math.round(site.gridW),
      importKwh: Number((site.importWh / 1000).toFixed(3)),
      exportKwh: Number((site.exportWh / 1000).toFixed(3)),
      exportSecondsUnderStrategy: exportMsUnderStrategy / 1000,
      essW: battery ? Math.round(battery.model.actualW) : null,
      socPct: battery ? Number(battery.model.socPct.toFixed(2)) : null,
      strategies: firmware.overdemand.handler.strategies.length,
    };
  };
  const statusLine = () => {
    const mqtt = firmware.link.session.status();
    const battery = site.batteries[0];
    return (
      `${formatStatusLine(firmware.gateway.status())} | mqtt ${mqtt.state} | grid ${(site.gridW / 1000).toFixed(1)} kW` +
      (battery ? ` ess ${(battery.model.actualW / 1000).toFixed(1)} kW soc ${battery.model.socPct.toFixed(1)}%` : "") +
      ` | strategies ${firmware.overdemand.handler.strategies.length}`
    );
  };
  pace(
    durationS * 1000,
    (toMs) => sim.loop.runUntil(toMs),
    () => show(statusLine()),
    () => {
      if (live) process.stdout.write("\n");
      firmware.link.session.stop();
      console.log(JSON.stringify({ ...firmware.gateway.status(), mqtt: firmware.link.session.status().state, site: siteSummary() }));
      const close = broker ? broker.close() : Promise.resolve();
      void close.finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 500).unref();
    },
  );
}
