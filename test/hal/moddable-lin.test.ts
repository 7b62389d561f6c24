/**
 * hal/moddable in the real XS engine on the fake Linux-simulator runtime (test/hal/moddable-fakes, platform "lin"):
 * the SDK's Linux modules faked (Time.ticks near 1.8e12, a System with resolve and no restart, a tty serial that
 * knows no "number" format, no embedded:io/digital at all), with boards/sim's own modules running over them as they
 * are. What the HAL must do differently there: no GPIO (no LED, no driver-enable), no restart, Time.set ignored.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { startXs, type XsWorker } from "../helpers/xs";
import { bundleWithFakes } from "./moddable-fakes/bundle";

const here = fileURLToPath(new URL(".", import.meta.url));
const SIM_CONFIG = { board: "sim", simDir: "/tmp/ess-gateway-sim/" };

let xs: XsWorker;

test.before(async () => {
  xs = await startXs();
  await xs.run(await bundleWithFakes(`${here}moddable-lin-entry.ts`, SIM_CONFIG, { platform: "lin" }));
  await xs.run("halLinTest.boot(5000)");
});

test.after.always(async () => {
  await xs?.close();
});

async function call(code: string): Promise<Record<string, unknown>> {
  const run = await xs.run(code);
  return run.replies[0] as Record<string, unknown>;
}

test.serial("the Linux system preload: System has resolve, setInterval, clearInterval only; no device global", async (t) => {
  const r = await call("halLinTest.globals()");
  t.deepEqual(r.system, ["clearInterval", "resolve", "setInterval"]);
  t.is(r.device, null);
});

test.serial("clock: monotonic ms from 0 although Time.ticks is the host clock (about 1.8e12)", async (t) => {
  const r = await call("halLinTest.clock(2000, 7)");
  t.is(r.before, 0);
  t.true(r.exact as boolean);
  t.true((r.ticksBefore as number) > 1e12, `Time.ticks ${r.ticksBefore}`);
  t.is((r.ticksAfter as number) - (r.ticksBefore as number), r.after as number);
});

test.serial("RS-485 through boards/sim's rs485-tty on the Linux serial: frame out on the tty, answer read back", async (t) => {
  const r = await call("halLinTest.serial()");
  t.true(r.accepted as boolean);
  t.deepEqual(r.sent, [1, 3, 0, 0, 0, 2, 0xc4, 0x0b]);
  t.is(r.writeDone, 1);
  t.true((r.readable as number) >= 1);
  t.is(r.count, 9);
  t.deepEqual(r.bytes, [1, 3, 4, 0, 42, 0, 7, 0x5b, 0x8d]);
  t.deepEqual(r.opened, { device: "/tmp/ess-gateway-sim/rs485", baud: 19200 }, "the tty path of the provider's Serial.rs485");
});

test.serial("flash: boards/sim's file-backed partitions keep NOR rules", async (t) => {
  const r = await call("halLinTest.flash()");
  t.deepEqual(r.anded, [0x30, 0x0f, 0xff]);
  t.deepEqual(r.erased, [0xff, 0xff, 0xff]);
  t.is(r.sectorSize, 4096);
  t.is(r.sectorCount, 96);
  t.is(r.file, 96 * 4096);
  t.regex(r.missing as string, /flash partition "nvs2" not found.*no partition "nvs2" in the simulator's table/);
});

test.serial("OTA: written, read back and completed into boards/sim's slot; the state file records it", async (t) => {
  const r = await call("halLinTest.ota()");
  t.true(r.readOk as boolean);
  t.false(r.pending as boolean);
  t.is(r.state, "boot-next\nvalid\n");
});

test.serial("TCP: names resolved with the Linux System.resolve, then the socket", async (t) => {
  const r = await call("halLinTest.tcp()");
  t.deepEqual(r.events, ["connect"]);
  t.is(r.address, "10.0.0.5");
});

test.serial("watchdog: no task watchdog, and a starved supervisor cannot restart: it says so, nothing throws", async (t) => {
  const r = await call("halLinTest.watchdog()");
  const log = r.log as string[];
  t.true(log.some((line) => /W watchdog: task watchdog disabled in this build: tick supervisor only \(1000 ms\)/.test(line)), log.join(""));
  t.true(log.some((line) => /W system: restart: watchdog: not fed/.test(line)));
  t.true(log.some((line) => /E system: restart: this platform cannot restart \(simulator\)/.test(line)));
  t.is(r.restarts, 0);
});

test.serial("random, memory, wall clock without Time.set, an LED that is not there", async (t) => {
  const r = await call("halLinTest.misc()");
  t.true(r.randomNonZero as boolean);
  t.deepEqual(r.memory, { heapUsedBytes: 70_000, heapFreeBytes: 90_000 });
  t.is(r.wall, 1000);
  t.true(r.synced as boolean);
  t.is(r.timeSet, -1, "the simulator's Time.set does nothing");
  t.is(r.led, "no error", "setStatusLed does nothing on a board without GPIO");
});
