/**
 * hal/moddable in the real XS engine, on the fake ESP32 runtime (test/hal/moddable-fakes): the SDK's timer rules,
 * a UART with its 128-byte FIFO and onWritable threshold, pins taken once, lwIP-like sockets, NOR partitions, the
 * `system` preload's globals and the board's own host provider. Checks the adapters' behaviour (driver-enable
 * timing, event mapping, NOR use, OTA erase-ahead and resume) and that their steady-state paths allocate nothing
 * in XS. The Linux simulator's runtime: moddable-lin.test.ts; the clock on both: moddable-clock.test.ts.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { startXs, type XsWorker } from "../helpers/xs";
import { bundleWithFakes } from "./moddable-fakes/bundle";

const here = fileURLToPath(new URL(".", import.meta.url));

function bundle(): Promise<string> {
  return bundleWithFakes(`${here}moddable-entry.ts`);
}

/** Two's complement wrap of the ESP32's Time.ticks is near: the clock must carry on across it. */
const BOOT_MS = 2 ** 31 - 1000;

let xs: XsWorker;

test.before(async () => {
  xs = await startXs();
  await xs.run(await bundle());
  await xs.run(`halTest.boot(${BOOT_MS})`);
});

test.after.always(async () => {
  await xs?.close();
});

async function call(code: string): Promise<Record<string, unknown>> {
  const run = await xs.run(code);
  return run.replies[0] as Record<string, unknown>;
}

test.serial("the system preload installed System (ESP32 shape) and the deep-frozen device global; the board's UART opened", async (t) => {
  const r = await call("halTest.globals()");
  t.deepEqual(r.system, ["clearInterval", "clearTimeout", "deepSleep", "resolve", "restart", "setInterval", "setTimeout"]);
  t.deepEqual(r.device, ["I2C", "Serial", "io", "pin"]);
  t.true(r.deviceFrozen as boolean, "system.js: Object.freeze(device, true)");
  t.deepEqual(r.uart, { port: -1, transmit: -1, receive: -1, baud: 0 }, "no UART is opened before openSerial");
});

test.serial("clock: monotonic ms start at 0 at HAL creation and continue exactly across the int32 wrap of Time.ticks", async (t) => {
  const r = await call("halTest.clock(3000, 1)");
  t.is(r.before, 0);
  t.is(r.after, 3000);
  t.true(r.exact as boolean);
  t.true((r.ticksBefore as number) > 0);
  t.true((r.ticksAfter as number) < 0, "Time.ticks did wrap to negative during the run");
});

test.serial("timers: one instance per HAL timer survives one-shots re-armed from their callback", async (t) => {
  const r = await call("halTest.timers()");
  // 10: first fire; 15: re-armed from inside its callback; 101: armed again later on the same instance.
  t.deepEqual(r.oneShot, [10, 15, 101, -1]);
  t.deepEqual(r.periodic, [3, 10, 17, 24]);
  t.is(r.stoppedFired, 0);
  t.true(r.activeWhileArmed as boolean);
  t.false(r.t1Active as boolean, "a fired one-shot is inactive");
  t.false(r.t2Active as boolean);
  t.is(r.freed, 0, "the runtime never freed a HAL timer's instance");
});

test.serial("a second HAL over the same board is refused by the IO constructors (pin in use), not shared", async (t) => {
  const r = await call("halTest.secondHal()");
  t.is(r.error, "in use");
});

