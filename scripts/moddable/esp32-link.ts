/**
 * `npm run moddable:esp32`: everything `mcconfig -p esp32/<board>` does that runs without ESP-IDF, with the SDK at
 * $MODDABLE: the rollup bundle, mcconfig for the board (manifest resolution, sdkconfig, partitions, makefile), and
 * the makefile's XS targets: xsc (every module compiled), xsid, and xsl (link with the real esp32 module set and the
 * gateway preloaded, producing mc.xs.c, the preloaded heap as C). It prints xsl's warnings and the size of what was
 * preloaded, and one JSON line; exit 0 only when every step succeeded.
 *
 *   npm run moddable:esp32 [-- --board esp32-rs485] [--release]
 *
 * What it cannot do here (no ESP-IDF, no Xtensa compiler): compile the C (XS, the SDK's modules,
 * hal/moddable/native/*.c, mc.xs.c), link the ELF, or flash. docs/boards.md says how to do those on a machine with
 * ESP-IDF.
 *
 * Two workarounds, both only so that the makefile can be parsed without ESP-IDF: the makefile reads ESP-IDF's
 * version with `git describe` in $IDF_PATH when it is read, so IDF_PATH points at an empty git repository tagged
 * with the version the SDK expects (build/devices/esp32/manifest.json EXPECTED_ESP_IDF); and `SDKCONFIG_H=` drops
 * the xsl target's dependency on the header that only ESP-IDF's CMake generates. mcconfig lowercases its whole -p
 * argument, so the board directory is reached through a lowercase symlink.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BuildFailed, bundle, configure, linkReport, make, ROOT } from "./build";
import { findSdk, ToolMissing } from "./sdk";

const USAGE = `usage: npm run moddable:esp32 -- [--board NAME] [--release] [--quiet]
  --board NAME   a board directory under boards/ (default esp32-rs485)
  --release      a release build (default: debug, as -d)
  --quiet        print only the summary and the JSON line, not every warning`;

function fail(message: string, code: number): never {
  console.error(`moddable:esp32: ${message}`);
  process.exit(code);
}

function options() {
  try {
    return parseArgs({ options: { board: { type: "string" }, release: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean" } }, strict: true }).values;
  } catch (error) {
    fail(`${(error as Error).message.split("\n")[0]} (see --help)`, 2);
  }
}

/** An empty git repository whose `git describe` is the ESP-IDF version the SDK expects. */
function stubIdfPath(sdkRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(sdkRoot, "build", "devices", "esp32", "manifest.json"), "utf8")) as { build?: { EXPECTED_ESP_IDF?: string } };
  const version = manifest.build?.EXPECTED_ESP_IDF ?? "v5.4";
  const dir = join(tmpdir(), `ess-gateway-idf-stub-${version}`);
  if (!existsSync(join(dir, ".git"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const git = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.email=stub@localhost", "-c", "user.name=stub", ...args], { stdio: "ignore" });
    git("init", "-q");
    git("commit", "-q", "--allow-empty", "-m", "stub: only for git describe");
    git("tag", version);
  }
  return dir;
}

/** preloaded-heap figures read from mc.xs.c's defines and code arrays. */
function romFigures(mcXsC: string): Record<string, number> {
  const text = readFileSync(mcXsC, "utf8");
  const define = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(text)?.[1] ?? NaN);
  let codeBytes = 0;
  const seen = new Set<string>();
  for (const match of text.matchAll(/static const txU1 (gxCode\d+)\[(\d+)\]/g)) {
    if (seen.has(match[1])) continue;
    seen.add(match[1]);
    codeBytes += Number(match[2]);
  }
  // Most functions' byte code is inline in the heap slots, as C string literals of \xNN escapes.
  for (const match of text.matchAll(/\.code = \{ \(txByte\*\)"((?:\\x[0-9a-f]{2})*)"/g)) codeBytes += match[1].length / 4;
  const heapSlots = define("mxHeapCount");
  return {
    preloadedSlots: heapSlots,
    /** 16 bytes per slot on the ESP32 */
    preloadedSlotBytesEsp32: heapSlots * 16,
    aliasableObjects: define("mxAliasCount"),
    keys: define("mxKeysCount"),
    byteCodeBytes: codeBytes,
    mcXsCBytes: statSync(mcXsC).size,
  };
}

function main(): void {
  const o = options();
  if (o.help) {
    console.log(USAGE);
    return;
  }
  const board = o.board ?? "esp32-rs485";
  if (!/^[a-z0-9_-]+$/.test(board)) fail(`--board must be a lowercase directory name under boards/, got "${board}"`, 2);
  const boardDir = join(ROOT, "boards", board);
  if (!existsSync(join(boardDir, "manifest.json"))) fail(`no board at ${boardDir} (no manifest.json)`, 2);
  let sdk;
  try {
    sdk = findSdk();
  } catch (error) {
    if (error instanceof ToolMissing) fail(error.message, 2);
    throw error;
  }
  const link = join(tmpdir(), "ess-gateway-boards", board);
  mkdirSync(join(tmpdir(), "ess-gateway-boards"), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(boardDir, link);
  const outDir = join(ROOT, "build", "moddable", `esp32-${board}`);
  const idf = { IDF_PATH: stubIdfPath(sdk.root) };
  try {
    console.log(`moddable:esp32: rollup, mcconfig ${o.release ? "" : "-d "}-p esp32:${link}, make (xsc, xsid, xsl only)`);
    bundle();
    const makeDir = configure(sdk, { platform: `esp32:${link}`, outDir, debug: !o.release, env: idf });
    const mcXsC = join(makeDir, "mc.xs.c");
    rmSync(mcXsC, { force: true });
    const output = make(sdk, makeDir, ["SDKCONFIG_H=", mcXsC], idf);
    const report = linkReport(output);
    if (!existsSync(mcXsC)) throw new BuildFailed("xsl (no mc.xs.c written)", output);
    if (!o.quiet) for (const line of report.warnings) console.log(line);
    const figures = romFigures(mcXsC);
    console.log(`moddable:esp32: xsl ${report.summary.replace(/^### /, "")}`);
    console.log(`moddable:esp32: ${report.warnings.length} xsl warnings, ${report.ourWarnings.length} about our modules; preloaded ${figures.preloadedSlots} slots (${figures.preloadedSlotBytesEsp32} B on ESP32) + ${figures.byteCodeBytes} B byte code, ${figures.aliasableObjects} aliasable objects`);
    console.log(JSON.stringify({ moddable_esp32: "linked", board, debug: !o.release, errors: 0, warnings: report.warnings.length, ourWarnings: report.ourWarnings.length, ...figures }));
  } catch (error) {
    if (error instanceof BuildFailed) {
      console.error(error.output.split("\n").filter((line) => !line.startsWith("# xs")).slice(-40).join("\n"));
      console.log(JSON.stringify({ moddable_esp32: "failed", board, step: error.step, errors: 1 }));
      fail(`${error.step} failed (its last lines are above)`, 1);
    }
    throw error;
  }
}

main();
