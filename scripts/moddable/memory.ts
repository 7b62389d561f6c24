/**
 * `npm run moddable:memory`: the firmware's real memory, measured in the SDK's simulator (preloaded, the manifest's
 * esp32 `creation`), through the phases issue 12 names:
 *   boot      the device config, connected, idle;
 *   full      limits.maxStrategies strategies (spec 000 create, one by one) and limits.maxTasks tasks (spec 003 ADD);
 *   burst     update_all of the whole strategy set, a schedule SET of every task, property sets (spec 004), and an
 *             OTA download (a signed image from a local HTTP server, hashed by the native digest);
 *   long      idle with reports for --long-s seconds (default 60; 600 for the "ten minutes real" figure).
 * Each phase prints the XS figures the simulator sampled (once a second: sampled peaks are lower bounds), and the
 * run ends with one JSON line. With --budget-percent 75 the heaps are cut to 75 %: a run that survives every phase
 * shows the true peaks leave at least 25 % of the real budget free (XS aborts with "memory full" otherwise).
 *
 *   npm run moddable:memory -- [--budget-percent 75] [--long-s 600] [--phases boot,full,burst,long] [--echo] [--exceptions]
 *   (to find how much a path takes: --chunk BYTES, --slots N, --stack SLOTS instead of the manifest's; --live samples
 *   live memory: a garbage collection every 500 ms; --stack-trace SLOTS, with --live: every time the stack peak rises past
 *   SLOTS, the app traces the call chain, printed as "STACK peak=N" lines)
 */
import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bundle, make, manifestCreation, ROOT, type Creation } from "./build";
import { probedManifest, probeStack } from "./boot-memory";
import { findSdk } from "./sdk";
import { buildForSimulator, DEVICE_PREFIX, Platform, runSimulator, simulatorUnavailable, startMosquitto } from "./sim-session";
import { spawn } from "node:child_process";
import { hasCommand } from "./sdk";
import { HOST_SLOT_BYTES, type SimStatus } from "./run-sim";
import { envelope, scheduleCommand, strategy, task } from "./commands";

const { values: o } = parseArgs({
  options: {
    "budget-percent": { type: "string" },
    "long-s": { type: "string" },
    stack: { type: "string" },
    chunk: { type: "string" },
    slots: { type: "string" },
    phases: { type: "string" },
    live: { type: "boolean" },
    "stack-trace": { type: "string" },
    echo: { type: "boolean" },
    exceptions: { type: "boolean" },
  },
  strict: true,
});
/** Which phases to run, in order (--phases boot,full,burst,long); a later phase needs the earlier ones' state. */
const PHASES = (o.phases ?? "boot,full,burst,long").split(",");
const percent = Number(o["budget-percent"] ?? 100);
const longSeconds = Number(o["long-s"] ?? 60);

const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8"));
const limits = manifest.config.limits as { maxStrategies: number; maxTasks: number };

/**
 * --live: the same app with scripts/moddable/main-gc.js as its main, which collects garbage every 500 ms, so the
 * once-a-second samples are live memory (what the heaps must hold), not live memory plus garbage not yet collected.
 */
function buildLive(stateDir: string, brokerUrl: string, creation: Creation, config: Record<string, unknown>) {
  const sdk = findSdk();
  const outDir = join(ROOT, "build", "moddable", "memory-live");
  mkdirSync(stateDir, { recursive: true });
  bundle();
  let gateway = join(ROOT, "dist", "device", "gateway");
  if (o["stack-trace"] !== undefined) {
    mkdirSync(outDir, { recursive: true });
    gateway = join(outDir, "gateway-stack");
    writeFileSync(`${gateway}.js`, probeStack(readFileSync(join(ROOT, "dist", "device", "gateway.js"), "utf8"), Number(o["stack-trace"]), HOST_SLOT_BYTES));
  }
  const manifest = probedManifest(gateway, brokerUrl, stateDir);
  manifest.modules.main = join(ROOT, "scripts", "moddable", "main-gc");
  manifest.creation = { ...manifest.creation, chunk: creation.chunk, heap: creation.heap, stack: creation.stack };
  manifest.config = { ...manifest.config, ...config };
  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, "manifest.json");
  writeFileSync(manifestPath, JSON.stringify(manifest, null, "\t"));
  const configured = spawnSync(join(sdk.bin, "mcconfig"), ["-d", "-p", "lin", "-o", outDir, manifestPath], { env: sdk.env, encoding: "utf8" });
  if (configured.status !== 0) throw new Error(`mcconfig failed: ${configured.stdout}${configured.stderr}`);
  make(sdk, join(outDir, "tmp", "lin", "mc", "debug", "ess-gateway"), ["build"]);
  return { sdk, soPath: join(outDir, "bin", "lin", "mc", "debug", "ess-gateway", "mc.so"), creation, link: { summary: "", warnings: [], ourWarnings: [] } };
}

