/**
 * The one-way flow of the README's design section, checked on the code's own imports:
 *   hal/   the floor: HAL contracts and the peripherals of its three families. It names types of src/ where it must
 *          (the config it is built from), imports no value from src/ at all, and nothing, not even a type, from the
 *          layers above it (src/app, src/control, src/protocol, src/schedule, src/store), nor from sim/.
 *   src/   the firmware: imports hal/ (its contracts) but never sim/, scripts/ or test/.
 *   sim/   the simulated site and the scenario runner, above src/ (it drives the firmware): src/ and hal/ never
 *          import it.
 */
import test from "ava";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const UPPER_CORE = ["src/app", "src/control", "src/protocol", "src/schedule", "src/store"];

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Every relative import and re-export of `file`, resolved to a repository path. */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3];
    if (!specifier.startsWith(".")) continue;
    const clause = match[0];
    // `import { type A, type B } from` is type-only too.
    const names = /\{([^}]*)\}/.exec(clause);
    const allTypes = names !== null && names[1].split(",").every((part) => part.trim() === "" || part.trim().startsWith("type "));
    out.push({ file, target: normalize(join(dirname(file), specifier)), typeOnly: match[2] !== undefined || allTypes });
  }
  return out;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

function violations(): string[] {
  const problems: string[] = [];
  for (const layer of ["hal", "src", "sim"]) {
    for (const file of sourceFiles(layer)) {
      for (const imp of importsOf(file, readFileSync(join(ROOT, file), "utf8"))) {
        const target = relative(".", imp.target);
        if (layer === "hal") {
          if (under(target, "sim")) problems.push(`${file} imports ${target}: hal/ is below sim/`);
          else if (UPPER_CORE.some((dir) => under(target, dir))) problems.push(`${file} imports ${target}: hal/ is below ${UPPER_CORE.join(", ")}`);
          else if (under(target, "src") && !imp.typeOnly) problems.push(`${file} imports a value from ${target}: hal/ may only name types of src/`);
        } else if (layer === "src") {
          for (const above of ["sim", "scripts", "test", "bench"]) if (under(target, above)) problems.push(`${file} imports ${target}: src/ is below ${above}/`);
        }
      }
    }
  }
  return problems;
}

test("hal/ is the floor: no import from the layers above it, only types from src/; src/ never imports sim/", (t) => {
  t.deepEqual(violations(), []);
  const halToSrc = sourceFiles("hal").flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), "utf8"))).filter((imp) => under(relative(".", imp.target), "src"));
  t.true(halToSrc.length > 0 && halToSrc.every((imp) => imp.typeOnly), "the check does read hal/'s imports of src/ types");
  t.log(`hal/ names ${halToSrc.length} src/ types: ${[...new Set(halToSrc.map((imp) => relative(".", imp.target)))].join(", ")}`);
});

test("the layer check sees the imports it must refuse", (t) => {
  const sample = [
    'import { Gateway } from "../../src/app/gateway";',
    'import type { ControlLoop } from "../../src/control/loop";',
    'import { type GatewayConfig } from "../../src/config/gateway-config";',
    'import { Counters } from "../../src/core/counters";',
    'export { SimSite } from "../../sim/site/site";',
  ].join("\n");
  const found = importsOf("hal/sim/x.ts", sample).map((i) => `${relative(".", i.target)}${i.typeOnly ? " (type)" : ""}`);
  t.deepEqual(found, ["src/app/gateway", "src/control/loop (type)", "src/config/gateway-config (type)", "src/core/counters", "sim/site/site"]);
});
