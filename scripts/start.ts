/**
 * `npm start`: the firmware on the host. The unchanged core runs on the simulated HAL (hal/sim): simulated clock,
 * flash, RS-485 bus and site. Time runs at real speed, N times faster (`--speed N`), or as fast as possible
 * (`--speed max`, then exit). `--flash FILE` keeps the store in a flash image file so state survives between runs.
 *
 *   npm start -- [--duration SECONDS] [--speed max|N] [--config FILE] [--flash FILE] [--seed N] [--quiet]
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createSimHal } from "../hal/sim/index";
import type { FlashProvider } from "../hal/types";
import { bootGateway } from "../src/app/gateway";
import { formatStatusLine } from "../src/app/status";
import { resolveConfig } from "../src/config/gateway-config";
import { FileFlashProvider } from "../hal/node/file-flash";

const HOST_BOARD_CONFIG = new URL("../boards/host/config.json", import.meta.url);

function usage(problem: string): never {
  console.error(`npm start: ${problem}`);
  console.error("usage: npm start -- [--duration SECONDS] [--speed max|N] [--config FILE] [--flash FILE] [--seed N] [--quiet]");
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
if (maxSpeed && durationS === Infinity) usage("--speed max needs --duration (simulated time would never end)");
const seed = Number(values.seed);

const boardLayer = existsSync(HOST_BOARD_CONFIG) ? readJson(HOST_BOARD_CONFIG, "board config") : undefined;
const siteLayer = values.config ? readJson(values.config, "--config") : undefined;
const config = resolveConfig((boardLayer as { config?: unknown } | undefined)?.config ?? boardLayer, siteLayer);

const board = boardLayer as { partitions?: Record<string, { sectorCount: number; sectorSize?: number }> } | undefined;
const partitions = board?.partitions ?? { [config.store.partition]: { sectorCount: 16 } };
const storeSectors = partitions[config.store.partition]?.sectorCount ?? 16;
const flash: FlashProvider | undefined = values.flash
  ? new FileFlashProvider({ [config.store.partition]: { file: values.flash, sectorCount: storeSectors } })
  : undefined;
const sim = createSimHal({
  seed,
  partitions,
  flash,
  echo: values.quiet ? undefined : (line) => console.log(line),
});
// The host can tell its own heap use; the simulated HAL alone cannot.
sim.system.memory = () => ({ heapUsedBytes: process.memoryUsage().heapUsed, heapFreeBytes: null });
const gateway = bootGateway(sim, config);
const durationMs = durationS * 1000;

function statusLine(): string {
  return formatStatusLine(gateway.status());
}

if (maxSpeed) {
  // As fast as possible: a status line per simulated minute, then the final status as JSON.
  const step = 60_000;
  for (let done = 0; done < durationMs; done += step) {
    sim.loop.runFor(Math.min(step, durationMs - done));
    if (!values.quiet) console.log(statusLine());
  }
  console.log(JSON.stringify(gateway.status()));
  process.exit(0);
} else {
  // Paced: simulated time follows the real clock times `speed`; the status line refreshes every second.
  const started = performance.now();
  const live = process.stdout.isTTY;
  let lastPrint = 0;
  const pump = setInterval(() => {
    const simNow = Math.min(durationMs, (performance.now() - started) * speed);
    sim.loop.runUntil(simNow);
    if (simNow - lastPrint >= 1000 * Math.max(1, speed) || simNow >= durationMs) {
      lastPrint = simNow;
      if (live) process.stdout.write(`\r${statusLine()}\x1b[K`);
      else console.log(statusLine());
    }
    if (simNow >= durationMs) {
      clearInterval(pump);
      if (live) process.stdout.write("\n");
      console.log(JSON.stringify(gateway.status()));
      process.exit(0);
    }
  }, 20);
  process.on("SIGINT", () => {
    clearInterval(pump);
    if (live) process.stdout.write("\n");
    console.log(JSON.stringify(gateway.status()));
    process.exit(0);
  });
}
