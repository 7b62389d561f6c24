/**
 * hal/moddable/sdk-exports.json against what it describes:
 *  - our own modules it lists (hal/moddable/native, boards/*): their sources export what it says (always);
 *  - the SDK's modules: each source exists and exports what it says, members and globals appear, the manifests
 *    named put the module in the build, and modules listed absent on Linux are absent there (needs $MODDABLE:
 *    skipped, with a title that says so, when it is unset);
 *  - the fake worlds (test/hal/moddable-fakes, bundle.ts FAKE_MODULES): the same module set per platform, each with
 *    the same exports, members and globals, read off the modules as they run (always);
 *  - our ambient typings (hal/moddable/*.d.ts): they declare no module and no export the list does not have.
 */
import test from "ava";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { parseAst } from "rollup/parseAst";
import { bundleWithFakes, FAKE_MODULES, type FakePlatform } from "./moddable-fakes/bundle";
import { loadExportList, platformModules, REPO, scanSourceExports, sourceMentions, stripComments, type ModuleExports } from "./sdk-exports";

const list = loadExportList();
const PLATFORMS = Object.keys(list.platforms) as FakePlatform[];
const MODDABLE = process.env.MODDABLE;
const SDK = "$(MODDABLE)/";

function entries(): Array<{ specifier: string; platform: string; entry: ModuleExports }> {
  const result: Array<{ specifier: string; platform: string; entry: ModuleExports }> = [];
  for (const platform of PLATFORMS) for (const [specifier, entry] of platformModules(list, platform)) result.push({ specifier, platform, entry });
  return result;
}

function sorted(names: Iterable<string>): string[] {
  return [...names].sort();
}

/** Read a listed path: "$(MODDABLE)/..." from the SDK, anything else from the repo. */
function readListed(path: string): string {
  return readFileSync(path.startsWith(SDK) ? join(MODDABLE!, path.slice(SDK.length)) : REPO + path, "utf8");
}

function checkSource(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void }, label: string, text: string, entry: ModuleExports): void {
  if (entry.generated !== undefined) {
    t.true(text.includes(entry.generated), `${label}: the generator writes ${JSON.stringify(entry.generated)}`);
    return;
  }
  t.deepEqual(scanSourceExports(text), { default: entry.default, named: sorted(entry.named) }, `${label}: exports`);
  const base = entry.inherits === undefined ? "" : readListed(entry.inherits);
  for (const [name, shape] of Object.entries(entry.shape ?? {})) {
    for (const member of [...(shape.static ?? []), ...(shape.instance ?? [])]) t.true(sourceMentions(text, member) || sourceMentions(base, member), `${label}: ${name} has ${member}`);
  }
  for (const [global, members] of Object.entries(entry.globals ?? {})) {
    t.true(new RegExp(`globalThis\\.${global}\\s*=`).test(text), `${label}: installs globalThis.${global}`);
    if (Array.isArray(members)) for (const member of members) t.true(sourceMentions(text, member), `${label}: ${global}.${member}`);
  }
}

