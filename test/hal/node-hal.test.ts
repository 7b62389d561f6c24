import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNodeHal, NodeOtaSlots } from "../../hal/node/index";
import { LogLevel } from "../../hal/types";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "hal-node-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("clock: monotonic time only moves forward, wall time is the host's and synced", async (t) => {
  const hal = createNodeHal({ logSink: () => {} });
  const a = hal.clock.monotonicMs();
  await sleep(5);
  const b = hal.clock.monotonicMs();
  t.true(b > a);
  t.true(hal.clock.wallSynced());
  t.true(Math.abs(hal.clock.wallMs() - Date.now()) < 1000);
  hal.clock.setWallSynced(false);
  t.false(hal.clock.wallSynced());
  hal.close();
});

test("timers: one-shot fires once, periodic repeats, re-arming replaces, stop stops", async (t) => {
  const hal = createNodeHal({ logSink: () => {} });
  let once = 0;
  let periodic = 0;
  const oneShot = hal.clock.createTimer(() => once++);
  const repeat = hal.clock.createTimer(() => {
    periodic++;
    if (periodic === 3) repeat.stop();
  });
  oneShot.start(1);
  oneShot.start(5); // replaces the first arming: one fire only
  t.true(oneShot.active);
  repeat.start(1, 2);
  for (let i = 0; i < 200 && (periodic < 3 || once < 1); i++) await sleep(5);
  await sleep(20);
  t.is(once, 1);
  t.false(oneShot.active, "a fired one-shot is no longer active");
  t.is(periodic, 3, "the periodic timer stopped itself on its third fire");
  t.false(repeat.active);
  const cancelled = hal.clock.createTimer(() => t.fail("a stopped timer fired"));
  cancelled.start(5);
  cancelled.stop();
  await sleep(20);
  t.is(hal.clock.armedCount, 0);
  hal.close();
});

test("random bytes fill exactly the requested range", (t) => {
  const hal = createNodeHal({ logSink: () => {} });
  const buffer = new Uint8Array(64);
  hal.random.fill(buffer, 8, 32);
  t.true(buffer.subarray(0, 8).every((b) => b === 0));
  t.true(buffer.subarray(40).every((b) => b === 0));
  t.true(buffer.subarray(8, 40).some((b) => b !== 0));
  hal.close();
});

test("log: lines more verbose than the level are dropped", (t) => {
  const lines: string[] = [];
  const hal = createNodeHal({ logLevel: LogLevel.Warn, logSink: (line) => lines.push(line) });
  hal.log.write(LogLevel.Error, "a", "bad");
  hal.log.write(LogLevel.Warn, "b", "careful");
  hal.log.write(LogLevel.Info, "c", "fine");
  hal.log.write(LogLevel.Debug, "d", "noise");
  t.is(lines.length, 2);
  t.regex(lines[0], /^\d+ E a: bad$/);
  t.regex(lines[1], /^\d+ W b: careful$/);
  hal.close();
});

test("watchdog: a missed feed is logged once and counted, feeding keeps it quiet", async (t) => {
  const lines: string[] = [];
  const hal = createNodeHal({ logSink: (line) => lines.push(line) });
  // Generous timeout: the machine is shared, and a late feed here would be the scheduler's fault, not the HAL's.
  hal.watchdog.enable(300);
  for (let i = 0; i < 5; i++) {
    await sleep(20);
    hal.watchdog.feed();
  }
  t.is(hal.softWatchdog.expiries, 0);
  for (let i = 0; i < 300 && hal.softWatchdog.expiries === 0; i++) await sleep(10);
  await sleep(200);
  t.is(hal.softWatchdog.expiries, 1, "one report per missed period");
  t.is(lines.filter((line) => line.includes("watchdog")).length, 1);
  t.regex(lines.find((line) => line.includes("watchdog"))!, /not fed for \d+ ms \(timeout 300 ms\)/);
  t.throws(() => hal.watchdog.enable(0), { message: /watchdog timeout must be > 0 ms/ });
  hal.close();
});

