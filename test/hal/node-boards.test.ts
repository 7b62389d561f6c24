/**
 * The board files are data the build and the HALs rely on: check them like code. Partition table (alignment,
 * overlap, required slots, store size shared with the host board), the manifest's gateway config (accepted by
 * resolveConfig as mcconfig would merge it), the board's pins, the XS memory budget, and that every module the
 * device bundle imports is one the manifest provides.
 */
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveConfig } from "../../src/config/gateway-config";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readJson = (path: string): any => JSON.parse(readFileSync(root + path, "utf8"));

const FLASH_BYTES = 0x400000;

interface Partition {
  name: string;
  type: string;
  subtype: string;
  offset: number;
  size: number;
}

function partitions(): Partition[] {
  const rows: Partition[] = [];
  for (const raw of readFileSync(root + "boards/esp32-rs485/sdkconfig/partitions.csv", "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [name, type, subtype, offset, size] = line.split(",").map((cell) => cell.trim());
    rows.push({ name, type, subtype, offset: Number(offset), size: Number(size) });
  }
  return rows;
}

test("partition table: required partitions, aligned, contiguous, inside 4 MB", (t) => {
  const table = partitions();
  const byName = new Map(table.map((p) => [p.name, p]));
  for (const name of ["nvs", "otadata", "ota_0", "ota_1", "store"]) t.true(byName.has(name), `partition ${name}`);
  t.is(byName.get("otadata")!.size, 0x2000);
  t.is(byName.get("ota_0")!.size, byName.get("ota_1")!.size, "both OTA slots take the same image");
  let end = 0x9000;
  for (const p of table) {
    t.false(Number.isNaN(p.offset) || Number.isNaN(p.size), `${p.name}: explicit offset and size`);
    t.is(p.offset, end, `${p.name} starts where the previous ends (no gap, no overlap)`);
    t.is(p.offset % (p.type === "app" ? 0x10000 : 0x1000), 0, `${p.name} aligned`);
    t.is(p.size % 0x1000, 0, `${p.name} size in whole sectors`);
    end = p.offset + p.size;
  }
  t.true(end <= FLASH_BYTES, `table ends at 0x${end.toString(16)}`);
  const store = byName.get("store")!;
  t.is(store.type, "data");
  t.true(store.size >= 64 * 1024, "store of 64 KiB or more");
});

test("the host board simulates the device's store and OTA slot sizes", (t) => {
  const host = readJson("boards/host/config.json");
  const table = new Map(partitions().map((p) => [p.name, p]));
  const store = host.partitions.store;
  t.is(store.sectorCount * store.sectorSize, table.get("store")!.size);
  t.is(host.ota.slotBytes, table.get("ota_0")!.size);
  t.is(resolveConfig(host.config).board, "host");
});

test("manifest config merged over the board's, as mcconfig does, is a valid gateway config", (t) => {
  const manifest = readJson("manifest.json");
  const board = readJson("boards/esp32-rs485/manifest.json");
  // mcconfig merges included manifests first and the including one last, object by object.
  const merge = (base: any, over: any): any => {
    const out = { ...base };
    for (const key of Object.keys(over)) {
      out[key] = typeof out[key] === "object" && typeof over[key] === "object" ? merge(out[key], over[key]) : over[key];
    }
    return out;
  };
  const config = resolveConfig(merge(board.config, manifest.config));
  t.is(config.board, "esp32-rs485");
  t.is(config.rs485.port, "rs485");
  t.is(config.store.partition, "store");
  t.deepEqual(manifest.defines.ota, { autosplit: 1 });
  t.deepEqual(manifest.modules, { gateway: "./dist/device/gateway", main: "./device/main" });
  for (const path of ["device/main.js", "boards/esp32-rs485/host/provider.js", "hal/moddable/native/ota-state.c", "hal/moddable/native/hal-native.c"]) {
    t.true(existsSync(root + path), path);
  }
});

test("XS memory budget: fixed heaps, within the SDK's ESP32 default total", (t) => {
  const { creation } = readJson("manifest.json");
  t.is(creation.static, 0);
  t.is(creation.chunk.incremental, 0);
  t.is(creation.heap.incremental, 0);
  t.is(creation.keys.incremental, 0);
  const total = creation.chunk.initial + creation.heap.initial * 16 + creation.stack * 16;
  // 78,848 B chunk + 4,928 slots + 512 stack slots: what the SDK's ESP32 targets give JavaScript next to Wi-Fi.
  const sdkDefault = 78_848 + 4_928 * 16 + 512 * 16;
  t.true(total <= sdkDefault, `${total} B <= ${sdkDefault} B`);
});

test("board pins: the RS-485 port named by the config exists, pins are usable outputs and distinct", (t) => {
  // Evaluate the provider with its imports stubbed: only its data matters here.
  const source = readFileSync(root + "boards/esp32-rs485/host/provider.js", "utf8")
    .replace(/^import .*$/gm, "")
    .replace("export default device;", "return device;");
  const device = new Function("Analog", "Digital", "DigitalBank", "I2C", "PWM", "Serial", source)({}, {}, {}, {}, {}, {});
  const rs485 = device.Serial.rs485;
  t.is(typeof rs485.port, "number");
  const outputs = [rs485.transmit, rs485.driverEnable, device.pin.led];
  const used = [...outputs, rs485.receive, device.I2C.default.data, device.I2C.default.clock];
  t.is(new Set(used).size, used.length, `distinct pins: ${used.join(", ")}`);
  for (const pin of used) t.false(pin >= 6 && pin <= 11, `GPIO ${pin} is not a flash pin`);
  for (const pin of outputs) t.false(pin >= 34, `GPIO ${pin} can drive an output (34-39 are inputs only)`);
  t.is(device.pin.rs485DriverEnable, rs485.driverEnable);
});

test("every module the device bundle imports is provided by the manifest", async (t) => {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [root + "src/app/device.ts"],
    bundle: true,
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [
      {
        name: "external-specifiers",
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
  });
  const imports = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) for (const entry of output.imports) imports.add(entry.path);
  // Specifier -> the manifest (included by manifest.json) that provides it.
  const provided: Record<string, string> = {
    "mc/config": "generated by mcconfig from config",
    timer: "build/devices/esp32/manifest.json",
    time: "build/devices/esp32/manifest.json",
    flash: "modules/files/flash/manifest.json",
    instrumentation: "modules/base/instrumentation/manifest.json",
    crypt: "modules/crypt/digest/manifest.json",
    Resource: "modules/files/resource/manifest.json",
    "embedded:io/serial": "modules/io/serial/manifest.json",
    "embedded:io/digital": "modules/io/digital/manifest.json",
    "embedded:io/socket/tcp": "modules/io/manifests/esp32/manifest.json",
    "embedded:io/socket/tcp/tls": "examples/io/tcp/tlssocket/manifest.json",
    "embedded:provider/builtin": "modules/io/manifests/esp32 ($(SUBPLATFORMDIRECTORY)/host/provider)",
    "esp32/ota-state": "hal/moddable/native/manifest.json",
    "esp32/hal-native": "hal/moddable/native/manifest.json",
  };
  const unknown = [...imports].filter((specifier) => !(specifier in provided));
  t.deepEqual(unknown, [], `imports nobody provides: ${unknown.join(", ")}`);
  t.true(imports.has("flash") && imports.has("crypt") && imports.has("embedded:provider/builtin"), `imports seen: ${[...imports].join(", ")}`);
  // The SDK's "system" exports nothing (it installs the System global): importing it fails to link.
  t.false(imports.has("system"), "the device bundle does not import the system module");
  const manifest = readFileSync(root + "manifest.json", "utf8");
  for (const path of ["modules/files/flash/manifest.json", "modules/base/instrumentation/manifest.json", "modules/crypt/digest/manifest.json", "modules/files/resource/manifest.json", "examples/io/tcp/tlssocket/manifest.json", "./hal/moddable/native/manifest.json", "modules/io/manifest.json"]) {
    t.true(manifest.includes(path), `manifest.json includes ${path}`);
  }
});