test("our own modules in the list (hal/moddable/native, boards/*) export what it says", (t) => {
  let checked = 0;
  for (const { specifier, platform, entry } of entries()) {
    if (entry.source.startsWith(SDK)) continue;
    const label = `${platform} ${specifier} (${entry.source})`;
    t.true(existsSync(REPO + entry.source), `${label}: source exists`);
    const text = readFileSync(REPO + entry.source, "utf8");
    checkSource(t, label, text, entry);
    if (!/\)\s*@\s*"/.test(text)) {
      // Standard JavaScript (no XS host functions): the parser's view must agree with the text scan.
      const body = (parseAst(text) as unknown as { body: Array<{ type: string; declaration?: { id?: { name: string }; declarations?: Array<{ id: { name: string } }> }; specifiers?: Array<{ exported: { name: string } }> }> }).body;
      const named = new Set<string>();
      let hasDefault = false;
      for (const node of body) {
        if (node.type === "ExportDefaultDeclaration") hasDefault = true;
        if (node.type !== "ExportNamedDeclaration") continue;
        if (node.declaration?.id) named.add(node.declaration.id.name);
        for (const d of node.declaration?.declarations ?? []) named.add(d.id.name);
        for (const s of node.specifiers ?? []) (s.exported.name === "default" ? (hasDefault = true) : named.add(s.exported.name));
      }
      t.deepEqual({ default: hasDefault, named: sorted(named) }, { default: entry.default, named: sorted(entry.named) }, `${label}: exports (parsed)`);
    }
    if (entry.manifest !== undefined && !entry.manifest.startsWith(SDK)) {
      const manifest = readFileSync(REPO + entry.manifest, "utf8");
      t.true(manifest.includes(`"${specifier}"`) || manifest.includes(entry.source.replace(/\.js$/, "").replace(/^.*\/(modules|host)\//, "$1/")), `${label}: ${entry.manifest} provides it`);
    }
    checked++;
  }
  t.true(checked >= 8, `checked ${checked}`);
});

test("the host providers' top-level keys are the list's (the HAL reads Serial, io and pin)", (t) => {
  for (const platform of PLATFORMS) {
    const entry = platformModules(list, platform).get("embedded:provider/builtin")!;
    const text = readFileSync(REPO + entry.source, "utf8");
    const body = /const device = (?:Object\.freeze\()?\{([\s\S]*?)\n\}/.exec(text);
    t.truthy(body, `${entry.source}: const device = {...}`);
    const keys = [...body![1].matchAll(/^\t(\w+):/gm)].map((m) => m[1]);
    t.deepEqual(sorted(keys), sorted(entry.shape!.default.static!), entry.source);
  }
});

if (MODDABLE) {
  test(`the SDK's modules in the list export what it says (SDK at ${MODDABLE})`, (t) => {
    let checked = 0;
    for (const { specifier, platform, entry } of entries()) {
      for (const path of [entry.source, entry.manifest]) {
        if (path === undefined || !path.startsWith(SDK)) continue;
        t.true(existsSync(join(MODDABLE, path.slice(SDK.length))), `${platform} ${specifier}: ${path} exists`);
      }
      if (!entry.source.startsWith(SDK)) continue;
      const label = `${platform} ${specifier} (${entry.source})`;
      checkSource(t, label, readFileSync(join(MODDABLE, entry.source.slice(SDK.length)), "utf8"), entry);
      if (entry.manifest?.startsWith(SDK)) {
        const manifest = readFileSync(join(MODDABLE, entry.manifest.slice(SDK.length)), "utf8");
        t.true(manifest.includes(`"${specifier}"`), `${label}: ${entry.manifest} names "${specifier}"`);
      }
      checked++;
    }
    t.true(checked >= 15, `checked ${checked}`);
  });

  test(`the SDK's manifests leave out on Linux what the list says is absent there (SDK at ${MODDABLE})`, (t) => {
    const manifest = (path: string): { platforms?: Record<string, { modules?: unknown }> } => JSON.parse(readFileSync(join(MODDABLE, path), "utf8"));
    for (const io of ["digital", "analog"]) t.deepEqual(manifest(`modules/io/${io}/manifest.json`).platforms?.lin, {}, `${io}: "lin": {}`);
    for (const io of ["i2c", "pwm"]) {
      const platforms = manifest(`modules/io/${io}/manifest.json`).platforms ?? {};
      t.false("lin" in platforms, `${io}: no lin platform`);
      t.true(!("..." in platforms) || platforms["..."].modules === undefined, `${io}: no fallback modules`);
    }
    t.false("lin" in (manifest("modules/files/flash/manifest.json").platforms ?? {}), "flash: no lin platform");
    const linSystem = readFileSync(join(MODDABLE, "modules/io/manifests/lin/system.js"), "utf8");
    t.false(/restart|deepSleep|globalThis\.device/.test(linSystem), "lin System: no restart, no deepSleep, no device global");
    for (const specifier of ["embedded:io/digital", "embedded:io/digitalbank", "embedded:io/analog", "embedded:io/i2c", "embedded:io/pwm", "file", "sim/rs485-tty"]) {
      t.true(typeof list.modules[specifier][platformModules(list, "lin").has(specifier) ? "lin" : "esp32"] === "object", specifier);
    }
  });
} else {
  test.skip("the SDK's modules in the list export what it says: SKIPPED, $MODDABLE is not set (no SDK on this machine)", () => {});
  test.skip("the SDK's manifests leave out on Linux what the list says is absent there: SKIPPED, $MODDABLE is not set", () => {});
}

/** What each module of a fake world exports, as it runs: namespace keys, members, and the globals the preload left. */
async function probe(platform: FakePlatform): Promise<{ modules: Record<string, { exports: string[]; shape: Record<string, { static: string[]; instance: string[] }> }>; globals: Record<string, string[]> }> {
  const dir = mkdtempSync(join(tmpdir(), "fake-probe-"));
  try {
    const specifiers = Object.keys(FAKE_MODULES[platform]);
    const entry = join(dir, "probe.js");
    writeFileSync(
      entry,
      [
        ...specifiers.map((specifier, i) => `import * as m${i} from ${JSON.stringify(specifier)};`),
        `const modules = { ${specifiers.map((specifier, i) => `${JSON.stringify(specifier)}: m${i}`).join(", ")} };`,
        // A function's own length and name, unless a static member of that name replaced them (Instrumentation.name).
        `const builtin = { length: "number", name: "string", prototype: "object", caller: "object", arguments: "object" };`,
        `const own = (o) => Object.getOwnPropertyNames(o).filter((n) => n !== "constructor" && !(typeof o === "function" && n in builtin && typeof Object.getOwnPropertyDescriptor(o, n).value === builtin[n]));`,
        `function members(value) {`,
        `  if (typeof value !== "function") return { static: value && typeof value === "object" ? Object.keys(value) : [], instance: [] };`,
        `  const instance = new Set();`,
        `  for (let p = value.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const n of own(p)) instance.add(n);`,
        `  return { static: own(value), instance: [...instance] };`,
        `}`,
        `const out = { modules: {}, globals: {} };`,
        `for (const [specifier, ns] of Object.entries(modules)) {`,
        `  const shape = {};`,
        `  for (const name of Object.keys(ns)) shape[name] = members(ns[name]);`,
        `  out.modules[specifier] = { exports: Object.keys(ns), shape };`,
        `}`,
        `for (const name of ["System", "device"]) if (name in globalThis) out.globals[name] = name === "System" ? own(globalThis.System).filter((n) => typeof globalThis.System[n] === "function") : Object.keys(globalThis.device);`,
        `globalThis.probeResult = JSON.stringify(out);`,
      ].join("\n"),
    );
    const code = await bundleWithFakes(entry, { simDir: "/tmp/ess-gateway-sim/" }, { platform });
    const context: Record<string, unknown> = { TextEncoder, TextDecoder };
    runInNewContext(code, context);
    return JSON.parse(context.probeResult as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const platform of PLATFORMS) {
  test(`the ${platform} fake world has the list's modules, exports, members and globals`, async (t) => {
    const listed = platformModules(list, platform);
    t.deepEqual(sorted(Object.keys(FAKE_MODULES[platform])), sorted(listed.keys()), "FAKE_MODULES and the list name the same modules");
    const { modules, globals } = await probe(platform);
    for (const [specifier, entry] of listed) {
      const fake = modules[specifier];
      if (!fake) continue;
      const label = `${platform} ${specifier} (${FAKE_MODULES[platform][specifier].replace(REPO, "")})`;
      t.deepEqual(sorted(fake.exports), sorted([...(entry.default ? ["default"] : []), ...entry.named]), `${label}: exports`);
      for (const [name, shape] of Object.entries(entry.shape ?? {})) {
        if (shape.static) t.deepEqual(sorted(fake.shape[name]?.static ?? []), sorted(shape.static), `${label}: ${name} static members`);
        if (shape.instance) t.deepEqual(sorted(fake.shape[name]?.instance ?? []), sorted(shape.instance), `${label}: ${name} instance members`);
      }
    }
    const system = listed.get("system")!;
    const expected: Record<string, string[]> = {};
    for (const [name, members] of Object.entries(system.globals ?? {})) expected[name] = Array.isArray(members) ? sorted(members) : sorted(listed.get("embedded:provider/builtin")!.shape!.default.static!);
    t.deepEqual(Object.fromEntries(Object.entries(globals).map(([name, members]) => [name, sorted(members)])), expected, `${platform}: globals the system preload installed`);
  });
}

/** `declare module "x" { ... }` blocks of a .d.ts, with their runtime exports (interfaces and types are not). */
function declaredModules(text: string): Map<string, { default: boolean; named: string[] }> {
  const result = new Map<string, { default: boolean; named: string[] }>();
  text = stripComments(text);
  for (const match of text.matchAll(/declare module "([^"]+)" \{/g)) {
    let depth = 0;
    let end = match.index! + match[0].length - 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    const body = text.slice(match.index! + match[0].length, end);
    const named = [...body.matchAll(/^\s*export\s+(?:declare\s+)?(?:class|function|const|let|var)\s+(\w+)/gm)].map((m) => m[1]);
    result.set(match[1], { default: /^\s*export\s+default\b/m.test(body), named: [...new Set(named)] });
  }
  return result;
}

test("our ambient typings (hal/moddable/*.d.ts) declare no module or export the list does not have", (t) => {
  const declared = new Map<string, { default: boolean; named: string[]; file: string }>();
  for (const file of readdirSync(REPO + "hal/moddable").filter((name) => name.endsWith(".d.ts"))) {
    for (const [specifier, exports] of declaredModules(readFileSync(REPO + "hal/moddable/" + file, "utf8"))) declared.set(specifier, { ...exports, file });
  }
  t.true(declared.has("timer") && declared.has("embedded:io/serial"), [...declared.keys()].join(", "));
  t.false(declared.has("system"), `"system" stays undeclared: any declaration of it lets tsc accept import System from "system"`);
  for (const [specifier, exports] of declared) {
    const on = PLATFORMS.filter((platform) => platformModules(list, platform).has(specifier));
    t.true(on.length > 0, `${exports.file} declares "${specifier}", which no platform has`);
    for (const platform of on) {
      const entry = platformModules(list, platform).get(specifier)!;
      if (exports.default) t.true(entry.default, `${exports.file}: "${specifier}" has no default export on ${platform}`);
      for (const name of exports.named) t.true(entry.named.includes(name), `${exports.file}: "${specifier}" exports no ${name} on ${platform}`);
    }
  }
});
