/**
 * `npm run soak -- [--seed N] [--days D] [--engine xs|node] [--json]`: the composed firmware for D simulated days
 * (default 7) with random broker outages, command bursts of all three protocols, power cuts inside flash operations
 * and meter dropouts (sim/soak.ts). Prints a line per simulated day and the totals; exits 1 when an acknowledged
 * command lost its reply, a command was applied twice, or (in XS) the heap was not flat. The same seed replays the
 * same run, in either engine.
 *
 * --engine xs (the default) runs it inside the real XS engine and prints the firmware's heap slots at the start and
 * the end, after a collection (sim/soak-xs.ts); --engine node runs the same code in Node, many times faster, with no
 * heap figure (the Node process's heap is V8's, not the firmware's).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runSoak, type SoakMetrics } from "../sim/soak";

function usage(problem: string): never {
  console.error(`npm run soak: ${problem} (usage: npm run soak -- [--seed N] [--days D | --hours H] [--quiet-every-h Q] [--engine xs|node] [--json])`);
  process.exit(2);
}

let values: { seed?: string; days?: string; hours?: string; "quiet-every-h"?: string; engine?: string; json?: boolean };
try {
  values = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      days: { type: "string", default: "7" },
      // The CI length: hours instead of days, with quiet minutes (and so heap samples) every Q hours.
      hours: { type: "string" },
      "quiet-every-h": { type: "string" },
      engine: { type: "string", default: "xs" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  usage((error as Error).message.split("\n")[0]);
}
const seed = Number(values.seed);
const hours = values.hours === undefined ? NaN : Number(values.hours);
const days = values.hours === undefined ? Number(values.days) : hours / 24;
const quietEveryMs = values["quiet-every-h"] === undefined ? undefined : Number(values["quiet-every-h"]) * 3_600_000;
if (!Number.isInteger(seed)) usage(`--seed must be an integer, got "${values.seed}"`);
if (values.hours !== undefined && !(Number.isInteger(hours) && hours >= 1 && hours <= 8760)) usage(`--hours must be a whole number of hours from 1, got "${values.hours}"`);
if (values.hours === undefined && !(Number.isInteger(days) && days >= 1 && days <= 365)) usage(`--days must be a whole number of days from 1 to 365, got "${values.days}"`);
if (quietEveryMs !== undefined && !(quietEveryMs >= 3_600_000 && Number.isInteger(quietEveryMs / 3_600_000))) usage(`--quiet-every-h must be a whole number of hours from 1, got "${values["quiet-every-h"]}"`);
if (values.engine !== "xs" && values.engine !== "node") usage(`--engine must be xs or node, got "${values.engine}"`);

const site = JSON.parse(readFileSync(new URL("../boards/host/site.json", import.meta.url), "utf8"));
const strategy = JSON.parse(readFileSync(new URL("../docs/examples/spec-000/create.json", import.meta.url), "utf8")).data;
const onDay = values.json
  ? undefined
  : (day: number, m: SoakMetrics) => console.log(`day ${day}: ${m.commandsSent} commands sent, ${m.brokerOutages} outages, ${m.powerCuts} power cuts, ${m.meterDropouts} meter dropouts`);

let metrics: SoakMetrics;
if (values.engine === "xs") {
  const { runSoakXs } = await import("../sim/soak-xs");
  metrics = await runSoakXs({
    seed,
    days,
    site,
    strategy,
    quietEveryMs,
    sampleEveryMs: quietEveryMs,
    onDay,
    onSample: values.json ? undefined : (atMs, slots, what) => console.log(`  XS heap after a collection, ${what} (${Number((atMs / 3_600_000).toFixed(2))} h): ${slots} slots`),
  });
} else {
  metrics = runSoak({ seed, days, site, strategy, quietEveryMs, onDay });
}

if (values.json) console.log(JSON.stringify(metrics));
else {
  for (const [name, value] of Object.entries(metrics)) if (name !== "heap") console.log(`${name.padEnd(22)} ${typeof value === "object" ? JSON.stringify(value) : value}`);
  const heap = metrics.heap;
  if (heap) {
    console.log(`heap (XS slots, live after a collection): ${heap.firstHourSlots} after the first hour, start ${heap.startSlots} (after ${heap.warmMs / 3_600_000} h), end ${heap.endSlots}`);
    console.log(`heap growth from the start: ${heap.growthSlots} at the end, at most ${heap.maxGrowthSlots} at a daily sample; bound ${heap.boundSlots}: ${heap.flat ? "flat" : "NOT FLAT"}`);
    console.log(`engine memory taken from the system (slots and chunks, a high-water mark): ${heap.allocatedBytesStart} bytes at the start, ${heap.allocatedBytesEnd} at the end`);
  } else console.log("heap: not measured in Node (--engine xs for the firmware's XS heap slots)");
}
const ok = metrics.repliesLost === 0 && metrics.duplicatesApplied === 0 && (metrics.heap?.flat ?? true);
console.log(ok ? `soak: OK (no acknowledged command lost its reply, none applied twice${metrics.heap ? ", heap flat" : ""})` : "soak: FAILED");
process.exit(ok ? 0 : 1);