test.serial("RS-485: DE high before the first byte, low within 3 ms after the last stop bit; longer than the FIFO", async (t) => {
  for (const length of [8, 200]) {
    const r = await call(`halTest.serialFrame(${length})`);
    t.true(r.accepted as boolean);
    t.true(r.busyRefused as boolean, "a write while a frame is on the wire is refused");
    t.true(r.sentOk as boolean, `all ${length} bytes went out in order`);
    t.is(r.writeDone, 1);
    const de = r.de as Array<[number, number]>;
    t.deepEqual(
      de.map(([value]) => value),
      [1, 0],
    );
    t.true(de[0][1] <= (r.firstByteStart as number), "DE active before the first start bit");
    const lastStop = r.lastStopBitEnd as number;
    t.true(de[1][1] >= lastStop, `DE released at ${de[1][1]} not before the last stop bit at ${lastStop}`);
    t.log(`${length}-byte frame: DE released ${(de[1][1] - lastStop).toFixed(2)} ms after the last stop bit`);
    t.true(de[1][1] - lastStop <= 3, `DE released ${de[1][1] - lastStop} ms after the last stop bit`);
    t.is(r.doneAtStep, de[1][1], "onWriteDone comes with the release");
    t.deepEqual(r.opened, { port: 2, transmit: 17, receive: 16, baud: 9600 }, "the UART and pins of the board's provider (Serial.rs485)");
  }
});

test.serial("RS-485: oversize and bad writes are refused; a reply is read into the caller's buffer", async (t) => {
  const r = await call("halTest.serialLimits()");
  t.false(r.tooLong as boolean);
  t.is(r.refusedTooLong, 1);
  t.regex(r.badRange as string, /range 299\+5 outside the 300-byte buffer/);
  t.regex(r.empty as string, /or empty/);
  t.is(r.readable, 1);
  t.is(r.count, 7);
  t.deepEqual(r.bytes, [1, 3, 2, 0, 42, 0x38, 0x5f]);
});

test.serial("RS-485: a request/answer cycle allocates nothing in XS", async (t) => {
  await xs.run("halTest.serialCycles(20)");
  const cost = await xs.measure("halTest.serialCycles(10)", "halTest.serialCycles(1010)");
  t.is(cost.heapSlots, 0);
  t.true(cost.steps > 0);
});

test.serial("TCP: connect, short write then onWritable, read at an offset, peer close, DNS, refusal", async (t) => {
  const r = await call("halTest.tcp()");
  t.is(r.syncEvents, 0, "no callback before connect() returns");
  t.is(r.w1, 100);
  t.true(r.firstBytesOk as boolean);
  t.is(r.w2, 2920 - 100, "a write past the send buffer is cut to what it takes");
  t.is(r.w3, 0);
  t.is(r.r1, 50);
  t.true(r.readOk as boolean);
  t.is(r.r2, 0);
  t.is(r.afterClose, 0);
  t.is(r.resolvedTo, "10.0.0.5");
  t.true(r.bClosedQuietly as boolean, "no callback after the local close");
  t.deepEqual(r.events, [
    "a:connect",
    "a:writable 2920",
    "a:readable 50",
    "a:close",
    "c:error cannot resolve nowhere.invalid",
    "c:close",
    "d:error connection to 10.0.0.9:1883 failed",
    "d:close",
  ]);
  t.regex(r.badHost as string, /host must be a non-empty string/);
  t.regex(r.badPort as string, /port must be 1\.\.65535, got 0/);
});

test.serial("TLS: the SDK's TLS socket class over the TCP class it is given; server name from host, 96-byte overhead", async (t) => {
  const r = await call("halTest.tls()");
  t.deepEqual(r.events, ["connect", "readable 3"]);
  t.is(r.wrote, 50);
  t.true(r.sentOk as boolean);
  t.is(r.got, 3);
  t.deepEqual(r.bytes, [7, 8, 9]);
  t.is(r.serverName, "broker.example");
  t.is(r.address, "10.0.0.5", "the TCP socket under TLS got the resolved address");
  t.is(r.port, 8883);
});

test.serial("TCP: write and read at offsets allocate nothing in XS", async (t) => {
  await xs.run("halTest.tcpOpen(); halTest.tcpCycles(20)");
  const cost = await xs.measure("halTest.tcpCycles(10)", "halTest.tcpCycles(1010)");
  t.is(cost.heapSlots, 0);
  const r = await call("halTest.tcpCyclesCheck()");
  t.deepEqual(r.lastIn, Array.from({ length: 40 }, (_, i) => 255 - i));
});