test("system: memory from the process, restart recorded and reported", (t) => {
  const reasons: string[] = [];
  const hal = createNodeHal({ logSink: () => {}, onRestart: (reason) => reasons.push(reason) });
  const memory = hal.system.memory();
  t.true((memory.heapUsedBytes ?? 0) > 0);
  t.true((memory.heapFreeBytes ?? -1) >= 0);
  hal.system.restart("config changed");
  t.deepEqual(hal.restarts, ["config changed"]);
  t.deepEqual(reasons, ["config changed"]);
  hal.close();
});

test("serial: without an adapter the HAL says what to pass", (t) => {
  const hal = createNodeHal({ logSink: () => {} });
  t.throws(() => hal.openSerial({ port: 1, baud: 9600 }, { onReadable() {} }), { message: /no serial port for "1": pass options.openSerial/ });
  hal.close();
});

test("flash partitions come from the options and persist in their files", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "store.flash");
  const first = createNodeHal({ logSink: () => {}, partitions: { store: { sectorCount: 2, file } } });
  first.flash.open("store").program(7, new Uint8Array([0x5a]), 0, 1);
  first.close();
  const second = createNodeHal({ logSink: () => {}, partitions: { store: { sectorCount: 2, file } } });
  const into = new Uint8Array(1);
  second.flash.open("store").read(7, into, 0, 1);
  t.is(into[0], 0x5a);
  second.close();
});

test("OTA in files: a completed image boots pending-verify, is confirmed, and survives restarts", (t) => {
  const dir = tempDir(t);
  const image = new Uint8Array(1000).map((_, i) => i & 0xff);
  const boot1 = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.false(boot1.runningImagePendingVerify());
  t.is(boot1.state.running, 0);
  boot1.begin(image.length);
  boot1.write(image, 0, 600);
  t.throws(() => boot1.complete(), { message: "OTA complete: 600 of 1000 bytes written" });
  t.throws(() => boot1.write(image, 0, 500), { message: /past the announced size: 600 \+ 500 > 1000/ });
  boot1.write(image, 600, 400);
  boot1.complete();
  t.is(boot1.state.running, 0, "the new image only runs after a restart");

  const boot2 = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.is(boot2.state.running, 1);
  t.true(boot2.runningImagePendingVerify());
  t.deepEqual(Array.from(boot2.slotContent(1)), Array.from(image));
  boot2.markRunningValid();
  t.false(boot2.runningImagePendingVerify());

  const boot3 = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.is(boot3.state.running, 1);
  t.false(boot3.runningImagePendingVerify());
});

test("OTA: an unconfirmed image is abandoned at the next boot, rollback restarts into the old one", (t) => {
  const dir = tempDir(t);
  const image = new Uint8Array(10).fill(7);
  const install = (): void => {
    const ota = new NodeOtaSlots({ dir, slotBytes: 4096 });
    ota.begin(10);
    ota.write(image, 0, 10);
    ota.complete();
  };
  install();
  const crashed = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.true(crashed.runningImagePendingVerify());
  // Restarted without markRunningValid (a crash, a watchdog reset): the bootloader goes back to slot 0.
  const recovered = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.is(recovered.state.running, 0);
  t.false(recovered.runningImagePendingVerify());
  t.deepEqual(recovered.state.states, ["valid", "aborted"]);

  install();
  const restarts: string[] = [];
  const trying = new NodeOtaSlots({ dir, slotBytes: 4096, restart: (reason) => restarts.push(reason) });
  t.true(trying.runningImagePendingVerify());
  trying.rollback();
  t.deepEqual(restarts, ["ota rollback"]);
  const back = new NodeOtaSlots({ dir, slotBytes: 4096 });
  t.is(back.state.running, 0);
  t.throws(() => back.rollback(), { message: /no valid image in the other slot/ });
  t.throws(() => back.begin(5000), { message: "OTA begin: size must be 1..4096, got 5000" });
});

test("OTA in memory: cancel leaves the running image the boot image", (t) => {
  const hal = createNodeHal({ logSink: () => {} });
  hal.ota.begin(4);
  hal.ota.write(new Uint8Array([1, 2, 3, 4]), 0, 4);
  hal.ota.cancel();
  t.deepEqual(hal.nodeOta.state.states, ["valid", "empty"]);
  t.throws(() => hal.ota.complete(), { message: "OTA complete without begin" });
  hal.close();
});
