/**
 * `npm run moddable:boot-memory`: where the boot's memory goes, in the SDK's simulator. The device bundle is copied
 * with a probe after each top-level statement of bootFirmware (src/app/firmware.ts, or --in another) that forces a garbage
 * collection (the SDK's `debug` module) and traces the XS chunk and slot heaps in use; the app is built from a copy
 * of manifest.json that takes the probed bundle, with heaps large enough that nothing runs out, and run until it
 * is online. It prints, per boot step, the live chunk bytes and slots it added.
 *
 *   npm run moddable:boot-memory -- [--broker mqtt://127.0.0.1:1883] [--seconds 15] [--in REGEX] [--strategies N] [--set-tasks N]
 *
 * --in probes another function instead: the first line of the bundle matching REGEX (--nth N: the Nth) starts it (for example
 * --in '^  static open\(flash' for GatewayStore.open; see dist/device/gateway.js for the lines).
 * --strategies N: once online, create N strategies (spec 000, each on its own meter and PCS), one after another, so a
 * probe in command-rate code (for example --in '^  makeGroup\(strategy') shows what one strategy costs. The flash
 * state starts empty on every run.
 * --set-tasks N: then one spec 003 SET of N tasks (the command's transient memory: --in '^  set\(raw\)').
 *
 * Slots are counted (a slot is 32 bytes in the simulator, 16 on the ESP32); chunk bytes are the simulator's, a
 * little more than the ESP32's (array items are slots there too).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BuildFailed, bundle, make, ROOT } from "./build";
import { HOST_SLOT_BYTES, SimRun } from "./run-sim";
import { findSdk, hasCommand, simulatorPath, ToolMissing } from "./sdk";
import { spawn, spawnSync } from "node:child_process";
import { DEVICE_PREFIX, Platform, startMosquitto } from "./sim-session";
import { envelope, scheduleCommand, strategy, task } from "./commands";


/**
 * The bundle with `__probe(label)` after every statement at the top level of the body of the function whose first
 * line matches `header` (default: bootFirmware; e.g. "^  static open\\(flash" for GatewayStore.open). Only the
 * first match is probed.
 */
export function probeFunction(source: string, header: RegExp, nth = 1): string {
  const lines = source.split("\n");
  let seen = 0;
  const out: string[] = [`import __Debug from "debug";`];
  let indent: string | null = null;
  let done = false;
  let pending: string | null = null;
  for (const line of lines) {
    out.push(line);
    if (indent === null && !done && header.test(line) && ++seen === nth) {
      indent = `${/^ */.exec(line)![0]}  `;
      out.push(
        `${indent}const __probe = (label) => { __Debug.gc(); trace(\`MEM \${label} chunk=\${Instrumentation.get(Instrumentation.map("XS Chunk Heap Used"))} slots=\${Instrumentation.get(Instrumentation.map("XS Slot Heap Used"))}\\n\`); };`,
        `${indent}__probe("(entry)");`,
      );
      continue;
    }
    if (indent === null) continue;
    if (line.startsWith(indent.slice(2)) && !line.startsWith(indent) && line.trim().startsWith("}")) {
      indent = null;
      done = true;
      continue;
    }
    const top = line.startsWith(indent) && line[indent.length] !== " ";
    if (top && pending === null) pending = line.trim().slice(0, 60);
    if (pending !== null && top && line.trimEnd().endsWith(";") && !line.trim().startsWith("return")) {
      out.push(`${indent}__probe(${JSON.stringify(pending)});`);
      pending = null;
    }
  }
  if (!done) throw new Error(`no function matching ${header} in the device bundle`);
  if (!source.includes("import Instrumentation from")) throw new Error("the device bundle no longer imports Instrumentation as `Instrumentation`: adapt the probe");
  return out.join("\n");
}

/**
 * The bundle with a stack-peak probe at the entry of every function and method: whenever XS's stack peak rises past
 * `fromSlots`, the probe traces the new peak and the call chain (`STACK peak=N` and Error().stack), so the deepest
 * paths are named. Headers are found by line shape (rollup's output puts each on its own line); keyword blocks
 * (if, for, while, switch, catch) are left alone.
 */
