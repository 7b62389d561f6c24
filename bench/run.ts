/**
 * `npm run bench [-- AREA] [-- --save]`: runs every bench/*.bench.ts (or those whose name contains AREA), prints each
 * figure with its unit and its change against the committed baseline (bench/results.json), and rewrites the
 * baseline only with --save (and only on a full run). Each bench module's default export returns
 * `{ figure_name: number }`; the unit follows from the name (bench/units.ts), and a figure whose name says no unit
 * stops the run. XS figures (steps, heap slots), flash operations, sizes and the simulated scenarios are
 * deterministic: any change is a change of the code. Figures marked "(this machine)" are wall-clock or throughput
 * figures of one run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { describeChange, unitOf } from "./units";

const here = dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({ options: { save: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
const only = positionals[0];
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts") && (!only || name.includes(only)))
  .sort();
if (files.length === 0) {
  console.error(`npm run bench: no bench/*.bench.ts matches "${only}"`);
  process.exit(2);
}

const baselinePath = join(here, "results.json");
const baseline = existsSync(baselinePath) ? (JSON.parse(readFileSync(baselinePath, "utf8")) as Record<string, number>) : {};

const results: Record<string, number> = {};
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<Record<string, number>> };
  const started = performance.now();
  const figures = await module.default();
  for (const [name, value] of Object.entries(figures)) {
    if (name in results) throw new Error(`bench: figure ${name} reported twice (${file})`);
    unitOf(name); // a figure without a unit stops the run here, before anything is printed as if it were fine
    results[name] = value;
  }
  console.log(`# ${file} (${Math.round(performance.now() - started)} ms)`);
}

const width = Math.max(...Object.keys(results).map((name) => name.length));
let changed = 0;
for (const [name, value] of Object.entries(results)) {
  const unit = unitOf(name);
  const change = describeChange(name, value, baseline[name]);
  if (change.changed) changed++;
  console.log(`${name.padEnd(width)}  ${String(value).padStart(12)} ${unit.symbol.padEnd(9)} ${change.text}${unit.deterministic ? "" : "  (this machine)"}`);
}
console.log(`${Object.keys(results).length} figures, ${changed} deterministic ones changed against bench/results.json`);
if (values.save) {
  if (only) {
    console.error("--save needs a full run (no AREA): the baseline holds every figure");
    process.exit(2);
  }
  writeFileSync(baselinePath, JSON.stringify(results, null, 2) + "\n");
  console.log(`wrote bench/results.json (${Object.keys(results).length} figures)`);
} else {
  console.log("bench/results.json unchanged (--save rewrites it)");
}
