/**
 * hal/moddable on the fake ESP32 runtime (test/hal/moddable-fakes, platform "esp32": the board's own host provider
 * over fake IO classes), bundled for the real XS engine by test/hal/moddable-xs.test.ts and
 * test/hal/moddable-clock.test.ts. The host drives `globalThis.halTest`; results come back as JSON via issueCommand.
 */
import { createModdableHal, type ModdableHal } from "../../hal/moddable/index";
import { ModdableOtaSlots } from "../../hal/moddable/ota";
import type { SerialPort, TcpSocket, Timer } from "../../hal/types";
import { resolveConfig } from "../../src/config/gateway-config";
import { flashStats, otaState, partitions, peer, pinLog, tlsPeer, uart } from "./moddable-fakes/hardware";
import { world } from "./moddable-fakes/world";
import { attempt, reply, replyClockRun } from "./moddable-entry-common";


const DE_PIN = 4;
const traced: string[] = [];
let hal: ModdableHal | null = null;

function need(): ModdableHal {
  if (!hal) throw new Error("halTest: boot first");
  return hal;
}

// Serial state shared by the scenarios and the steady-state cycles (allocated once).
let port: SerialPort | null = null;
let writeDone = 0;
let readable = 0;
const frame = new Uint8Array(300);
const answer = new Uint8Array(7);
const received = new Uint8Array(64);

function openPort(): SerialPort {
  if (!port) {
    port = need().openSerial({ port: "rs485", baud: 9600 }, { onReadable: () => readable++, onWriteDone: () => writeDone++ });
  }
  return port;
}

// TCP state for the steady-state cycles.
let cycleSocket: TcpSocket | null = null;
let cycleReadable = 0;
const tcpOut = new Uint8Array(128);
const tcpIn = new Uint8Array(128);
const peerBytes = new Uint8Array(64);