test("the simulator board (boards/sim) has the esp32 board's partitions and a config resolveConfig accepts", (t) => {
  const table = new Map(partitions().map((p) => [p.name, p]));
  const flashSource = readFileSync(root + "boards/sim/modules/flash.js", "utf8");
  const sizes = /const PARTITIONS = Object\.freeze\(\{([^}]*)\}/.exec(flashSource);
  t.truthy(sizes, "boards/sim/modules/flash.js declares its partition table");
  const declared = Object.fromEntries(
    [...sizes![1].matchAll(/(\w+):\s*([\w\s*]+)/g)].map(([, name, expression]) => [name, expression.split("*").reduce((product, factor) => product * Number(factor.trim() === "SECTOR" ? 4096 : factor), 1)]),
  );
  t.is(declared.store, table.get("store")!.size, "store");
  t.is(declared.nextota, table.get("ota_1")!.size, "the OTA slot");
  t.is(declared.running, table.get("ota_0")!.size, "the running slot");

  const manifest = readJson("manifest.json");
  t.is(manifest.platforms.lin.include, "./boards/sim/manifest.json", "-p lin builds with the simulator board");
  const sim = readJson("boards/sim/manifest.json");
  const layer: Record<string, unknown> = {};
  const merged = { ...sim.config, ...manifest.config, rs485: { ...sim.config.rs485 } };
  for (const key of ["device", "control", "site", "limits", "mqtt", "board", "store", "rs485"]) if (key in merged) layer[key] = merged[key];
  const resolved = resolveConfig(layer);
  t.is(resolved.board, "sim");
  t.is(resolved.rs485.port, "rs485");
  t.true(typeof sim.config.simDir === "string" && sim.config.simDir.endsWith("/"), "simDir is a directory path");
  for (const specifier of ["flash", "esp32/ota-state", "esp32/hal-native", "embedded:provider/builtin"]) t.true(specifier in sim.modules, `the simulator board provides ${specifier}`);
});
