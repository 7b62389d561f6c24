/**
 * The HAL clock on both platforms' Time.ticks, each HAL in a fresh XS worker: on ESP32 a uint32 ms-since-boot
 * counter seen as int32 (negative from 2^31 ms, 0 again at 2^32), on the Linux simulator the host's clock in ms
 * (about 1.8e12). monotonicMs starts at 0 when the HAL is created and advances exactly with virtual time, across
 * both ESP32 wraps.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { startXs } from "../helpers/xs";
import { bundleWithFakes, type FakePlatform } from "./moddable-fakes/bundle";

const here = fileURLToPath(new URL(".", import.meta.url));

const CASES: Array<{ platform: FakePlatform; bootMs: number; what: string; ticksBefore: (ticks: number) => boolean; ticksAfter: (ticks: number) => boolean }> = [
  { platform: "esp32", bootMs: 1234, what: "soon after boot", ticksBefore: (v) => v === 1234, ticksAfter: (v) => v === 1234 + 4002 },
  { platform: "esp32", bootMs: 2 ** 31 - 1500, what: "across 2^31 (ticks turn negative)", ticksBefore: (v) => v > 0, ticksAfter: (v) => v < 0 },
  { platform: "esp32", bootMs: 2 ** 32 - 1500, what: "across 2^32 (ticks back through 0)", ticksBefore: (v) => v < 0, ticksAfter: (v) => v > 0 && v < 4000 },
  { platform: "lin", bootMs: 1234, what: "on the host clock", ticksBefore: (v) => v > 1.7e12, ticksAfter: (v) => v > 1.7e12 },
  { platform: "lin", bootMs: 2 ** 31 - 1500, what: "where ESP32 ticks would wrap", ticksBefore: (v) => v > 1.7e12, ticksAfter: (v) => v > 1.7e12 },
];

for (const c of CASES) {
  test(`clock on ${c.platform}, ${c.what}: monotonicMs starts at 0 and stays exact`, async (t) => {
    const xs = await startXs();
    try {
      const lin = c.platform === "lin";
      const entry = lin ? "moddable-lin-entry.ts" : "moddable-entry.ts";
      const driver = lin ? "halLinTest" : "halTest";
      await xs.run(await bundleWithFakes(here + entry, lin ? { simDir: "/tmp/ess-gateway-sim/" } : {}, { platform: c.platform }));
      await xs.run(`${driver}.boot(${c.bootMs})`);
      const { replies } = await xs.run(`${driver}.clock(4000, 3)`);
      const r = replies[0] as { before: number; after: number; exact: boolean; ticksBefore: number; ticksAfter: number };
      t.is(r.before, 0, "counted from the HAL's creation, not from Time.ticks");
      t.is(r.after, 4002, "4000 ms run in 3 ms steps: 1334 steps");
      t.true(r.exact, "equal to the virtual time elapsed at every reading");
      t.true(c.ticksBefore(r.ticksBefore), `Time.ticks before: ${r.ticksBefore}`);
      t.true(c.ticksAfter(r.ticksAfter), `Time.ticks after: ${r.ticksAfter}`);
    } finally {
      await xs.close();
    }
  });
}

// In the Linux simulator Time.ticks is the host's wall clock (modules/base/time/lin/modTime.c: gettimeofday), so a
// host clock stepped back (NTP, by hand) makes Time.delta negative: the HAL clock must not follow it backwards.
test("clock on lin, host clock stepped back 5 s: monotonicMs does not go backward", async (t) => {
  const xs = await startXs();
  try {
    await xs.run(await bundleWithFakes(here + "moddable-lin-entry.ts", { simDir: "/tmp/ess-gateway-sim/" }, { platform: "lin" }));
    await xs.run("halLinTest.boot(1000)");
    const { replies } = await xs.run("halLinTest.hostClockStep(-5000)");
    const r = replies[0] as { before: number; after: number };
    t.true(r.after >= r.before, `monotonicMs went from ${r.before} to ${r.after}`);
  } finally {
    await xs.close();
  }
});
