/**
 * `npm start`: the firmware on the host. The unchanged core (src/app/firmware.ts) runs on the simulated HAL: a
 * simulated clock, flash, RS-485 bus and site (boards/host/site.json), with the platform link going to an embedded
 * MQTT broker (aedes on 127.0.0.1:1883, or a free port) or to `--broker URL`. Time runs at real speed, N times faster
 * (`--speed N`), or as fast as possible (`--speed max`, offline, then exit). `--scenario FILE` runs a control scenario
 * (sim/scenarios/*.json) instead and reports its metrics.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FileFlashProvider } from "../hal/node/file-flash";
import { NodeOtaSlots } from "../hal/node/ota";
import { NodeSerialPort } from "../hal/node/serial";
import { NodeTcpConnector } from "../hal/node/tcp";
import { createSimHal, simStamp } from "../hal/sim/index";
import { prepareReportedScenario } from "../sim/report/scenario-report";
import { renderReport } from "../sim/report/html";
import { RunRecorder } from "../sim/report/recorder";
import { sampleSite } from "../sim/report/site-sampler";
import { SimSite, type SiteSpec } from "../sim/site/site";
import { LogLevel, type FlashProvider, type Hal } from "../hal/types";
import { bootFirmware } from "../src/app/firmware";
import { resolveConfig } from "../src/config/gateway-config";
import { parseBrokerUrl } from "../src/mqtt/config";
import { startEmbeddedBroker, type EmbeddedBroker } from "./host/embedded-broker";
import { RoutingTcpConnector } from "./host/routing-tcp";

const USAGE = `usage: npm start -- [options]

The firmware on the host against the simulated site (boards/host/site.json), the platform link to an embedded MQTT
broker or to --broker. Ctrl-C or SIGTERM stops it and prints the final status line.

  --duration SECONDS   stop after this much simulated time (default: run until stopped)
  --speed max|N        N x real time, or "max": as fast as possible, offline, needs --duration (default 1)
  --config FILE        a gateway config layer (JSON) over boards/host/config.json
  --flash FILE         keep the store's flash in FILE across runs (default: in memory)
  --broker URL         mqtt://HOST:PORT or mqtts://HOST:PORT instead of the embedded broker
  --ca PEM             CA certificate for an mqtts:// broker with a private CA
  --site FILE          the simulated site (default boards/host/site.json)
  --seed N             seed of the simulation's randomness (default 1)
  --quiet              no log lines, no live status line
  --scenario FILE      run a control scenario (sim/scenarios/*.json) instead, and print its metrics
  --json               with --scenario: the metrics as one JSON line
  --report FILE        write a self-contained HTML report of the run (charts over time, events, goals)
  --linux-gateway      run as a Linux gateway: every connection real except to simulated devices, OTA slots as
                       files beside --flash (needed), a restart exits the process (status 75); real time only
  --serial TTY         with --linux-gateway: the RS-485 bus is this real tty (the simulated site then has no RTU
                       devices on it; its Modbus TCP devices stay simulated)
  -h, --help           this text`;

/** A user error: one line naming it, a pointer to --help, exit 2 (no stack trace). */
function usage(problem: string): never {
  console.error(`npm start: ${problem} (npm start -- --help for usage)`);
  process.exit(2);
}

function readText(path: string | URL, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    usage(`cannot read ${what} ${path instanceof URL ? path.pathname : path}${code === "ENOENT" ? ": no such file" : `: ${(error as Error).message}`}`);
  }
}

function readJson(path: string | URL, what: string): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    usage(`${what} ${path instanceof URL ? path.pathname : path} is not JSON: ${(error as Error).message}`);
  }
}

function parseCommandLine() {
  try {
    return parseArgs({
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
        report: { type: "string" },
        "linux-gateway": { type: "boolean", default: false },
        serial: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
  } catch (error) {
    // parseArgs names the option ("Unknown option '--x'", "Option '--speed <value>' argument missing").
    usage((error as Error).message.split("\n")[0].replace(/\. To specify a positional argument.*$/, ""));
  }
}

const { values } = parseCommandLine();
const linuxGateway = values["linux-gateway"] === true;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const durationS = values.duration === undefined ? Infinity : Number(values.duration);
if (!(durationS > 0)) usage(`--duration must be a positive number of seconds, got "${values.duration}"`);
const maxSpeed = values.speed === "max";
const speed = maxSpeed ? Infinity : Number(values.speed);
if (!(speed > 0)) usage(`--speed must be "max" or a positive factor, got "${values.speed}"`);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) usage(`--seed must be an integer, got "${values.seed}"`);

/** Write the HTML report, or say in one line why it cannot be written. */
function writeReport(path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (error) {
    console.error(`npm start: cannot write --report ${path}: ${(error as Error).message}`);
    process.exit(2);
  }
  console.log(`report: ${path} (${Math.round(html.length / 1024)} KiB, opens without a network)`);
}

/**
 * Run `fn`, turning what it throws for bad input (a config or scenario that does not validate: ConfigError, a
 * scenario's Error) into one usage line naming `what`.
 */
function userErrors<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    usage(`${what}: ${(error as Error).message}`);
  }
}

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
  // Ctrl-C and a service manager's SIGTERM both end the run the same way: the final status line, exit 0.
  process.once("SIGINT", finish);
  process.once("SIGTERM", finish);
}

