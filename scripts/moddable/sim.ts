/**
 * `npm run moddable:sim`: the firmware as Moddable's mcconfig builds it for the SDK's Linux simulator, run headless.
 *
 *   npm run moddable:sim -- --broker mqtt://127.0.0.1:1883 --duration 60
 *
 * Builds with the SDK at $MODDABLE (rollup bundle, mcconfig -d -p lin, make), prints xsl's summary and the
 * preload warnings about our modules, makes the RS-485 tty (socat), runs mcsim under Xvfb with the xsbug listener,
 * streams the app's log, and on exit (after --duration, or Ctrl-C / SIGTERM) prints one JSON status line with the
 * XS memory figures against the manifest's `creation` budget. Exit code 0 when the app ran to the end without an
 * XS abort, 1 otherwise, 2 for a bad option or a missing tool.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BuildFailed, bundle, configure, linkReport, make, manifestCreation, ROOT, type Creation } from "./build";
import { SimRun } from "./run-sim";
import { findSdk, hasCommand, requireCommand, simulatorPath, ToolMissing } from "./sdk";

const USAGE = `usage: npm run moddable:sim -- [options]
  --broker URL        mqtt://HOST:PORT the app connects to (default: the manifest's config.mqtt.broker)
  --duration S        stop after S seconds (default: run until Ctrl-C)
  --state DIR         flash and OTA files of the simulated board (default: build/moddable/state); kept across runs
  --budget-percent P  build with P % of the manifest's chunk and slot budget (default 100)
  --build-dir DIR     where mcconfig builds (default: build/moddable/lin)
  --no-build          run the last build
  --exceptions        break on every exception thrown (caught ones too), print where, and go on: for debugging
  --quiet             no log lines, only the build summary and the final JSON status
  --help              this text`;

function fail(message: string, code: number): never {
  console.error(`moddable:sim: ${message}`);
  process.exit(code);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        broker: { type: "string" },
        duration: { type: "string" },
        state: { type: "string" },
        "budget-percent": { type: "string" },
        "no-build": { type: "boolean" },
        "build-dir": { type: "string" },
        quiet: { type: "boolean" },
        exceptions: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    fail(`${(error as Error).message.split("\n")[0]} (see --help)`, 2);
  }
}

function scaled(creation: Creation, percent: number): Creation {
  return {
    ...creation,
    chunk: { ...creation.chunk, initial: Math.floor((creation.chunk.initial * percent) / 100) },
    heap: { ...creation.heap, initial: Math.floor((creation.heap.initial * percent) / 100) },
  };
}

async function main(): Promise<void> {
  const o = options();
  if (o.help) {
    console.log(USAGE);
    return;
  }
  const duration = o.duration === undefined ? Infinity : Number(o.duration);
  if (!(duration > 0)) fail(`--duration must be a positive number of seconds, got "${o.duration}" (see --help)`, 2);
  const percent = o["budget-percent"] === undefined ? 100 : Number(o["budget-percent"]);
  if (!(percent >= 10 && percent <= 1000)) fail(`--budget-percent must be 10..1000, got "${o["budget-percent"]}" (see --help)`, 2);
  if (o.broker !== undefined && !/^mqtts?:\/\/[^/:]+:\d+$/.test(o.broker)) fail(`--broker must be mqtt://HOST:PORT, got "${o.broker}" (see --help)`, 2);

  let sdk;
  try {
    sdk = findSdk();
    requireCommand("xvfb-run", "apt-get install -y xvfb xauth");
    simulatorPath(sdk);
  } catch (error) {
    if (error instanceof ToolMissing) fail(error.message, 2);
    throw error;
  }

  const outDir = resolve(o["build-dir"] ?? join(ROOT, "build", "moddable", "lin"));
  // The state directory is built into mc/config (boards/sim reads it): a run of an existing build uses the one it
  // was built with.
  const recorded = join(outDir, "sim-state-dir");
  if (o["no-build"] && o.state !== undefined) fail("--state needs a build (it is built into the app): drop --no-build", 2);
  const stateDir = o["no-build"] && existsSync(recorded) ? readFileSync(recorded, "utf8").trim() : resolve(o.state ?? join(ROOT, "build", "moddable", "state"));
  mkdirSync(stateDir, { recursive: true });
  const creation = scaled(manifestCreation(), percent);
  const so = join(outDir, "bin", "lin", "mc", "debug", "ess-gateway", "mc.so");
  if (!o["no-build"]) {
    try {
      console.log("moddable:sim: building (rollup, mcconfig -d -p lin, make)");
      bundle();
      const makeDir = configure(sdk, {
        platform: "lin",
        outDir,
        debug: true,
        config: { simDir: `${stateDir}/`, ...(o.broker ? { mqtt: { broker: o.broker } } : {}) },
        ...(percent !== 100 ? { creation: { chunk: creation.chunk, heap: creation.heap } } : {}),
      });
      const report = linkReport(make(sdk, makeDir, ["build"]));
      writeFileSync(recorded, `${stateDir}\n`);
      console.log(`moddable:sim: xsl ${report.summary.replace(/^### /, "")}; ${report.warnings.length} warnings, ${report.ourWarnings.length} about our modules`);
      for (const line of report.ourWarnings) console.log(`  ${line}`);
    } catch (error) {
      if (error instanceof BuildFailed) {
        console.error(error.output.split("\n").slice(-40).join("\n"));
        fail(`${error.step} failed (its last lines are above)`, 1);
      }
      throw error;
    }
  } else if (!existsSync(so)) {
    fail(`no build at ${so}: run without --no-build first`, 2);
  }

  // The RS-485 bus: a pty pair, the app's end at <state>/rs485 (boards/sim/host/provider.js), the other end free
  // for a simulated site or a Modbus tool at <state>/rs485-site.
  let socat: ChildProcess | null = null;
  if (hasCommand("socat")) {
    socat = spawn("socat", [`pty,raw,echo=0,link=${stateDir}/rs485`, `pty,raw,echo=0,link=${stateDir}/rs485-site`], { stdio: "ignore" });
  } else {
    console.log("moddable:sim: socat is not installed (apt-get install -y socat): the RS-485 port will not open");
  }

  const run = await SimRun.start(so, simulatorPath(sdk), creation, {
    breakOnExceptions: o.exceptions === true,
    onLog: (line) => {
      if (!o.quiet) console.log(line);
    },
    onBreak: (where, message, frames) => {
      console.log(`moddable:sim: break at ${where}: ${message}`);
      for (const frame of frames) console.log(`    ${frame}`);
    },
  });
  let stopping = false;
  const finish = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const selfExited = !run.running;
    const status = await run.stop();
    socat?.kill();
    console.log(JSON.stringify({ moddable_sim: why, ...status, budgetPercent: percent }));
    process.exit(selfExited || status.aborted || !status.connected ? 1 : 0);
  };
  process.on("SIGINT", () => void finish("interrupted"));
  process.on("SIGTERM", () => void finish("terminated"));
  await run.wait(Number.isFinite(duration) ? duration * 1000 : 2 ** 31 - 1);
  await finish(run.running ? "duration" : "simulator exited");
}

main().catch((error: unknown) => fail(String(error instanceof Error ? error.message : error), 1));
