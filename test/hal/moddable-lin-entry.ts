/**
 * hal/moddable on the fake Linux-simulator runtime (test/hal/moddable-fakes, platform "lin"): fakes of the SDK's
 * Linux modules (Time.ticks near 1.8e12, a System without restart, a tty serial, in-memory files) with boards/sim's
 * own modules over them as they are (host provider without GPIO, rs485-tty, file-backed flash and OTA state,
 * hal-native). Bundled for the real XS engine by test/hal/moddable-xs.test.ts and test/hal/moddable-clock.test.ts;
 * driven through `globalThis.halLinTest`.
 */
import { createModdableHal, type ModdableHal } from "../../hal/moddable/index";
import type { SerialPort } from "../../hal/types";
import { resolveConfig } from "../../src/config/gateway-config";
import { files, peer, tty } from "./moddable-fakes/hardware";
import { world } from "./moddable-fakes/world";
import { attempt, reply, replyClockRun } from "./moddable-entry-common";


const traced: string[] = [];
let hal: ModdableHal | null = null;
let port: SerialPort | null = null;
let readable = 0;
let writeDone = 0;

function need(): ModdableHal {
  if (!hal) throw new Error("halLinTest: boot first");
  return hal;
}

function text(path: string): string {
  const entry = files.get(path);
  return entry === undefined ? "" : new TextDecoder().decode(entry.bytes.subarray(0, entry.length));
}

const halLinTest = {
  boot(startMs: number): void {
    world.now = startMs;
    (globalThis as { trace?: (text: string) => void }).trace = (line) => traced.push(line);
    hal = createModdableHal(resolveConfig({ board: "sim", rs485: { port: "rs485", baud: 19200 } }));
  },

  clock(ms: number, everyMs: number): void {
    replyClockRun(need().clock, ms, everyMs);
  },

  /** The host clock stepped by `stepMs` (NTP): monotonic readings around it. */
  hostClockStep(stepMs: number): void {
    const clock = need().clock;
    world.run(10);
    const before = clock.monotonicMs();
    world.hostClockStepMs += stepMs;
    world.run(10);
    reply({ before, after: clock.monotonicMs() });
  },

  globals(): void {
    const g = globalThis as unknown as { System?: object; device?: object };
    reply({
      system: g.System === undefined ? null : Object.getOwnPropertyNames(g.System).filter((name) => typeof (g.System as Record<string, unknown>)[name] === "function").sort(),
      device: g.device === undefined ? null : Object.keys(g.device),
    });
  },

  /** A frame out through rs485-tty onto the tty, an answer back from it. */
  serial(): void {
    const h = need();
    port = h.openSerial({ port: "rs485", baud: 19200 }, { onReadable: () => readable++, onWriteDone: () => writeDone++ });
    world.run(2);
    const frame = new Uint8Array([1, 3, 0, 0, 0, 2, 0xc4, 0x0b]);
    tty.clear();
    const accepted = port.write(frame, 0, frame.length);
    for (let i = 0; i < 50 && writeDone === 0; i++) world.run(1);
    const sent = Array.from(tty.sent.subarray(0, tty.sentCount));
    tty.inject(new Uint8Array([1, 3, 4, 0, 42, 0, 7, 0x5b, 0x8d]));
    world.run(1);
    const into = new Uint8Array(16);
    const count = port.read(into, 1, 15);
    reply({ accepted, sent, writeDone, readable, count, bytes: Array.from(into.subarray(1, 1 + count)), opened: tty.opened, de: "no driver-enable pin on the simulator" });
  },

  flash(): void {
    const store = need().flash.open("store");
    store.program(8, new Uint8Array([0xf0, 0x0f]), 0, 2);
    store.program(8, new Uint8Array([0x3c, 0xff]), 0, 2);
    const into = new Uint8Array(3);
    store.read(8, into, 0, 3);
    const anded = Array.from(into);
    store.eraseSector(0);
    store.read(8, into, 0, 3);
    reply({
      anded,
      erased: Array.from(into),
      sectorSize: store.sectorSize,
      sectorCount: store.sectorCount,
      file: files.get("/tmp/ess-gateway-sim/store.flash")?.length ?? -1,
      missing: attempt(() => need().flash.open("nvs2")),
    });
  },

  ota(): void {
    const ota = need().ota;
    const image = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    image[0] = 0xe9;
    ota.begin(image.length);
    ota.write(image, 0, image.length);
    const back = new Uint8Array(image.length);
    ota.read(0, back, 0, image.length);
    const readOk = back.every((b, i) => b === image[i]);
    ota.complete();
    ota.markRunningValid();
    reply({ readOk, pending: ota.runningImagePendingVerify(), state: text("/tmp/ess-gateway-sim/ota-state") });
  },

  tcp(): void {
    const events: string[] = [];
    peer.reset();
    need().tcp.connect(
      { host: "broker.example", port: 1883 },
      {
        onConnect: () => events.push("connect"),
        onReadable: (n: number) => events.push(`readable ${n}`),
        onClose: () => events.push("close"),
        onError: (message: string) => events.push(`error ${message}`),
      },
    );
    world.run(3);
    reply({ events, address: peer.address });
  },

  /** The supervisor's restart on a platform whose System has no restart: it says so and the loop keeps running. */
  watchdog(): void {
    const h = need();
    traced.length = 0;
    h.watchdog.enable(1000);
    world.run(2000);
    reply({ log: traced.slice(), restarts: world.restarts, timeout: world.watchdogTimeoutMs });
  },

  misc(): void {
    const h = need();
    const bytes = new Uint8Array(32);
    h.random.fill(bytes, 0, 32);
    const base = Date.UTC(2026, 5, 1, 12);
    h.setWallClock(base);
    world.run(1000);
    reply({
      randomNonZero: bytes.some((b) => b !== 0),
      memory: h.system.memory(),
      wall: h.clock.wallMs() - base,
      synced: h.clock.wallSynced(),
      timeSet: world.wallSetSeconds,
      led: attempt(() => h.setStatusLed(true)),
    });
  },
};

(globalThis as unknown as { halLinTest: typeof halLinTest }).halLinTest = halLinTest;
