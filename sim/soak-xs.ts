/**
 * The soak in the real XS engine (@agoric/xsnap), for the figure issue 14 asks for: the firmware's heap slots at the
 * start and the end, after a collection, so "heap flat" can be judged. The same `SoakRun` as `runSoak` (sim/soak.ts),
 * bundled with esbuild (test/xs/soak-entry.ts) and advanced one step per evaluation; between steps the host runs
 * gc() in the engine and reads XS's own count of live slots. XS counts are deterministic: the same seed gives the
 * same figures on every machine, so a test may assert them.
 *
 * What the figure holds: everything live in the engine, i.e. the firmware and its simulated world (site devices,
 * simulated HAL, network, flash, the broker on mqtt-packet, which caches 65,536 two-byte buffers on its first packet).
 * The harness's ledger is here in the host, not in the engine. `boundSlots` is documented in docs/soak.md.
 */
import { startXs, type XsRun } from "../test/helpers/xs";
import { DAY_MS, QUIET_EVERY_MS, ReplyLedger, SETTLE_MS, type CommandKind, type SoakCounts, type SoakHeap, type SoakMetrics, type SoakOptions } from "./soak";

/**
 * The most the live heap may grow from the first hour to the end and still be "flat": 1% of the device's 4,000
 * slots is 40; the bound is 100 because the end state legitimately differs from the first hour's in a few bounded
 * places (which strategies and tasks the last commands left in force, what the bounded logs and caches hold),
 * figures measured in docs/soak.md. A leak of one slot per command or per reconnect exceeds it within a day.
 */
export const HEAP_GROWTH_BOUND_SLOTS = 100;

/**
 * The start figure: after the first half day, in its quiet minutes (sim/soak.ts QUIET_MS), when the firmware has
 * booted, connected, been through outages and bursts of every kind of command, and its bounded per-id state (the
 * five schedule task ids the soak uses, the strategy, the desired properties, the reply caches) has filled; the
 * samples are at the same quiet points of later half days' ends (every day by default), the end figure after the
 * final settle, equally quiet. The first hour's figure is reported too, for what that fill costs.
 */
export const WARM_MS = QUIET_EVERY_MS;
const FIRST_HOUR_MS = 3_600_000;

export async function bundleSoakForXs(): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [new URL("../test/xs/soak-entry.ts", import.meta.url).pathname],
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "browser",
    // mqtt-packet (the simulated broker's codec) wants Node's Buffer and process: their browser packages.
    inject: [new URL("../test/xs/node-globals.ts", import.meta.url).pathname],
    // Its parser uses only bl's BufferList; bl's stream half pulls in readable-stream, which does not load in XS.
    // Its `debug` wants console, which xsnap lacks: a logger that does nothing.
    alias: {
      bl: new URL("../node_modules/bl/BufferList.js", import.meta.url).pathname,
      debug: new URL("../test/xs/no-debug.cjs", import.meta.url).pathname,
    },
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

export interface XsSoakOptions extends SoakOptions {
  /** Simulated time before the start figure (default WARM_MS). */
  warmMs?: number;
  /** Simulated time between heap samples (default a day). */
  sampleEveryMs?: number;
  /** Called at each figure with the simulated time, the live heap after a collection, and which figure it is. */
  onSample?: (atMs: number, slots: number, what: "first hour" | "start" | "sample" | "end") => void;
  /**
   * Test only: once warm, add a service to the firmware that keeps an object per gateway tick (a leak in the
   * firmware), so a test can show that the figure does see one.
   */
  leakingService?: boolean;
}

/** The soak inside XS. Resolves with the metrics including `heap`. */
export async function runSoakXs(options: XsSoakOptions): Promise<SoakMetrics & { heap: SoakHeap }> {
  const warmMs = options.warmMs ?? options.quietEveryMs ?? WARM_MS;
  const sampleEveryMs = options.sampleEveryMs ?? DAY_MS;
  const totalMs = Math.round(options.days * DAY_MS);
  const source = await bundleSoakForXs();
  const xs = await startXs();
  const ledger = new ReplyLedger();
  let counts: SoakCounts | null = null;
  const take = (run: XsRun) => {
    for (const message of run.replies as [string, ...unknown[]][]) {
      if (message[0] === "sent") ledger.sent(message[1] as string, message[2] as CommandKind);
      else if (message[0] === "reply") ledger.reply(message[1] as string, message[2] as string);
      else if (message[0] === "counts") counts = message[1] as SoakCounts;
    }
  };
  let allocatedBytes = 0;
  const liveSlots = async () => {
    const after = await xs.run("gc()");
    allocatedBytes = after.allocatedBytes;
    return after.heapSlots;
  };
  try {
    take(await xs.run(source));
    const runOptions = { seed: options.seed, days: options.days, site: options.site, strategy: options.strategy, quietEveryMs: options.quietEveryMs };
    take(await xs.run(`soak.start(${JSON.stringify(JSON.stringify(runOptions))})`));
    take(await xs.run(`soak.runUntil(${Math.min(FIRST_HOUR_MS, warmMs)})`));
    const firstHourSlots = await liveSlots();
    options.onSample?.(Math.min(FIRST_HOUR_MS, warmMs), firstHourSlots, "first hour");
    take(await xs.run(`soak.runUntil(${warmMs})`));
    if (options.leakingService) take(await xs.run("soak.addLeakingService()"));
    const startSlots = await liveSlots();
    const allocatedBytesStart = allocatedBytes;
    options.onSample?.(warmMs, startSlots, "start");
    const sampleSlots: number[] = [];
    let day = 0;
    for (let at = warmMs; at < totalMs; ) {
      at = Math.min(totalMs, (Math.floor(at / sampleEveryMs) + 1) * sampleEveryMs);
      take(await xs.run(`soak.runUntil(${at})`));
      const slots = await liveSlots();
      sampleSlots.push(slots);
      options.onSample?.(at, slots, "sample");
      while ((day + 1) * DAY_MS <= at) options.onDay?.(++day, ledger.complete(counts!));
    }
    take(await xs.run("soak.finish()"));
    const endSlots = await liveSlots();
    options.onSample?.(totalMs + SETTLE_MS, endSlots, "end");
    const maxGrowthSlots = Math.max(endSlots, ...sampleSlots) - startSlots;
    const heap: SoakHeap = {
      firstHourSlots,
      warmMs,
      startSlots,
      sampleEveryMs,
      sampleSlots,
      endSlots,
      growthSlots: endSlots - startSlots,
      maxGrowthSlots,
      boundSlots: HEAP_GROWTH_BOUND_SLOTS,
      flat: maxGrowthSlots <= HEAP_GROWTH_BOUND_SLOTS,
      allocatedBytesStart,
      allocatedBytesEnd: allocatedBytes,
    };
    return { ...ledger.complete(counts!), heap };
  } finally {
    await xs.close();
  }
}