export function probeStack(source: string, fromSlots: number, slotBytes: number): string {
  const header = /^\s*(?:async\s+)?(?:static\s+)?(?:get\s+|set\s+)?(?:function\s+)?([A-Za-z_$][\w$]*)\s*\([^()]*\)\s*\{$/;
  const keywords = new Set(["if", "for", "while", "switch", "catch", "with", "function"]);
  // State on globalThis, made at the first call: the module is preloaded, so module-level values are read-only and
  // native calls are unavailable at link time (top-level code such as deepFreeze runs then: the probe stays quiet).
  const out: string[] = [
    `import __Instrumentation from "instrumentation";`,
    `function __sp() { try { const g = globalThis; if (g.__stackIndex === undefined) { g.__stackIndex = __Instrumentation.map("XS Stack Used"); g.__stackMax = ${fromSlots * slotBytes}; } const used = __Instrumentation.get(g.__stackIndex); if (used > g.__stackMax) { g.__stackMax = used; trace(\`STACK peak=\${used / ${slotBytes}} \${new Error("probe").stack}\\n\`); } } catch { /* at link time (preload) natives are unavailable */ } }`,
  ];
  for (const line of source.split("\n")) {
    out.push(line);
    const m = header.exec(line);
    if (m && !keywords.has(m[1])) out.push("__sp();");
  }
  return out.join("\n");
}

/** manifest.json with "./" paths made absolute and the gateway module taken from `gatewayPath`. */
export function probedManifest(gatewayPath: string, broker: string, stateDir: string): Record<string, any> {
  const absolute = (value: unknown): unknown => {
    if (typeof value === "string") return value.startsWith("./") ? join(ROOT, value) : value;
    if (Array.isArray(value)) return value.map(absolute);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, absolute(v)]));
    return value;
  };
  const manifest = absolute(JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8"))) as Record<string, any>;
  manifest.modules.gateway = gatewayPath;
  manifest.include.push("$(MODDABLE)/modules/base/debug/manifest.json");
  manifest.creation = { ...manifest.creation, chunk: { initial: 400000, incremental: 0 }, heap: { initial: 40000, incremental: 0 }, stack: 4096 };
  manifest.config = { ...manifest.config, simDir: `${stateDir}/`, mqtt: { ...manifest.config.mqtt, broker } };
  return manifest;
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: { broker: { type: "string" }, seconds: { type: "string" }, in: { type: "string" }, nth: { type: "string" }, strategies: { type: "string" }, "set-tasks": { type: "string" } },
    strict: true,
  });
  const sdk = findSdk();
  const outDir = join(ROOT, "build", "moddable", "boot-memory");
  const stateDir = join(outDir, "state");
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const mosquitto = o.broker ? null : await startMosquitto();
  // The RS-485 pty pair boards/sim opens (nothing answers on the far end: reads time out, as on an unwired bus).
  const bus = hasCommand("socat") ? spawn("socat", [`pty,raw,echo=0,link=${stateDir}/rs485`, `pty,raw,echo=0,link=${stateDir}/rs485-site`], { stdio: "ignore" }) : null;
  const broker = o.broker ?? mosquitto!.url;
  try {
    bundle();
    const probed = join(outDir, "gateway-probed.js");
    writeFileSync(probed, probeFunction(readFileSync(join(ROOT, "dist", "device", "gateway.js"), "utf8"), new RegExp(o.in ?? "^function bootFirmware\\("), Number(o.nth ?? 1)));
    const manifestPath = join(outDir, "manifest.json");
    writeFileSync(manifestPath, JSON.stringify(probedManifest(probed.replace(/\.js$/, ""), broker, stateDir), null, "\t"));
    const configured = spawnSync(join(sdk.bin, "mcconfig"), ["-d", "-p", "lin", "-o", outDir, manifestPath], { env: sdk.env, encoding: "utf8" });
    if (configured.status !== 0) throw new BuildFailed("mcconfig", `${configured.stdout}${configured.stderr}`);
    make(sdk, join(outDir, "tmp", "lin", "mc", "debug", "ess-gateway"), ["build"]);
    const rows: { label: string; chunk: number; slots: number }[] = [];
    const run = await SimRun.start(join(outDir, "bin", "lin", "mc", "debug", "ess-gateway", "mc.so"), simulatorPath(sdk), JSON.parse(readFileSync(manifestPath, "utf8")).creation, {
      onLog: (line) => {
        const match = /^MEM (.*) chunk=(\d+) slots=(\d+)$/.exec(line);
        if (match) rows.push({ label: match[1], chunk: Number(match[2]), slots: Number(match[3]) / HOST_SLOT_BYTES });
        else if (/XS abort|online|E /.test(line)) console.log(line);
      },
    });
    const strategies = Number(o.strategies ?? 0);
    if (strategies > 0) {
      const platform = await Platform.connect(broker);
      try {
        await platform.waitFor("streaming_overdemand/list/post", 30000);
        for (let i = 0; i < strategies; i++) {
          const mid = `probe-create-${i}`;
          const since = Date.now();
          await platform.publish(`${DEVICE_PREFIX}streaming_overdemand/create/command`, envelope("streaming_overdemand_create", strategy(i), mid));
          const result = (await platform.waitFor("streaming_overdemand/create/result", 20000, (m) => (m.json as { reply?: string })?.reply === mid, since)).json as { code: number };
          rows.push({ label: `--- strategy ${i} created (code ${result.code})`, chunk: NaN, slots: NaN });
          await run.wait(1000);
        }
      } finally {
        await platform.close();
      }
    }
    const setTasks = Number(o["set-tasks"] ?? 0);
    if (setTasks > 0) {
      const platform = await Platform.connect(broker);
      try {
        if (strategies === 0) await platform.waitFor("streaming_overdemand/list/post", 30000);
        const since = Date.now();
        await platform.publish(`${DEVICE_PREFIX}schedule/command`, scheduleCommand("SET", Array.from({ length: setTasks }, (_, i) => task(i))));
        const result = (await platform.waitFor("schedule/result", 20000, undefined, since)).json as { res?: number; errcode?: number };
        rows.push({ label: `--- SET of ${setTasks} tasks answered res ${String(result.res)} errcode ${String(result.errcode)}`, chunk: NaN, slots: NaN });
      } finally {
        await platform.close();
      }
    }
    await run.wait(Number(o.seconds ?? 15) * 1000);
    const status = await run.stop();
    let previous = { chunk: 0, slots: 0 };
    console.log(`${"boot step".padEnd(62)} ${"chunk (B)".padStart(9)} ${"+chunk".padStart(8)} ${"slots".padStart(6)} ${"+slots".padStart(7)}`);
    for (const row of rows) {
      if (Number.isNaN(row.chunk)) {
        console.log(row.label);
        continue;
      }
      console.log(`${row.label.padEnd(62)} ${String(row.chunk).padStart(9)} ${String(row.chunk - previous.chunk).padStart(8)} ${String(row.slots).padStart(6)} ${String(row.slots - previous.slots).padStart(7)}`);
      previous = row;
    }
    console.log(JSON.stringify({ moddable_boot_memory: rows.length > 0 ? "done" : "no probes seen", steps: rows, running: status }));
  } finally {
    bus?.kill();
    mosquitto?.stop();
  }
}

if (process.argv[1]?.endsWith("boot-memory.ts")) main().catch((error: unknown) => {
  if (error instanceof ToolMissing) console.error(`moddable:boot-memory: ${error.message}`);
  else if (error instanceof BuildFailed) console.error(`moddable:boot-memory: ${error.step} failed\n${error.output.split("\n").slice(-30).join("\n")}`);
  else console.error(`moddable:boot-memory: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