const halTest = {
  boot(startMs: number): void {
    world.now = startMs;
    (globalThis as { trace?: (text: string) => void }).trace = (text) => traced.push(text);
    hal = createModdableHal(resolveConfig({ board: "esp32-rs485", rs485: { port: "rs485", baud: 9600 } }));
  },

  /** What the SDK's `system` preload left: the globals, and whether the host provider came out deep-frozen. */
  globals(): void {
    const g = globalThis as unknown as { System?: object; device?: { Serial: { rs485: object }; io: object } };
    reply({
      system: g.System === undefined ? null : Object.getOwnPropertyNames(g.System).filter((name) => typeof (g.System as Record<string, unknown>)[name] === "function").sort(),
      device: g.device === undefined ? null : Object.keys(g.device).sort(),
      deviceFrozen: g.device !== undefined && Object.isFrozen(g.device) && Object.isFrozen(g.device.Serial.rs485) && Object.isFrozen(g.device.io),
      uart: uart.opened,
    });
  },

  /** A second HAL over the same board: the SDK's IO constructors refuse pins that are taken. */
  secondHal(): void {
    reply({ error: attempt(() => createModdableHal(resolveConfig({ board: "esp32-rs485", rs485: { port: "rs485", baud: 9600 } }))) });
  },

  /** Monotonic ms and the platform's Time.ticks before and after `ms` of virtual time, read every `everyMs`. */
  clock(ms: number, everyMs: number): void {
    replyClockRun(need().clock, ms, everyMs);
  },

  timers(): void {
    const clock = need().clock;
    const start = world.now;
    const oneShot: number[] = [];
    const periodic: number[] = [];
    let rearmed = false;
    const t1: Timer = clock.createTimer(() => {
      oneShot.push(world.now - start);
      if (!rearmed) {
        rearmed = true;
        t1.start(5);
      }
    });
    const t2: Timer = clock.createTimer(() => {
      periodic.push(world.now - start);
      if (periodic.length === 4) t2.stop();
    });
    let stoppedFired = 0;
    const t3 = clock.createTimer(() => stoppedFired++);
    t1.start(10);
    t2.start(3, 7);
    t3.start(4);
    t3.stop();
    const activeWhileArmed = t1.active && t2.active && !t3.active;
    world.run(100);
    t1.start(1);
    world.run(2);
    oneShot.push(-1);
    reply({ oneShot, periodic, stoppedFired, activeWhileArmed, t1Active: t1.active, t2Active: t2.active, freed: world.timersFreed });
  },

  serialFrame(length: number): void {
    const serial = openPort();
    uart.clear();
    pinLog.clear();
    writeDone = 0;
    for (let i = 0; i < length; i++) frame[i] = (i * 7) ^ 0x5a;
    const startMs = world.now;
    const accepted = serial.write(frame, 0, length);
    const busyRefused = !serial.write(frame, 0, 4);
    let doneAtStep = -1;
    for (let ms = 0; ms < 1000 && writeDone === 0; ms++) {
      world.run(1);
      if (writeDone > 0) doneAtStep = world.now;
    }
    const sentOk = uart.sentCount === length && Array.from(uart.sent.subarray(0, length)).every((b, i) => b === (((i * 7) ^ 0x5a) & 0xff));
    const de: Array<[number, number]> = [];
    for (let i = 0; i < pinLog.count; i++) if (pinLog.pins[i] === DE_PIN) de.push([pinLog.values[i], pinLog.times[i]]);
    reply({
      accepted,
      busyRefused,
      sentOk,
      writeDone,
      startMs,
      firstByteStart: uart.doneAt[0] - 10_000 / 9600,
      lastStopBitEnd: uart.lastDone(),
      doneAtStep,
      de,
      opened: uart.opened,
    });
  },

  serialLimits(): void {
    const serial = openPort();
    const stats = (serial as unknown as { stats: { refusedTooLong: number; refusedBusy: number } }).stats;
    const tooLong = serial.write(frame, 0, 257);
    const badRange = attempt(() => serial.write(frame, 299, 5));
    const empty = attempt(() => serial.write(frame, 0, 0));
    // A reply from the bus: onReadable, then read copies into the buffer at the offset asked.
    readable = 0;
    answer.set([1, 3, 2, 0, 42, 0x38, 0x5f]);
    uart.inject(answer);
    world.run(1);
    const count = serial.read(received, 5, 64 - 5);
    reply({ tooLong, refusedTooLong: stats.refusedTooLong, badRange, empty, readable, count, bytes: Array.from(received.subarray(5, 5 + count)) });
  },

  /** Steady state: write an 8-byte request, let it leave, get a 7-byte answer, read it. */
  serialCycles(count: number): void {
    const serial = openPort();
    for (let c = 0; c < count; c++) {
      uart.clear();
      pinLog.clear();
      serial.write(frame, 3, 8);
      world.run(20);
      uart.inject(answer);
      world.run(1);
      serial.read(received, 0, 64);
    }
  },

  tcp(): void {
    const tcp = need().tcp;
    const events: string[] = [];
    const handlers = (name: string) => ({
      onConnect: () => events.push(`${name}:connect`),
      onReadable: (n: number) => events.push(`${name}:readable ${n}`),
      onWritable: (n: number) => events.push(`${name}:writable ${n}`),
      onClose: () => events.push(`${name}:close`),
      onError: (message: string) => events.push(`${name}:error ${message}`),
    });
    peer.reset();
    const a = tcp.connect({ host: "10.0.0.5", port: 1883 }, handlers("a"));
    const syncEvents = events.length;
    world.run(3);
    const data = new Uint8Array(6000);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    const w1 = a.write(data, 3, 100);
    const firstBytesOk = Array.from(peer.received.subarray(0, 100)).every((b, i) => b === ((i + 3) & 0xff));
    const w2 = a.write(data, 0, 5000);
    const w3 = a.write(data, 0, 10);
    peer.ack();
    world.run(1);
    const toSend = new Uint8Array(50).map((_, i) => 200 - i);
    peer.send(toSend, 50);
    world.run(1);
    const into = new Uint8Array(200);
    const r1 = a.read(into, 10, 100);
    const readOk = Array.from(into.subarray(10, 60)).every((b, i) => b === 200 - i);
    const r2 = a.read(into, 0, 10);
    peer.close();
    world.run(1);
    const afterClose = a.write(data, 0, 10);

    peer.reset();
    tcp.connect({ host: "broker.example", port: 8883 }, handlers("b")).close();
    world.run(3);
    const resolvedTo = peer.address;
    const bClosedQuietly = !events.some((e) => e.startsWith("b:"));

    peer.reset();
    tcp.connect({ host: "nowhere.invalid", port: 1883 }, handlers("c"));
    world.run(3);
    peer.reset();
    peer.refuse = true;
    tcp.connect({ host: "10.0.0.9", port: 1883 }, handlers("d"));
    world.run(3);
    const badHost = attempt(() => tcp.connect({ host: "", port: 1 }, handlers("e")));
    const badPort = attempt(() => tcp.connect({ host: "10.0.0.5", port: 0 }, handlers("e")));
    reply({ events, syncEvents, w1, firstBytesOk, w2, w3, r1, readOk, r2, afterClose, resolvedTo, bClosedQuietly, badHost, badPort });
  },

  tcpOpen(): void {
    peer.reset();
    cycleSocket = need().tcp.connect(
      { host: "10.0.0.5", port: 1883 },
      {
        onConnect() {},
        onReadable: () => cycleReadable++,
        onClose() {},
        onError() {},
      },
    );
    world.run(3);
    for (let i = 0; i < tcpOut.length; i++) tcpOut[i] = i;
    for (let i = 0; i < peerBytes.length; i++) peerBytes[i] = 255 - i;
  },

  /** Steady state: write 60 bytes from an offset, the peer acks and answers 40, read them at an offset. */
  tcpCycles(count: number): void {
    const socket = cycleSocket;
    if (!socket) throw new Error("tcpOpen first");
    for (let c = 0; c < count; c++) {
      socket.write(tcpOut, 4, 60);
      peer.ack();
      peer.send(peerBytes, 40);
      world.run(1);
      socket.read(tcpIn, 2, 100);
    }
  },

  tcpCyclesCheck(): void {
    reply({ lastIn: Array.from(tcpIn.subarray(2, 42)), sentCount: peer.receivedCount, readable: cycleReadable });
  },

  flash(): void {
    const provider = need().flash;
    const store = provider.open("store");
    const again = provider.open("store") === store;
    store.program(100, new Uint8Array([9, 0xf0, 0x0f, 0xff]), 1, 3);
    store.program(100, new Uint8Array([0xcc, 0xff, 0x55]), 0, 3);
    const into = new Uint8Array(6);
    store.read(99, into, 1, 5);
    const anded = Array.from(into);
    const big = new Uint8Array(700).map((_, i) => i & 0x7f);
    store.program(4096, big, 50, 600);
    const back = new Uint8Array(600);
    store.read(4096, back, 0, 600);
    const bigOk = back.every((b, i) => b === ((i + 50) & 0x7f));
    store.eraseSector(0);
    into.fill(0);
    store.read(99, into, 0, 5);
    reply({
      erased: Array.from(into),
      sectorSize: store.sectorSize,
      sectorCount: store.sectorCount,
      again,
      anded,
      bigOk,
      missing: attempt(() => provider.open("nvs2")),
      outside: attempt(() => store.program(16 * 4096 - 2, big, 0, 4)),
      badSector: attempt(() => store.eraseSector(16)),
      badInto: attempt(() => store.read(0, into, 4, 5)),
    });
  },

  flashProgramCycles(count: number): void {
    const store = need().flash.open("store");
    for (let c = 0; c < count; c++) {
      const offset = (c * 32) % (8 * 4096);
      if (offset % 4096 === 0) store.eraseSector(offset / 4096);
      store.program(offset, tcpOut, 5, 32);
    }
  },

  ota(): void {
    const ota = need().ota;
    const image = new Uint8Array(10_007).map((_, i) => (i * 13) & 0xff);
    image[0] = 0xe9;
    partitions.nextota.fill(0);
    const erasesBefore = flashStats.erases;
    ota.begin(image.length);
    const erasesAtBegin = flashStats.erases - erasesBefore;
    for (let at = 0; at < image.length; at += 1000) ota.write(image, at, Math.min(1000, image.length - at));
    const erasesTotal = flashStats.erases - erasesBefore;
    const back = new Uint8Array(image.length);
    ota.read(0, back, 0, image.length);
    const readOk = back.every((b, i) => b === image[i]);
    const past = attempt(() => ota.write(image, 0, 1));
    ota.complete();

    // An interrupted download: a new writer (after a reboot) continues at the offset the caller kept.
    ota.begin(image.length);
    ota.write(image, 0, 5000);
    const rebooted = new ModdableOtaSlots();
    const notErased = attempt(() => rebooted.resume(image.length, 4000));
    rebooted.resume(image.length, 5000);
    rebooted.write(image, 5000, image.length - 5000);
    rebooted.read(0, back, 0, image.length);
    const resumedOk = back.every((b, i) => b === image[i]);
    rebooted.complete();
    rebooted.cancel();
    const headerErased = partitions.nextota[0] === 0xff;
    const noHeader = attempt(() => new ModdableOtaSlots().resume(image.length, 10));
    const tooBig = attempt(() => ota.begin(64 * 4096 + 1));
    otaState.pending = true;
    const pending = ota.runningImagePendingVerify();
    ota.retryPendingImage();
    ota.markRunningValid();
    reply({
      erasesAtBegin,
      erasesTotal,
      readOk,
      past,
      resumedOk,
      notErased,
      headerErased,
      noHeader,
      tooBig,
      pending,
      pendingAfter: ota.runningImagePendingVerify(),
      state: otaState,
      incomplete: attempt(() => {
        ota.begin(100);
        ota.complete();
      }),
    });
  },

  watchdog(): void {
    const h = need();
    traced.length = 0;
    h.watchdog.enable(1000);
    for (let i = 0; i < 20; i++) {
      world.run(100);
      h.watchdog.feed();
    }
    const restartsWhileFed = world.restarts;
    world.run(2000);
    reply({ timeout: world.watchdogTimeoutMs, restartsWhileFed, restarts: world.restarts, log: traced.slice(), tooShort: attempt(() => h.watchdog.enable(10)) });
  },

  /** A TLS connection over the SDK's TLS socket class (null-cipher fake) on the fake TCP socket. */
  tls(): void {
    const tcp = need().tcp;
    const events: string[] = [];
    peer.reset();
    const socket = tcp.connect(
      { host: "broker.example", port: 8883, tls: true },
      {
        onConnect: () => events.push("connect"),
        onReadable: (n: number) => events.push(`readable ${n}`),
        onWritable: (n: number) => events.push(`writable ${n}`),
        onClose: () => events.push("close"),
        onError: (message: string) => events.push(`error ${message}`),
      },
    );
    world.run(3);
    const data = new Uint8Array(100).map((_, i) => i);
    const wrote = socket.write(data, 10, 50);
    const sentOk = peer.receivedCount === 50 && Array.from(peer.received.subarray(0, 50)).every((b, i) => b === i + 10);
    peer.send(new Uint8Array([7, 8, 9]), 3);
    world.run(1);
    const into = new Uint8Array(8);
    const got = socket.read(into, 2, 6);
    socket.close();
    reply({ events, wrote, sentOk, got, bytes: Array.from(into.subarray(2, 2 + got)), serverName: tlsPeer.serverName, address: peer.address, port: peer.port });
  },

  misc(): void {
    const h = need();
    const bytes = new Uint8Array(16);
    h.random.fill(bytes, 4, 8);
    const outside = attempt(() => h.random.fill(bytes, 10, 8));
    const syncedBefore = h.clock.wallSynced();
    const base = Date.UTC(2026, 5, 1, 12);
    h.setWallClock(base);
    world.run(5000);
    const wall = h.clock.wallMs() - base;
    reply({
      randomEdges: [bytes[3], bytes[12]],
      randomMiddle: Array.from(bytes.subarray(4, 12)),
      outside,
      memory: h.system.memory(),
      syncedBefore,
      syncedAfter: h.clock.wallSynced(),
      wall,
      timeSet: world.wallSetSeconds,
      implausible: attempt(() => h.setWallClock(5)),
      missingPort: attempt(() => h.openSerial({ port: 7, baud: 9600 }, { onReadable() {} })),
    });
  },
};

(globalThis as unknown as { halTest: typeof halTest }).halTest = halTest;