test.serial("flash: partition geometry, NOR AND, programs from an offset, errors name the problem", async (t) => {
  const r = await call("halTest.flash()");
  t.is(r.sectorSize, 4096);
  t.is(r.sectorCount, 16);
  t.true(r.again as boolean);
  t.deepEqual(r.anded, [0, 0xff, 0xf0 & 0xcc, 0x0f, 0x55, 0xff], "program only clears bits");
  t.deepEqual(r.erased, [0xff, 0xff, 0xff, 0xff, 0xff, 0], "erase sets the sector to 0xFF");
  t.true(r.bigOk as boolean);
  t.regex(r.missing as string, /flash partition "nvs2" not found in the partition table/);
  t.regex(r.outside as string, /range 65534\+4 outside 0\.\.65536/);
  t.regex(r.badSector as string, /sector 16 outside 0\.\.15/);
  t.regex(r.badInto as string, /5 bytes do not fit at 4 in a 6-byte buffer/);
});

test.serial("flash: programming from an offset allocates nothing in XS", async (t) => {
  await xs.run("halTest.flashProgramCycles(20)");
  const cost = await xs.measure("halTest.flashProgramCycles(10)", "halTest.flashProgramCycles(1010)");
  t.is(cost.heapSlots, 0);
});

test.serial("OTA: erase ahead of the writes, read back, verify at complete, resume after a reboot", async (t) => {
  const r = await call("halTest.ota()");
  t.is(r.erasesAtBegin, 1, "begin erases the header sector only");
  t.is(r.erasesTotal, 3, "10,007 bytes touch three 4 KiB sectors");
  t.true(r.readOk as boolean);
  t.regex(r.past as string, /past the announced size: 10007 \+ 1 > 10007/);
  t.true(r.resumedOk as boolean);
  t.regex(r.notErased as string, /not erased at 4000/);
  t.true(r.headerErased as boolean, "cancel erases the header");
  t.regex(r.noHeader as string, /no unfinished image \(no image header\)/);
  t.regex(r.tooBig as string, /size must be 1\.\.262144, got 262145/);
  t.true(r.pending as boolean);
  t.false(r.pendingAfter as boolean);
  t.deepEqual(r.state, { pending: false, markedValid: 1, bootNextCalls: 2, retries: 1, rollbacks: 0 });
  t.regex(r.incomplete as string, /0 of 100 bytes written/);
});

test.serial("watchdog: fed, nothing happens; starved, the supervisor restarts and says why", async (t) => {
  const r = await call("halTest.watchdog()");
  t.is(r.timeout, 1000, "the task watchdog got the timeout");
  t.is(r.restartsWhileFed, 0);
  t.is(r.restarts, 1);
  const log = r.log as string[];
  t.true(log.some((line) => /I watchdog: task watchdog 1000 ms \+ tick supervisor/.test(line)));
  t.true(log.some((line) => /W system: restart: watchdog: not fed for \d+ ms \(timeout 1000 ms\)/.test(line)));
  t.regex(r.tooShort as string, /watchdog timeout must be >= 100 ms, got 10/);
});

test.serial("random, memory, wall clock, unknown serial port", async (t) => {
  const r = await call("halTest.misc()");
  t.deepEqual(r.randomEdges, [0, 0], "only the requested range is filled");
  t.true((r.randomMiddle as number[]).some((b) => b !== 0));
  t.regex(r.outside as string, /range 10\+8 outside the 16-byte buffer/);
  t.deepEqual(r.memory, { heapUsedBytes: 70_000, heapFreeBytes: 90_000 });
  t.true(r.syncedAfter as boolean);
  t.is(r.wall, 5000, "wall time runs on the monotonic clock after setWallClock");
  t.is(r.timeSet, Math.floor(Date.UTC(2026, 5, 1, 12) / 1000), "the system clock was set too");
  t.regex(r.implausible as string, /5 is not a plausible UTC time/);
  t.regex(r.missingPort as string, /no serial port on UART 7 in the host provider \(have: rs485\)/);
});
