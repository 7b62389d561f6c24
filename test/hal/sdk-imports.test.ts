/**
 * The device bundle imports only what the Moddable builds have: every import of dist/device/gateway.js (built by
 * rollup before the tests) is checked against hal/moddable/sdk-exports.json on each platform the firmware is built
 * for (ESP32, the Linux simulator). A module that is not in the build, a default import from a module that has
 * none (`import System from "system"`), a named import it does not export: each fails to link with the real SDK
 * (xsl) and passes tsc and every proxy that takes our own typings at their word. No SDK needed.
 */
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { checkImports, importsOf, loadExportList, REPO } from "./sdk-exports";

const list = loadExportList();
const BUNDLE = REPO + "dist/device/gateway.js";

test("the device bundle's imports are all in hal/moddable/sdk-exports.json, on ESP32 and on the Linux simulator", (t) => {
  t.true(existsSync(BUNDLE), "dist/device/gateway.js is missing: run `npx rollup -c` first (npm test does)");
  const code = readFileSync(BUNDLE, "utf8");
  const uses = importsOf(code);
  const modules = new Set(uses.map((use) => use.module));
  t.log(`imports: ${[...modules].sort().join(", ")}`);
  // The bundle has imports at all (a parse that saw none would pass anything).
  for (const specifier of ["mc/config", "timer", "time", "flash", "embedded:io/socket/tcp", "embedded:provider/builtin"]) t.true(modules.has(specifier), specifier);
  t.deepEqual(checkImports(code, list, ["esp32", "lin"]), []);
});

test("the checker refuses a default import from `system` (it exports nothing; it installs the System global)", (t) => {
  const problems = checkImports(`import System from "system";\nSystem.restart();\n`, list);
  t.is(problems.length, 2, problems.join("\n"));
  t.regex(problems[0], /^esp32, line 1: import default from "system" \(\$\(MODDABLE\)\/modules\/io\/system\/system\.js\): it has no default export \(named: none; its body installs the globals System, device\)$/);
  t.regex(problems[1], /^lin, line 1: import default from "system" .*installs the global System\)$/);
  t.deepEqual(checkImports(`import "system";\n`, list), [], "importing it for its side effect links (the SDK preloads it anyway)");
});

test("the checker refuses modules a platform does not have, and names the platform", (t) => {
  const problems = checkImports(`import Digital from "embedded:io/digital";\nimport x from "nope";\n`, list);
  t.deepEqual(problems, [
    `esp32, line 2: module "nope" does not exist on esp32`,
    `lin, line 1: module "embedded:io/digital" does not exist on lin (absent: modules/io/digital/manifest.json has "lin": {})`,
    `lin, line 2: module "nope" does not exist on lin`,
  ]);
  t.deepEqual(checkImports(`import Digital from "embedded:io/digital";\n`, list, ["esp32"]), []);
});

test("the checker refuses named imports and namespace members a module does not export", (t) => {
  t.deepEqual(checkImports(`import { Digest } from "crypt";\nimport { fillRandom } from "esp32/hal-native";\n`, list), []);
  const problems = checkImports(`import { Sha256 } from "crypt";\nimport * as ota from "esp32/ota-state";\nota.markValid();\nota.confirm();\nota["rollback"]();\n`, list, ["esp32"]);
  t.deepEqual(problems, [
    `esp32, line 1: import { Sha256 } from "crypt" ($(MODDABLE)/modules/crypt/digest/crypt.js): it exports no "Sha256" (named: Digest, GHASH, BlockCipher, StreamCipher, Mode; default: true)`,
    `esp32, line 4: confirm of import * from "esp32/ota-state" (hal/moddable/native/ota-state.js): it exports no "confirm" (named: pendingVerify, markValid, rollback, bootNext, retryRunning)`,
  ]);
  t.deepEqual(checkImports(`import { Thing } from "time";\n`, list, ["lin"]), [
    `lin, line 1: import { Thing } from "time" ($(MODDABLE)/modules/base/time/time.js): it exports no "Thing" (named: none; default: true)`,
  ]);
  t.deepEqual(checkImports(`export { default as T, Digest } from "crypt";\nexport { Nope } from "crypt";\n`, list, ["esp32"]), [
    `esp32, line 2: import { Nope } from "crypt" ($(MODDABLE)/modules/crypt/digest/crypt.js): it exports no "Nope" (named: Digest, GHASH, BlockCipher, StreamCipher, Mode; default: true)`,
  ]);
});

test("the checker refuses members outside a default export's listed statics, and dynamic imports", (t) => {
  t.deepEqual(checkImports(`import Time from "time";\nTime.delta(Time.ticks);\n`, list), []);
  t.deepEqual(checkImports(`import Time from "time";\nconst us = Time.microseconds;\n`, list, ["esp32"]), [
    `esp32, line 2: .microseconds of the default export of "time" ($(MODDABLE)/modules/base/time/time.js): not one of its members (set, timezone, dst, ticks, delta)`,
  ]);
  t.deepEqual(checkImports(`export async function f() { return import("timer"); }\n`, list, ["lin"]), [`lin, line 1: dynamic import of timer: the Moddable linker only sees static imports`]);
});

test("the checker tells a local of the same name from the import (rollup renames only module-scope clashes)", (t) => {
  const code = [
    `import device from "embedded:provider/builtin";`,
    `export function a(device) { return device.tag; }`,
    `export function b() { const device = {}; return device.uid; }`,
    `export function c() { for (const device of []) device.x; try {} catch (device) { device.y; } }`,
    `export function d() { if (1) { var device = 2; } return device.z; }`,
    `export function e() { return device.Serial ?? device.nope; }`,
  ].join("\n");
  t.deepEqual(checkImports(code, list, ["lin"]), [
    `lin, line 6: .nope of the default export of "embedded:provider/builtin" (boards/sim/host/provider.js): not one of its members (Serial, io, pin)`,
  ]);
});
