/**
 * Building this app with the Moddable SDK at $MODDABLE, as a Moddable user would: the rollup bundle first
 * (dist/device/gateway.js, the manifest's module "gateway"), then `mcconfig` on a small generated manifest that
 * includes ours and layers the run's settings over it (broker, state directory, memory budget), then the
 * makefile mcconfig wrote. Nothing of the SDK is copied or changed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { type Sdk } from "./sdk";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export class BuildFailed extends Error {
  constructor(
    readonly step: string,
    readonly output: string,
  ) {
    super(`${step} failed`);
  }
}

export interface Creation {
  chunk: { initial: number; incremental: number };
  heap: { initial: number; incremental: number };
  stack: number;
}

/** The `creation` of manifest.json: the ESP32 board's memory budget (docs/boards.md). */
export function manifestCreation(): Creation {
  const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as { creation: Creation };
  return manifest.creation;
}

export interface BuildOptions {
  /** mcconfig's platform: "lin" (the simulator) or "esp32/<board>" style. */
  platform: string;
  /** Build directory (mcconfig -o). */
  outDir: string;
  /** Layered over manifest.json's config (deep merge, as mcconfig merges manifests). */
  config?: Record<string, unknown>;
  /** Layered over manifest.json's creation. */
  creation?: Partial<Creation>;
  /** Debug build (-d): xsbug connection and instrumentation. */
  debug?: boolean;
  /** Extra mcconfig arguments (e.g. key=value). */
  args?: string[];
  /** Extra resources (paths without extension), as the manifest's "resources" lists them. */
  resources?: string[];
  /** Environment additions for mcconfig (e.g. a dummy IDF_PATH). */
  env?: NodeJS.ProcessEnv;
}

/**
 * rollup: dist/device/gateway.js. Several real-SDK tests may build at once (ava runs test files in parallel), and
 * two rollups writing dist/ together break each other: a lock directory (mkdir is atomic) serializes them.
 */
export function bundle(): void {
  const lock = join(ROOT, "build", "moddable", ".rollup-lock");
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 5 minutes is left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new BuildFailed("rollup (the device bundle)", `another build holds ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const result = spawnSync(join(ROOT, "node_modules", ".bin", "rollup"), ["-c", "--silent"], { cwd: ROOT, encoding: "utf8" });
    if (result.status !== 0) throw new BuildFailed("rollup (the device bundle)", `${result.stdout}${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Writes the generated manifest into `outDir` and runs mcconfig there; returns the directory of the makefile. */
export function configure(sdk: Sdk, options: BuildOptions): string {
  mkdirSync(options.outDir, { recursive: true });
  const wrapper = {
    build: { NAME: "ess-gateway" },
    include: [join(ROOT, "manifest.json")],
    ...(options.config ? { config: options.config } : {}),
    ...(options.creation ? { creation: options.creation } : {}),
    ...(options.resources?.length ? { resources: { "*": options.resources } } : {}),
  };
  const manifestPath = join(options.outDir, "manifest.json");
  writeFileSync(manifestPath, `${JSON.stringify(wrapper, null, "\t")}\n`);
  const args = [...(options.debug ? ["-d"] : []), "-p", options.platform, "-o", options.outDir, ...(options.args ?? []), manifestPath];
  const result = spawnSync(join(sdk.bin, "mcconfig"), args, { cwd: options.outDir, env: { ...sdk.env, ...options.env }, encoding: "utf8" });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || /^# error|error:/im.test(result.stderr)) throw new BuildFailed(`mcconfig ${args.join(" ")}`, output);
  // mcconfig writes its makefile in <out>/tmp/lin/mc/<debug|release>/<NAME> or <out>/tmp/esp32/<board>/<debug|release>/<NAME>.
  const variant = options.debug ? "debug" : "release";
  const found = findMakefile(join(options.outDir, "tmp"), variant);
  if (found === null) throw new BuildFailed(`mcconfig ${args.join(" ")} (no makefile written)`, output);
  return found;
}

function findMakefile(dir: string, variant: string): string | null {
  if (!existsSync(dir)) return null;
  if (existsSync(join(dir, "makefile")) && dir.endsWith(`${sep}${variant}${sep}ess-gateway`)) return dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const found = findMakefile(join(dir, entry.name), variant);
    if (found !== null) return found;
  }
  return null;
}

/** Runs `make <targets>` in the makefile's directory; returns everything it printed. */
export function make(sdk: Sdk, makeDir: string, targets: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync("make", ["-C", makeDir, ...targets], { env: { ...sdk.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new BuildFailed(`make ${targets.join(" ")}`, output);
  return output;
}

/** What xsl printed while linking and preloading: its summary line and warnings. */
export interface LinkReport {
  /** "### 3590 instances, 3993 keys, 67 colors, 0 holes" */
  summary: string;
  warnings: string[];
  /** Warnings about our own modules ("gateway" and the boards' modules), the ones we answer for. */
  ourWarnings: string[];
}

const OUR_MODULES = /^### warning: (gateway|embedded:provider\/builtin|flash|esp32\/ota-state|esp32\/hal-native|sim\/[\w-]+|main)[:\s]/;

export function linkReport(output: string): LinkReport {
  const lines = output.split("\n");
  const warnings = lines.filter((line) => line.startsWith("### warning"));
  return {
    summary: lines.find((line) => /^### \d+ instances/.test(line)) ?? "",
    warnings,
    ourWarnings: warnings.filter((line) => OUR_MODULES.test(line)),
  };
}
