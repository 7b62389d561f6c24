/**
 * The device's own entry, end to end in the real XS engine: mc/config (the manifest's config over the board's),
 * createModdableHal over the fake runtime of each platform the firmware is built for (ESP32 with the esp32-rs485
 * board, the SDK's Linux simulator with boards/sim), and the whole firmware booted by `start()` and ticking.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startXs } from "../helpers/xs";
import { bundleWithFakes, type FakePlatform } from "./moddable-fakes/bundle";

const here = fileURLToPath(new URL(".", import.meta.url));

const BOARDS: Record<FakePlatform, string> = { esp32: "boards/esp32-rs485/manifest.json", lin: "boards/sim/manifest.json" };
const BOARD_NAMES: Record<FakePlatform, string> = { esp32: "esp32-rs485", lin: "sim" };

for (const platform of ["esp32", "lin"] as const) {
  test(`${platform}: start() boots the whole firmware on the Moddable HAL in XS, from mc/config, and ticks`, async (t) => {
    const manifest = JSON.parse(readFileSync("manifest.json", "utf8"));
    const board = JSON.parse(readFileSync(BOARDS[platform], "utf8"));
    // mc/config as mcconfig builds it: the board's config, the app's over it, plus the SDK's own keys (ignored).
    const mcConfig = { ...board.config, ...manifest.config, rs485: { ...board.config.rs485 }, sntp: "pool.ntp.org" };
    const xs = await startXs();
    try {
      await xs.run(await bundleWithFakes(`${here}moddable-device-entry.ts`, mcConfig, { platform }));
      await xs.run("deviceTest.start()");
      await xs.run("deviceTest.run(10000)");
      const { replies } = await xs.run("deviceTest.status()");
      const { status, mqtt } = replies[0] as { status: { board: string; ticks: number; counters: Record<string, number> }; mqtt: string };
      t.is(status.board, BOARD_NAMES[platform]);
      t.true(status.ticks >= 39 && status.ticks <= 40, `ticks: ${status.ticks}`);
      t.false("service_errors" in status.counters, JSON.stringify(status.counters));
      t.not(mqtt, "stopped", "the platform link is being brought up");
      if (platform === "esp32") {
        // device.ts keeps no "started" guard; on the board a second start() cannot take the hardware again.
        const second = await xs.run("deviceTest.secondStart()");
        t.is((second.replies[0] as { error: string }).error, "in use", "the SDK's Digital refuses the LED pin a second time");
      }
    } finally {
      await xs.close();
    }
  });
}
