/**
 * A whole update on the simulated HAL (SimLoop time, SimNetwork with a simulated HTTP range server, SimOtaSlots,
 * RAM store): command, signature check, download with a broken connection, a power cut in the slot flash, resume
 * after the reboot, staging, restart, health check, success report. Deterministic: the same summary on Node and in
 * XS (test/ota/xs.test.ts compares them). No Node APIs here.
 */
import { PowerCut } from "../../hal/sim/flash";
import { SimLoop } from "../../hal/sim/loop";
import { SimOtaSlots } from "../../hal/sim/ota";
import { SeededRandom } from "../../hal/sim/random";
import { SimNetwork } from "../../hal/sim/tcp";
import { Counters } from "../../src/core/counters";
import { resolveOtaConfig } from "../../src/ota/config";
import { OtaManager } from "../../src/ota/manager";
import { MemoryOtaState } from "../../src/ota/state-port";
import { SimHttpServer } from "./sim-http";

export interface ScenarioInput {
  publicKeyHex: string;
  /** base64 signature and hex SHA-256 of simImage("1.1.0", imageSize, 2), made on the host. */
  signature: string;
  sha256: string;
  imageSize: number;
  /** Slot flash operation (counted from the start of the download) at which the power is cut; 0 = none. */
  cutAt: number;
}

/** The image both sides build: "FW <version>\n" then seeded bytes. */
export function simImage(version: string, size: number, seed: number): Uint8Array {
  const image = new Uint8Array(size);
  new SeededRandom(seed).fill(image, 0, size);
  for (let i = 0; i < version.length + 4; i++) image[i] = `FW ${version}\n`.charCodeAt(i);
  return image;
}

function versionIn(slot: Uint8Array): string {
  let text = "";
  for (let i = 3; i < 20 && slot[i] !== 10; i++) text += String.fromCharCode(slot[i]);
  return text;
}

export function otaSimScenario(input: ScenarioInput): Record<string, unknown> {
  const loop = new SimLoop({ wallStartMs: Date.UTC(2026, 2, 1), capacity: 4096 });
  const network = new SimNetwork(loop);
  const server = new SimHttpServer(network, "fw.example", 80);
  server.serve("/fw/1.1.0.bin", simImage("1.1.0", input.imageSize, 2), 20_000, 1);
  const slots = new SimOtaSlots({ slotBytes: 256 * 1024, seed: 5, tearMode: "mixed" });
  slots.installFactory(simImage("1.0.0", 60_000, 1));
  const store = new MemoryOtaState();
  const config = resolveOtaConfig({
    publicKey: input.publicKeyHex,
    maxImageBytes: 256 * 1024,
    rangeBytes: 32_768,
    bytesPerTick: 8_192,
    checkpointBytes: 16_384,
    progressIntervalMs: 2_000,
    retryBaseMs: 1_000,
    rebootDelayMs: 1_000,
    healthTimeoutMs: 60_000,
    healthMinUptimeMs: 5_000,
  });
  const events: string[] = [];
  const restarts: string[] = [];
  let boots = 0;
  let manager: OtaManager;
  let counters = new Counters();
  const boot = (): OtaManager => {
    boots++;
    counters = new Counters();
    const m = new OtaManager({
      hal: {
        clock: loop,
        random: new SeededRandom(100 + boots),
        log: { write: (level, source, message) => events.push(`${loop.monotonicMs()} ${level} ${source}: ${message}`) },
        tcp: network,
        ota: slots,
        system: { restart: (reason) => restarts.push(reason) },
      },
      config,
      deviceUid: "GW-SIM",
      runningVersion: versionIn(slots.slotContent(slots.running, 20)),
      store,
      uplink: {
        publish(message, payload) {
          events.push(`${["result", "progress", "version"][message]} ${payload}`);
          return true;
        },
        acknowledge(token) {
          events.push(`ack ${token}`);
        },
      },
      counters,
    });
    m.noteStoreLoaded();
    m.connected();
    return m;
  };
  manager = boot();
  const command = JSON.stringify({
    mid: "sim-1",
    type: "ota_upgrade",
    device_uid: "GW-SIM",
    timestamp: 1_772_323_200_000,
    data: { version: "1.1.0", url: "http://fw.example/fw/1.1.0.bin", size: input.imageSize, sha256: input.sha256, signature: input.signature },
  });
  events.push(`disposition ${manager.handleCommand(command, 7)}`);
  let cutArmed = input.cutAt > 0;
  const flashOpsAtStart = slots.flash.operations;
  let powerCuts = 0;
  let handledRestarts = 0;
  // 250 ms control ticks for at most 10 simulated minutes.
  for (let tick = 0; tick < 2400; tick++) {
    loop.runFor(250);
    if (cutArmed && manager.status().phase === "downloading") {
      const remaining = input.cutAt - (slots.flash.operations - flashOpsAtStart);
      if (remaining > 0) slots.flash.cutAfter(remaining);
      cutArmed = false;
    }
    try {
      manager.noteControlTick();
      manager.tick(loop.monotonicMs());
    } catch (error) {
      if (!(error instanceof PowerCut)) throw error;
      powerCuts++;
      events.push(`${loop.monotonicMs()} power cut`);
      network.resetAll();
      slots.flash.powerOn();
      slots.reboot();
      manager = boot();
      continue;
    }
    if (restarts.length > handledRestarts) {
      handledRestarts++;
      events.push(`${loop.monotonicMs()} restart: ${restarts[restarts.length - 1]}`);
      network.resetAll();
      slots.reboot();
      manager = boot();
    }
    if (boots > 1 && manager.status().phase === "idle" && store.record === null && !slots.runningImagePendingVerify()) break;
  }
  return {
    events,
    requests: server.requests,
    running: versionIn(slots.slotContent(slots.running, 20)),
    states: slots.states.slice(),
    flashOperations: slots.flash.operations,
    simulatedMs: loop.monotonicMs(),
    boots,
    powerCuts,
    counters: counters.nonZero(),
  };
}