/** The last "MEM live" line main-gc.js traced (--live): exact live memory right after a collection. */
function lastLive(log: readonly string[]): { chunk: number; slots: number } | null {
  for (let i = log.length - 1; i >= 0; i--) {
    const m = /MEM live chunk=(\d+) slots=(\d+)/.exec(log[i]);
    if (m) return { chunk: Number(m[1]), slots: Number(m[2]) / HOST_SLOT_BYTES };
  }
  return null;
}

interface PhaseFigure {
  phase: string;
  chunkPeak: number;
  slotPeak: number;
  stackPeak: number;
  notes: string[];
}

async function main(): Promise<void> {
  const why = simulatorUnavailable();
  if (why) {
    console.log(`moddable:memory: skipped: ${why}`);
    process.exit(2);
  }
  const full = manifestCreation();
  const creation: Creation = {
    ...full,
    // --chunk BYTES / --slots N: explicit heap sizes, to find the smallest that runs (the budget is the manifest's).
    chunk: { ...full.chunk, initial: o.chunk === undefined ? Math.floor((full.chunk.initial * percent) / 100) : Number(o.chunk) },
    heap: { ...full.heap, initial: o.slots === undefined ? Math.floor((full.heap.initial * percent) / 100) : Number(o.slots) },
    // --stack N: another stack size, to find how deep a path goes (the budget is the manifest's).
    stack: o.stack === undefined ? full.stack : Number(o.stack),
  };
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = publicKey.export({ format: "der", type: "spki" });
  const image = new Uint8Array(256 * 1024);
  for (let i = 0; i < image.length; i++) image[i] = (i * 7 + (i >> 8)) & 0xff;
  image[0] = 0xe9;
  const http = createServer((req, res) => {
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : image.length - 1;
    res.writeHead(range ? 206 : 200, { "content-length": end - start + 1, ...(range ? { "content-range": `bytes ${start}-${end}/${image.length}` } : {}) });
    res.end(Buffer.from(image.subarray(start, end + 1)));
  });
  // Keep idle connections open: after Node's default 5 s the server closes them, the gateway's next ranged GET is
  // written to a closed socket, and that write kills the simulator (SIGPIPE, docs/boards.md).
  http.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const httpPort = (http.address() as { port: number }).port;

  const stateDir = mkdtempSync(join(tmpdir(), "gw-memory-"));
  const broker = await startMosquitto();
  const bus = hasCommand("socat") ? spawn("socat", [`pty,raw,echo=0,link=${stateDir}/rs485`, `pty,raw,echo=0,link=${stateDir}/rs485-site`], { stdio: "ignore" }) : null;
  const figures: PhaseFigure[] = [];
  let final: SimStatus | null = null;
  let platform: Platform | null = null;
  try {
    console.log(`moddable:memory: building for the simulator at ${percent} % of the manifest's chunk and slot budget`);
    const otaConfig = { ota: { publicKey: der.subarray(der.length - 65).toString("hex"), allowHttp: true } };
    const build = o.live
      ? buildLive(stateDir, broker.url, creation, otaConfig)
      : buildForSimulator({ buildDir: join(ROOT, "build", "moddable", "memory-lin"), stateDir, brokerUrl: broker.url, creation, config: otaConfig });
    platform = await Platform.connect(broker.url);
    const sim = await runSimulator(build, o.echo === true, o.exceptions === true);
    if (o["stack-trace"] !== undefined) {
      // Stream the probe's lines as they come (the run may end in a stack overflow).
      const seen = { n: 0 };
      const timer = setInterval(() => {
        for (; seen.n < sim.log.length; seen.n++) if (/STACK peak=|^\s+at |\(.*:\d+\)/.test(sim.log[seen.n])) console.log(sim.log[seen.n]);
      }, 200);
      timer.unref();
    }
    const run = sim.run;
    try {
    let mark = { chunk: 0, slot: 0, stack: 0 };
    const phase = async (name: string, body: () => Promise<string[]>) => {
      const notes = await body();
      await run.wait(2000);
      const s = run.status();
      const live = lastLive(sim.log);
      if (live) notes.push(`live after a collection: chunk ${live.chunk} B, slots ${live.slots}`);
      // Sampled peaks over the whole run so far; the per-phase figure is the rise, if any, seen in this phase.
      figures.push({ phase: name, chunkPeak: s.chunkBytes.peak, slotPeak: s.slots.peak, stackPeak: s.stackSlots.peak, notes });
      mark = { chunk: s.chunkBytes.peak, slot: s.slots.peak, stack: s.stackSlots.peak };
      console.log(`moddable:memory: ${name}: chunk ${s.chunkBytes.used} B (sampled peak ${s.chunkBytes.peak}), slots ${s.slots.used} (peak ${s.slots.peak}), stack peak ${s.stackSlots.peak} slots${s.aborted ? " ABORTED" : ""}; ${notes.join("; ")}`);
      if (s.aborted || !run.running) throw new Error(`${name}: the app stopped: ${sim.log.slice(-8).join(" | ")}`);
    };
    void mark;
    const reply = async (suffix: string, send: () => Promise<unknown>, accept: (json: any) => boolean = () => true, timeoutMs = 20000) => {
      const since = Date.now();
      await send();
      return (await platform!.waitFor(suffix, timeoutMs, (m) => accept(m.json), since)).json as any;
    };

    await phase("boot", async () => {
      await platform!.waitFor("streaming_overdemand/list/post", 30000);
      await run.wait(8000);
      return ["online"];
    });
    let strategiesHeld = 0;
    if (PHASES.includes("full")) {
      await phase("full: strategies", async () => {
        const codes: number[] = [];
        const refusals = new Set<string>();
        for (let i = 0; i < limits.maxStrategies; i++) {
          const mid = `mem-create-${i}`;
          const r = await reply("streaming_overdemand/create/result", () => platform!.publish(`${DEVICE_PREFIX}streaming_overdemand/create/command`, envelope("streaming_overdemand_create", strategy(i), mid)), (j) => j?.reply === mid);
          codes.push(r.code);
          if (r.code !== 200) refusals.add(String(r.msg).replace(/\d+ bytes/, "N bytes"));
          else strategiesHeld++;
        }
        return [`${strategiesHeld}/${limits.maxStrategies} creates answered 200${refusals.size ? ` (refused: ${[...refusals].join(" / ")})` : ""}`];
      });
      await phase("full: tasks", async () => {
        const added: number[] = [];
        for (let i = 0; i < limits.maxTasks; i += 8) {
          const batch = Array.from({ length: Math.min(8, limits.maxTasks - i) }, (_, k) => task(i + k));
          const r = await reply("schedule/result", () => platform!.publish(`${DEVICE_PREFIX}schedule/command`, scheduleCommand("ADD", batch)));
          added.push(r.res);
        }
        return [`${added.filter((r) => r === 1).length}/${added.length} ADDs of up to 8 tasks answered res 1 (${limits.maxTasks} tasks)`];
      });
    }
    if (PHASES.includes("burst")) await phase("burst", async () => {
      const notes: string[] = [];
      // The whole set the gateway holds (a larger list would not fit the list report, so create refused it).
      const all = Array.from({ length: Math.max(1, strategiesHeld) }, (_, i) => strategy(i));
      const updateAll = envelope("streaming_overdemand_update_all", all, "mem-update-all");
      const ua = await reply("streaming_overdemand/update_all/result", () => platform!.publish(`${DEVICE_PREFIX}streaming_overdemand/update_all/command`, updateAll), (j) => j?.reply === "mem-update-all");
      notes.push(`update_all of ${all.length} (${updateAll.length} B): ${ua.code} ${ua.msg ?? ""}`.trim());
      // As many tasks as one packet carries (all of maxTasks would be larger than mqtt.maxPacketBytes).
      const packetBytes = manifest.config.mqtt.maxPacketBytes as number;
      let setCount = limits.maxTasks;
      let set = scheduleCommand("SET", Array.from({ length: setCount }, (_, i) => task(i)));
      while (set.length + 200 > packetBytes && setCount > 1) set = scheduleCommand("SET", Array.from({ length: --setCount }, (_, i) => task(i)));
      const sr = await reply("schedule/result", () => platform!.publish(`${DEVICE_PREFIX}schedule/command`, set));
      notes.push(`schedule SET of ${setCount} of ${limits.maxTasks} tasks (${set.length} B, one packet): res ${sr.res}${sr.errcode !== undefined ? ` errcode ${sr.errcode}` : ""}`);
      for (let i = 0; i < 5; i++) {
        const pr = await reply("thing/service/property/set_reply", () => platform!.publish("/sys/pk-demo/GW-0001/thing/service/property/set", JSON.stringify({ id: `${700 + i}`, version: "1.0", params: { report_interval_s: 30 + i } })), (j) => j?.id === `${700 + i}`);
        if (i === 4) notes.push(`property sets: ${pr.code}`);
      }
      const sha256 = createHash("sha256").update(image).digest("hex");
      const signature = sign("sha256", image, privateKey).toString("base64");
      const ota = envelope("ota_upgrade", { version: "9.0.0", url: `http://127.0.0.1:${httpPort}/fw.bin`, size: image.length, sha256, signature }, "mem-ota");
      // The result follows the signature check (ECDSA P-256 in JavaScript, spread over ticks): allow it time.
      const or = await reply("ota/upgrade/result", () => platform!.publish(`${DEVICE_PREFIX}ota/upgrade/command`, ota), (j) => j?.reply === "mem-ota", 120000);
      notes.push(`OTA command: ${or.code} ${or.msg ?? ""}`.trim());
      const started = Date.now();
      // The simulator cannot reboot into the image: the end of the path here is "staged" (downloaded, hash and
      // signature checked, boot slot set), reported as progress; the install outcome would follow the reboot.
      const staged = await platform!.waitFor("ota/progress/post", 400000, (m) => (m.json as any)?.data?.status === "staged", started).catch(() => null);
      const seconds = (Date.now() - started) / 1000;
      notes.push(staged ? `OTA image staged after ${seconds.toFixed(1)} s (${Math.round(image.length / 1024 / seconds)} KiB/s)` : `OTA: not staged within 400 s`);
      return notes;
    });
    if (PHASES.includes("long")) await phase(`long (${longSeconds} s)`, async () => {
      await run.wait(longSeconds * 1000);
      return [`${platform!.received.filter((m) => m.topic.endsWith("report/post")).length} reports received in all`];
    });
    final = await run.stop();
    } catch (error) {
      const status = await run.stop();
      console.log(`moddable:memory: the run failed; the app's last lines:\n  ${sim.log.slice(-12).join("\n  ")}\n  status: ${JSON.stringify(status)}`);
      throw error;
    }
  } finally {
    await platform?.close();
    bus?.kill();
    broker.stop();
    http.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const width = Math.max(...figures.map((f) => f.phase.length));
  console.log(`\nphase${" ".repeat(Math.max(0, width - 5))}  chunk peak (B)  slot peak  stack peak (slots)   budget ${creation.chunk.initial} B / ${creation.heap.initial} slots / ${creation.stack} slots`);
  for (const f of figures) console.log(`${f.phase.padEnd(width)}  ${String(f.chunkPeak).padStart(14)}  ${String(f.slotPeak).padStart(9)}  ${String(f.stackPeak).padStart(18)}`);
  console.log(JSON.stringify({ moddable_memory: "done", budgetPercent: percent, budget: { chunkBytes: creation.chunk.initial, slots: creation.heap.initial, stackSlots: creation.stack }, phases: figures, final }));
}

main().catch((error: unknown) => {
  console.error(`moddable:memory: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
