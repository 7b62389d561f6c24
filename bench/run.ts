/**
 * `npm run bench`: runs every bench/*.bench.ts, prints one table and writes bench/results.json, one flat JSON
 * object of named figures. Each bench module's default export returns `{ figure_name: number }`.
 * XS figures (steps, heap slots) are deterministic; wall-clock and throughput figures are one run on this machine.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((name) => name.endsWith(".bench.ts") && (!only || name.includes(only)))
  .sort();

const results: Record<string, number> = {};
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<Record<string, number>> };
  const started = performance.now();
  const figures = await module.default();
  for (const [name, value] of Object.entries(figures)) {
    if (name in results) throw new Error(`bench: figure ${name} reported twice (${file})`);
    results[name] = value;
  }
  console.log(`# ${file} (${Math.round(performance.now() - started)} ms)`);
}

const width = Math.max(...Object.keys(results).map((name) => name.length));
for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(width)}  ${value}`);
if (!only) writeFileSync(join(here, "results.json"), JSON.stringify(results, null, 2) + "\n");
console.log(only ? `(partial run: bench/results.json not written)` : `wrote bench/results.json (${Object.keys(results).length} figures)`);
