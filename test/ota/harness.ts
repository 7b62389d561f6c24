/**
 * One simulated gateway for OTA tests, on the Node HAL's clock and TCP (so it downloads from a real node:http server
 * on 127.0.0.1) with the simulated OTA slots (NOR flash with power cuts, ESP-IDF bootloader rules) and a store port
 * that keeps its record across reboots. `reboot()` is a reset: new manager, same flash and store.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { NodeClock } from "../../hal/node/clock";
import { NodeTcpConnector } from "../../hal/node/tcp";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { SimOtaSlots } from "../../hal/sim/ota";
import { SeededRandom } from "../../hal/sim/random";
import type { Log, LogLevel } from "../../hal/types";
import { Counters } from "../../src/core/counters";
import { resolveOtaConfig, type OtaConfig } from "../../src/ota/config";
import { OtaManager, OtaMessage, type OtaUplink } from "../../src/ota/manager";
import { MemoryOtaState, type OtaRecord, type OtaStatePort } from "../../src/ota/state-port";
import { GatewayOtaState } from "../../src/ota/store-adapter";
import { GatewayStore } from "../../src/store/index";

export interface Signer {
  privateKey: KeyObject;
  publicKeyHex: string;
}

export function makeSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = publicKey.export({ format: "der", type: "spki" });
  return { privateKey, publicKeyHex: der.subarray(der.length - 65).toString("hex") };
}

/** A firmware image: "FW <version>\n" then seeded bytes, `size` in all. The version is read back from the slot at boot. */
export function makeImage(version: string, size: number, seed = 1): Uint8Array {
  const image = new Uint8Array(size);
  new SeededRandom(seed).fill(image, 0, size);
  const header = new TextEncoder().encode(`FW ${version}\n`);
  image.set(header, 0);
  return image;
}

