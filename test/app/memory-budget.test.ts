/**
 * Does the firmware fit the ESP32's fixed memory? The device config (manifest `config` over the board's) boots the
 * whole firmware; its fixed buffers (typed arrays: the XS chunk heap) and its live objects (XS heap slots, measured in
 * the real engine) must leave room, within the manifest's `creation` budget, for command-rate work (parsing a
 * platform command, building a reply).
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { createSimHal } from "../../hal/sim/index";
import { bootFirmware } from "../../src/app/firmware";
import { resolveConfig } from "../../src/config/gateway-config";
import { typedArrayBytesDuring } from "../helpers/typed-array-census";
import { startXsWithScript } from "../helpers/xs";

/**
 * Kept free for one command at a time. Chunks: its JSON text plus the reply text, two packets' worth. Slots: what
 * parsing the spec's largest example and building its reply take in XS, measured below, twice over.
 */
const PACKET_BYTES = JSON.parse(readFileSync("manifest.json", "utf8")).config.mqtt.maxPacketBytes as number;
const CHUNK_RESERVE_BYTES = 2 * PACKET_BYTES;

function deviceConfigLayer(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync("manifest.json", "utf8"));
  const board = JSON.parse(readFileSync("boards/esp32-rs485/manifest.json", "utf8"));
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const key of Object.keys(over)) {
      const a = out[key];
      const b = over[key];
      out[key] = a && b && typeof a === "object" && typeof b === "object" ? merge(a as Record<string, unknown>, b as Record<string, unknown>) : b;
    }
    return out;
  };
  // The host simulation has no "rs485" port name: keep the board's baud, use the simulated bus.
  const layer = merge(board.config, manifest.config);
  (layer.rs485 as Record<string, unknown>).port = 1;
  return layer;
}

const creation = JSON.parse(readFileSync("manifest.json", "utf8")).creation;

test("the device config's fixed buffers fit the chunk budget with room for a command", (t) => {
  const config = resolveConfig(deviceConfigLayer());
  const sim = createSimHal({ seed: 1, partitions: { store: { sectorCount: 96 } } });
  const bytes = typedArrayBytesDuring(() => bootFirmware(sim, config));
  t.log(`fixed buffers at boot: ${bytes} B of a ${creation.chunk.initial} B chunk heap`);
  t.true(bytes <= creation.chunk.initial - CHUNK_RESERVE_BYTES, `${bytes} B`);
  // The census sees allocation: the host defaults (256 tasks, 64 strategies, larger MQTT pools) do not fit.
  const hostBytes = typedArrayBytesDuring(() => bootFirmware(createSimHal({ seed: 1 }), resolveConfig()));
  t.true(hostBytes > creation.chunk.initial, `host defaults: ${hostBytes} B`);
});

test("the device config's live objects after boot fit the XS heap-slot budget with room for a command", async (t) => {
  const { xs } = await startXsWithScript("dist/xs/app.js");
  try {
    const before = (await xs.run("gc()")).heapSlots;
    await xs.run(`harness.bootFirmware(${JSON.stringify(JSON.stringify(deviceConfigLayer()))}, 1, false)`);
    const after = (await xs.run("gc()")).heapSlots;
    const slots = after - before;
    // The command-rate peak: parse the spec's largest example (a strategy list) and stringify it back.
    const examples = JSON.parse(readFileSync("test/protocol/fixtures/spec-000-examples.json", "utf8")).examples as { payload: unknown }[];
    const largest = examples.map((e) => JSON.stringify(e.payload)).sort((a, b) => b.length - a.length)[0];
    await xs.run("gc()");
    const parse = await xs.measure("0", `globalThis.kept = JSON.parse(${JSON.stringify(largest)}); JSON.stringify(globalThis.kept)`);
    const slotReserve = 2 * parse.heapSlots;
    t.log(`live slots after boot: ${slots} of ${creation.heap.initial}; a ${largest.length}-byte command takes ${parse.heapSlots}`);
    t.true(slots > 0 && parse.heapSlots > 0);
    t.true(slots + slotReserve <= creation.heap.initial, `${slots} + ${slotReserve} slots`);
  } finally {
    await xs.close();
  }
});
