/**
 * The device's own entry, end to end in the real XS engine: mc/config (the manifest's config over the board's),
 * createModdableHal over the fake Moddable runtime, and the whole firmware booted by `start()` and ticking.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startXs } from "../helpers/xs";
import { bundleWithFakes } from "./moddable-fakes/bundle";

const here = fileURLToPath(new URL(".", import.meta.url));

test("start() boots the whole firmware on the Moddable HAL in XS, from mc/config, and ticks", async (t) => {
  const manifest = JSON.parse(readFileSync("manifest.json", "utf8"));
  const board = JSON.parse(readFileSync("boards/esp32-rs485/manifest.json", "utf8"));
  // mc/config as mcconfig builds it: the board's config, the app's over it, plus the SDK's own keys (ignored).
  const mcConfig = { ...board.config, ...manifest.config, rs485: { ...board.config.rs485 }, sntp: "pool.ntp.org" };
  const xs = await startXs();
  try {
    await xs.run(await bundleWithFakes(`${here}moddable-device-entry.ts`, mcConfig));
    await xs.run("deviceTest.start()");
    await xs.run("deviceTest.run(10000)");
    const { replies } = await xs.run("deviceTest.status()");
    const { status, mqtt, sameOnSecondStart } = replies[0] as { status: { board: string; ticks: number; counters: Record<string, number> }; mqtt: string; sameOnSecondStart: boolean };
    t.is(status.board, "esp32-rs485");
    t.true(status.ticks >= 39 && status.ticks <= 40, `ticks: ${status.ticks}`);
    t.false("service_errors" in status.counters, JSON.stringify(status.counters));
    t.not(mqtt, "stopped", "the platform link is being brought up");
    t.true(sameOnSecondStart, "start() is idempotent");
  } finally {
    await xs.close();
  }
});