export function versionOf(image: Uint8Array): string {
  const text = new TextDecoder().decode(image.subarray(0, 24));
  const match = /^FW ([0-9.]+)\n/.exec(text);
  if (!match) throw new Error("slot holds no image header");
  return match[1];
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** base64 DER ECDSA signature over SHA-256(data), as `openssl dgst -sha256 -sign` makes it. */
export function signImage(data: Uint8Array, signer: Signer): string {
  return sign("sha256", data, signer.privateKey).toString("base64");
}

export interface Published {
  kind: "result" | "progress" | "version";
  body: Record<string, unknown>;
}

class FakeUplink implements OtaUplink {
  readonly messages: Published[] = [];
  readonly acks: number[] = [];
  refuse = false;
  publish(message: OtaMessage, payload: string): boolean {
    if (this.refuse) return false;
    const kind = message === OtaMessage.Result ? "result" : message === OtaMessage.Progress ? "progress" : "version";
    this.messages.push({ kind, body: JSON.parse(payload) as Record<string, unknown> });
    return true;
  }
  acknowledge(token: number): void {
    this.acks.push(token);
  }
}

export interface DeviceOptions {
  factory: Uint8Array;
  signer: Signer;
  ota?: Partial<OtaConfig>;
  slotBytes?: number;
  /** Keep the OTA record on the real flash store (src/store on a SimNorFlash) instead of in RAM. */
  realStore?: boolean;
}

export const DEVICE_UID = "GW-OTA-1";
let commandCount = 0;

export function command(data: Record<string, unknown>, mid = `cmd-${++commandCount}`): string {
  return JSON.stringify({ mid, type: "ota_upgrade", device_uid: DEVICE_UID, timestamp: 1_760_000_000_000, trace_id: `trace-${mid}`, data });
}

export class Device {
  readonly clock = new NodeClock();
  readonly slots: SimOtaSlots;
  /** The RAM store (when not realStore): its record survives reboots like flash. */
  readonly memory: MemoryOtaState | null;
  /** The store partition (realStore): cut it with storeFlash.cutAfter(n). */
  readonly storeFlash: SimNorFlash | null;
  store: OtaStatePort;
  readonly uplink = new FakeUplink();
  readonly config: OtaConfig;
  readonly logLines: string[] = [];
  readonly restarts: string[] = [];
  counters = new Counters();
  tcp = new NodeTcpConnector();
  manager!: OtaManager;
  /** Simulated faults of this boot: the MQTT link never comes up, the control loop never ticks. */
  mqttDown = false;
  controlDead = false;
  dead = false;
  boots = 0;

  constructor(options: DeviceOptions) {
    this.slots = new SimOtaSlots({ slotBytes: options.slotBytes ?? 256 * 1024, tearMode: "mixed" });
    this.slots.installFactory(options.factory);
    this.config = resolveOtaConfig({
      publicKey: options.signer.publicKeyHex,
      maxImageBytes: options.slotBytes ?? 256 * 1024,
      rangeBytes: 16_384,
      bytesPerTick: 8_192,
      checkpointBytes: 8_192,
      progressIntervalMs: 100,
      retryBaseMs: 20,
      retryMaxMs: 100,
      connectTimeoutMs: 2_000,
      idleTimeoutMs: 5_000,
      rebootDelayMs: 10,
      healthTimeoutMs: 3_000,
      healthMinUptimeMs: 30,
      verifyUnitsPerTick: 200,
      ...options.ota,
    });
    if (options.realStore) {
      this.memory = null;
      this.storeFlash = new SimNorFlash({ sectorSize: 4096, sectorCount: 8, seed: 21, tearMode: "mixed" });
      this.store = this.openStore();
    } else {
      this.storeFlash = null;
      this.memory = new MemoryOtaState();
      this.memory.onCut = () => {
        throw new PowerCut(-1);
      };
      this.store = this.memory;
    }
    this.start();
  }

  /** The OTA record as the store holds it now. */
  get record(): OtaRecord | null {
    return this.memory ? this.memory.record : this.store.load();
  }

  get runningVersion(): string {
    return versionOf(this.slots.slotContent(this.slots.running, 24));
  }

  get results(): Record<string, unknown>[] {
    return this.uplink.messages.filter((m) => m.kind === "result").map((m) => m.body);
  }

  get progress(): Record<string, unknown>[] {
    return this.uplink.messages.filter((m) => m.kind === "progress").map((m) => m.body);
  }

  send(payload: string, token = 1): number {
    return this.manager.handleCommand(payload, token);
  }

  /** Tick every 2 ms until `done()` or `timeoutMs`; a power cut ends the run with `dead` set. */
  run(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = this.clock.monotonicMs() + timeoutMs;
      const timer = setInterval(() => {
        try {
          if (!this.dead) {
            // The control service ticks first in this gateway's tick.
            if (!this.controlDead) this.manager.noteControlTick();
            this.manager.tick(this.clock.monotonicMs());
          }
        } catch (error) {
          if (error instanceof PowerCut) this.dead = true;
          else {
            clearInterval(timer);
            reject(error);
            return;
          }
        }
        if (done() || this.dead) {
          clearInterval(timer);
          resolve();
        } else if (this.clock.monotonicMs() > deadline) {
          clearInterval(timer);
          // The download machinery exists only while a download runs.
          const http = this.manager.http;
          const internals = this.manager as unknown as Record<string, unknown>;
          const detail = JSON.stringify({ restarts: this.restarts, dead: this.dead, boots: this.boots, restartAtMs: internals.restartAtMs, nowMs: internals.nowMs, restartRequested: internals.restartRequested, status: this.manager.status(), http: http?.stats, busy: http?.busy, download: this.manager.downloadStats, state: this.manager.downloader?.state });
          reject(new Error(`device run timed out: ${detail}; log:\n${this.logLines.slice(-8).join("\n")}`));
        }
      }, 2);
    });
  }

  /** A reset (restart, crash, watchdog) or a power cycle: flash and store stay, RAM and sockets go. */
  reboot(options: { mqttDown?: boolean; controlDead?: boolean } = {}): void {
    this.tcp.close();
    this.tcp = new NodeTcpConnector();
    this.slots.flash.powerOn();
    this.slots.reboot();
    if (this.storeFlash) {
      this.storeFlash.powerOn();
      this.store = this.openStore();
    }
    this.dead = false;
    this.mqttDown = options.mqttDown ?? false;
    this.controlDead = options.controlDead ?? false;
    this.counters = new Counters();
    this.start();
  }

  close(): void {
    this.tcp.close();
  }

  private openStore(): OtaStatePort {
    return new GatewayOtaState(GatewayStore.open(this.storeFlash as SimNorFlash, { maxStrategies: 4, maxTasks: 4 }));
  }

  private start(): void {
    this.boots++;
    const log: Log = {
      write: (level: LogLevel, source: string, message: string) => {
        this.logLines.push(`${level} ${source}: ${message}`);
      },
    };
    const device = this;
    this.manager = new OtaManager({
      hal: {
        clock: this.clock,
        random: new SeededRandom(this.boots),
        log,
        tcp: this.tcp,
        ota: this.slots,
        system: {
          restart(reason: string) {
            device.restarts.push(reason);
          },
        },
      },
      config: this.config,
      deviceUid: DEVICE_UID,
      runningVersion: this.runningVersion,
      store: this.store,
      uplink: this.uplink,
      counters: this.counters,
    });
    this.manager.noteStoreLoaded();
    if (!this.mqttDown) this.manager.connected();
  }
}