const live = process.stdout.isTTY && !maxSpeed;
function show(line: string): void {
  if (values.quiet) return;
  if (live) process.stdout.write(`\r${line}\x1b[K`);
  else console.log(line);
}

if (values.scenario) {
  // A control scenario: its own site, strategies and faults; the metrics are measured on the simulated physics.
  const text = readText(values.scenario, "--scenario");
  const options = { durationS: Number.isFinite(durationS) ? durationS : undefined, echo: values.quiet || values.json ? undefined : (line: string) => console.log(line) };
  const reported = userErrors(`--scenario ${values.scenario}`, () => prepareReportedScenario(text, options));
  const run = reported.run;
  const end = () => {
    if (live) process.stdout.write("\n");
    const { metrics, html, goals } = reported.report();
    console.log(values.json ? JSON.stringify(metrics) : JSON.stringify(metrics, null, 2));
    if (!values.json) {
      // The verdict: each goal of the scenario, met or not (sim/report/goals.ts).
      for (const g of goals) console.log(`${g.pass ? "pass" : "FAIL"}  ${g.goal}: ${g.measured}`);
      console.log(`${goals.every((g) => g.pass) ? "PASS" : "FAIL"}: ${goals.filter((g) => g.pass).length} of ${goals.length} goals met`);
    }
    if (values.report) writeReport(values.report, html);
    process.exit(0);
  };
  if (maxSpeed) {
    userErrors(`--scenario ${values.scenario}`, () => run.advance(run.durationMs));
    end();
  }
  pace(
    run.durationMs,
    (toMs) => run.advance(toMs - run.elapsedMs),
    (nowMs) => show(`scenario ${Math.round(nowMs / 1000)}s / ${run.durationMs / 1000}s`),
    end,
  );
} else {
  await runFirmware();
}

/** The process status a Linux-gateway restart exits with (EX_TEMPFAIL: "try again"), for a service manager. */
const RESTART_STATUS = 75;

