/** The unchanged core on the simulated HAL, in the real XS engine. */
import test from "ava";
import { startXsWithScript } from "../helpers/xs";
import { HAL_ONLY, MISSING_ON_XS, findForbidden, importedSpecifiers, listSourceFiles, readText } from "../helpers/forbidden-apis";

const APP_BUNDLE = "dist/xs/app.js";
const DEVICE_BUNDLE = "dist/device/gateway.js";

interface HarnessStatus {
  status: { ticks: number; uptimeMs: number; overruns: number; counters: Record<string, number> };
  log: string[];
}

test("the app boots and ticks in XS for 60 simulated seconds", async (t) => {
  const { xs } = await startXsWithScript(APP_BUNDLE);
  try {
    const probe = await xs.run(`issueCommand(new TextEncoder().encode(JSON.stringify([typeof Intl, typeof process, typeof Buffer, typeof setTimeout])).buffer)`);
    t.deepEqual(probe.replies[0], ["undefined", "undefined", "undefined", "undefined"], "the engine really lacks the Node/Intl APIs");
    await xs.run(`harness.boot(${JSON.stringify(JSON.stringify({ control: { periodMs: 250 } }))}, 7, false)`);
    await xs.run("harness.runFor(60000)");
    const { replies } = await xs.run("harness.status()");
    const { status, log } = replies[0] as HarnessStatus;
    t.is(status.ticks, 240);
    t.is(status.uptimeMs, 60_000);
    t.is(status.overruns, 0);
    t.deepEqual(status.counters, {});
    t.regex(log[0], /boot: board host fw .* store 16x4096B tick 250ms/);
  } finally {
    await xs.close();
  }
});

test("the steady-state tick allocates zero heap slots in XS, and the measurement does see allocation", async (t) => {
  const { xs } = await startXsWithScript(APP_BUNDLE);
  try {
    await xs.run(`harness.boot("{}", 1, false)`);
    await xs.run("harness.ticks(100)"); // warm up: first-call caches, lazily built shapes
    const idle = await xs.measure("harness.ticks(0)", "harness.ticks(1000)");
    t.is(idle.heapSlots, 0, "idle ticks allocate nothing");
    t.true(idle.steps > 0);
    await xs.run("harness.addAllocatingService()");
    const allocating = await xs.measure("harness.ticks(0)", "harness.ticks(1000)");
    t.true(allocating.heapSlots >= 1000, `an allocating service shows up: ${allocating.heapSlots} slots`);
  } finally {
    await xs.close();
  }
});

test("the bundles use no API that XS on the device lacks", (t) => {
  for (const bundle of [DEVICE_BUNDLE, APP_BUNDLE]) {
    t.deepEqual(findForbidden(readText(bundle), MISSING_ON_XS), [], bundle);
  }
  // The scanner itself must be able to fail.
  t.is(findForbidden("const f = new Intl.DateTimeFormat();\n", MISSING_ON_XS).length, 1);
  t.is(findForbidden("// Intl is not used here\nconst x = 1;\n", MISSING_ON_XS).length, 0);
});

test("the device bundle imports only Moddable modules", (t) => {
  const specifiers = importedSpecifiers(readText(DEVICE_BUNDLE));
  // The SDK modules the bundle may import (their exports are checked by test/hal/sdk-imports.test.ts).
  const sdkModules = new Set(Object.keys(JSON.parse(readText("hal/moddable/sdk-exports.json")).modules));
  t.deepEqual(specifiers.filter((specifier) => !sdkModules.has(specifier)), []);
  t.true(specifiers.includes("mc/config"));
  t.deepEqual(importedSpecifiers(`import x from "node:fs";\nimport "y";\n`), ["node:fs", "y"]);
});

test("the device bundle calls nothing named native(): Moddable's xsc reads native(\"...\") as a host-function binding", (t) => {
  // xsc refuses the build ("native: argument is no string literal") when a local named `native` is called.
  const calls = readText(DEVICE_BUNDLE).split("\n").filter((line) => /(^|[^\w$.])native\s*\(/.test(line));
  t.deepEqual(calls, []);
  t.true(/(^|[^\w$.])native\s*\(/.test("  return native(data);"), "the check sees such a call");
});

test("the core reads the clock and randomness only through the HAL", (t) => {
  const hits: string[] = [];
  for (const file of listSourceFiles("src")) {
    for (const hit of findForbidden(readText(file), [...MISSING_ON_XS, ...HAL_ONLY])) hits.push(`${file}: ${hit}`);
  }
  t.deepEqual(hits, []);
  t.is(findForbidden("const t = Date.now();", HAL_ONLY).length, 1);
});

test("the whole firmware (store, MQTT link, protocols, control, scheduler) boots in XS and its tick allocates nothing", async (t) => {
  const { xs } = await startXsWithScript(APP_BUNDLE);
  try {
    await xs.run(`harness.bootFirmware("{}", 3, false)`);
    await xs.run("harness.runFor(30000)");
    const { replies } = await xs.run("harness.status()");
    const { status, log } = replies[0] as HarnessStatus;
    t.is(status.ticks, 120);
    t.is(status.counters.control_cycles, 120);
    t.true(status.counters.mqtt_connect_failures > 0, "no broker in this run: the link keeps retrying, counted");
    t.true(log.some((line) => line.includes("store: opened: 0 strategies, 0 tasks")));
    const idle = await xs.measure("harness.ticks(0)", "harness.ticks(1000)");
    t.is(idle.heapSlots, 0);
  } finally {
    await xs.close();
  }
});

test("controlling a simulated site (meter and PCS over Modbus, a strategy in force), the firmware allocates nothing in XS", async (t) => {
  const { xs } = await startXsWithScript(APP_BUNDLE);
  try {
    // The link stays offline and does not retry inside the measured window (its reconnect backoff is 10 minutes).
    const config = { rs485: { port: 1, baud: 19200 }, mqtt: { reconnectMinMs: 600000, reconnectMaxMs: 600000 } };
    const site = readText("boards/host/site.json");
    const create = readText("docs/examples/spec-000/create.json");
    const { replies } = await xs.run(`harness.bootControlledSite(${JSON.stringify(JSON.stringify(config))}, 1, ${JSON.stringify(site)}, ${JSON.stringify(create)})`);
    t.is((replies[0] as { code: number }).code, 200, JSON.stringify(replies[0]));
    await xs.run("harness.runFor(20000)"); // take over the site, settle
    const controlled = (await xs.run("harness.siteStatus()")).replies[0] as { gridW: number; essW: number; cycles: number; groups: number };
    t.is(controlled.groups, 1);
    t.true(controlled.essW < 0 && controlled.gridW > 0, `battery absorbs the PV surplus: ${JSON.stringify(controlled)}`);
    const steady = await xs.measure("harness.runFor(0)", "harness.runFor(30000)");
    t.is(steady.heapSlots, 0, "120 control cycles with Modbus traffic, the scheduler, the OTA and settings services");
    t.log(`30 s of a controlled site: ${steady.steps} XS steps (${Math.round(steady.steps / 120)} per 250 ms tick, simulated slaves included)`);
  } finally {
    await xs.close();
  }
});