async function runFirmware(): Promise<void> {
  if (maxSpeed && durationS === Infinity) usage("--speed max needs --duration (simulated time would never end)");
  if (linuxGateway && !values.flash) usage("--linux-gateway needs --flash FILE (the store and, beside it, the OTA slots)");
  if (linuxGateway && speed !== 1) usage("--linux-gateway runs in real time: leave --speed at 1");
  if (values.serial && !linuxGateway) usage("--serial needs --linux-gateway");
  if (values.serial && !existsSync(values.serial)) usage(`--serial ${values.serial}: no such tty`);
  const hostBoard = new URL("../boards/host/config.json", import.meta.url);
  const board = (existsSync(hostBoard) ? readJson(hostBoard, "board config") : {}) as {
    config?: unknown;
    partitions?: Record<string, { sectorCount: number; sectorSize?: number }>;
  };
  const config = userErrors(values.config ? `--config ${values.config}` : "boards/host/config.json", () =>
    resolveConfig(board.config, values.config ? readJson(values.config, "--config") : undefined),
  );
  const partitions = board.partitions ?? { [config.store.partition]: { sectorCount: 16 } };
  const flash: FlashProvider | undefined = values.flash
    ? new FileFlashProvider({ [config.store.partition]: { ...partitions[config.store.partition], file: values.flash } })
    : undefined;

  // The simulated device and site. The wall clock starts at the host's time (synced), as SNTP would set it.
  // --speed max runs offline (below): it says so once, and the link's refused connects are counted
  // (mqtt_connect_failures in the final status) rather than echoed one by one.
  const echo = (line: string) => {
    if (maxSpeed && / mqtt: connection refused by /.test(line)) return;
    console.log(line);
  };
  const sim = createSimHal({ seed, partitions, flash, wallStartMs: Date.now(), echo: values.quiet ? undefined : echo });
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
  let hal: Hal = sim;
  if (brokerUrl) {
    const endpoint = parseBrokerUrl(brokerUrl);
    // mqtts:// checks the broker's certificate against the system CAs, or against --ca (a private CA).
    const real = new NodeTcpConnector(values.ca ? { tls: { ca: readFileSync(values.ca, "utf8") } } : {});
    hal = { ...sim, tcp: new RoutingTcpConnector(real, sim.network, { host: endpoint.host, port: endpoint.port }, linuxGateway) };
    if (linuxGateway) {
      // The Linux gateway: OTA slots as files beside the flash image (an interrupted download resumes from its last
      // checkpoint after a restart), and a restart ends the process, for the service manager to start it again.
      const otaDir = `${values.flash}.ota`;
      mkdirSync(otaDir, { recursive: true });
      const restart = (reason: string) => {
        console.log(`restart requested: ${reason}; exiting with status ${RESTART_STATUS} (a service manager starts the gateway again)`);
        process.exit(RESTART_STATUS);
      };
      hal = { ...hal, ota: new NodeOtaSlots({ dir: otaDir, restart }), system: { ...sim.system, restart } };
      if (values.serial) {
        // Every RS-485 port the firmware opens is the real tty (a USB RS-485 adapter, or a pty for a Modbus tool).
        const tty = values.serial;
        hal = { ...hal, openSerial: (serialConfig, handlers) => new NodeSerialPort({ ...serialConfig, port: tty }, handlers) };
        console.log(`RS-485 on ${tty} (real)`);
      }
      console.log(`Linux-gateway mode: real sockets to every host but the simulated site's devices, OTA slots in ${otaDir}`);
    }
  } else {
    console.log("--speed max: the platform link stays offline (simulated time cannot drive a real broker); its connect attempts are counted, not logged");
  }
  const firmware = bootFirmware(hal, config, brokerUrl ? { mqtt: { broker: brokerUrl } } : {});

  // --report: sample the site and the loop, and mark link, strategy, task and schedule events as they happen.
  const recorder = values.report ? new RunRecorder() : null;
  const charts = recorder ? sampleSite(sim.loop, site, firmware.control, recorder, { exportThresholdW: 0, sampleMs: Math.max(config.control.periodMs, 1000) }) : [];
  if (recorder) {
    const startMs = sim.loop.monotonicMs();
    let mqttState = "";
    let strategies = -1;
    let tasks = -1;
    let scheduleRuns = firmware.scheduler.runner.completed;
    const events = sim.loop.createTimer(() => {
      const tS = (sim.loop.monotonicMs() - startMs) / 1000;
      const state = firmware.link.session.status().state;
      if (state !== mqttState && (state === "connected" || mqttState === "connected")) recorder.mark(tS, "mqtt", state === "connected" ? "MQTT connected" : `MQTT offline (${state})`);
      mqttState = state;
      const s = firmware.overdemand.handler.strategies.length;
      if (s !== strategies && strategies >= 0) recorder.mark(tS, "strategy", `${s} strategies in force`);
      strategies = s;
      const t = firmware.store.tasks.size;
      if (t !== tasks && tasks >= 0) recorder.mark(tS, "task", `${t} scheduled tasks`);
      tasks = t;
      // A task run completed since the last look (the runner counts them): a schedule fire.
      const runs = firmware.scheduler.runner.completed;
      if (runs > scheduleRuns) recorder.mark(tS, "schedule", runs - scheduleRuns === 1 ? "a scheduled task ran" : `${runs - scheduleRuns} scheduled task runs`);
      scheduleRuns = runs;
    });
    events.start(250, 250);
    // Failed or dropped schedule runs say so in the log: marked with their message.
    const log = sim.simLog;
    const write = log.write.bind(log);
    log.write = (level, source, message) => {
      if (source === "schedule" && level <= LogLevel.Warn) recorder.mark((sim.loop.monotonicMs() - startMs) / 1000, "schedule", message.slice(0, 120));
      write(level, source, message);
    };
  }

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
  // One line that fits 80 columns: simulated time, link, grid, battery, strategies, overruns.
  const statusLine = () => {
    const status = firmware.gateway.status();
    const mqtt = firmware.link.session.status();
    const battery = site.batteries[0];
    const kw = (w: number) => `${(w / 1000).toFixed(1).padStart(6)} kW`;
    const line =
      `${simStamp(status.uptimeMs).slice(0, 8)} mqtt ${mqtt.state.padEnd(9).slice(0, 9)} grid${kw(site.gridW)}` +
      (battery ? ` ess${kw(battery.model.actualW)} soc ${battery.model.socPct.toFixed(0).padStart(3)}%` : "") +
      ` str ${firmware.overdemand.handler.strategies.length} ovr ${status.overruns}`;
    return line.slice(0, 80);
  };
  pace(
    durationS * 1000,
    (toMs) => sim.loop.runUntil(toMs),
    () => show(statusLine()),
    () => {
      if (live) process.stdout.write("\n");
      firmware.link.session.stop();
      console.log(JSON.stringify({ ...firmware.gateway.status(), mqtt: firmware.link.session.status().state, site: siteSummary() }));
      if (recorder && values.report) {
        const summary = siteSummary();
        writeReport(
          values.report,
          renderReport({
            title: "npm start: the firmware on the simulated site",
            subtitle: `${Math.round(sim.loop.monotonicMs() / 1000)} s of simulated time, site ${values.site ?? "boards/host/site.json"}`,
            goals: null,
            recorder,
            charts,
            figures: { "import (kWh)": summary.importKwh, "export (kWh)": summary.exportKwh, "export under a strategy (s)": summary.exportSecondsUnderStrategy, strategies: summary.strategies },
          }),
        );
      }
      const close = broker ? broker.close() : Promise.resolve();
      void close.finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 500).unref();
    },
  );
}
