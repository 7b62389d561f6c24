/**
 * The XS harness bundle: the unchanged core on the simulated HAL, driven from the host through `globalThis.harness`.
 * Results go back to the host with `issueCommand` (xsnap's channel to its parent), as JSON.
 */
import { createSimHal, type SimHal } from "../../hal/sim/index";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { bootFirmware, type Firmware } from "../../src/app/firmware";
import { bootGateway, type Gateway } from "../../src/app/gateway";
import { resolveConfig } from "../../src/config/gateway-config";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;
declare function print(...values: unknown[]): void;

let sim: SimHal | null = null;
let gateway: Gateway | null = null;
let firmware: Firmware | null = null;
let site: SimSite | null = null;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

function need(): { sim: SimHal; gateway: Gateway } {
  if (!sim || !gateway) throw new Error("harness: boot first");
  return { sim, gateway };
}

const harness = {
  boot(configJson: string, seed: number, echoLog: boolean): void {
    const config = resolveConfig(JSON.parse(configJson));
    sim = createSimHal({ seed, echo: echoLog ? (line) => print(line) : undefined });
    gateway = bootGateway(sim, config);
  },
  /** Boot the whole firmware (store, MQTT link, protocols, control loop, scheduler) instead of the bare gateway. */
  bootFirmware(configJson: string, seed: number, echoLog: boolean): void {
    const config = resolveConfig(JSON.parse(configJson));
    sim = createSimHal({ seed, echo: echoLog ? (line) => print(line) : undefined });
    gateway = bootFirmware(sim, config).gateway;
  },
  /**
   * The whole firmware controlling a simulated site: the site's devices answer Modbus on the simulated bus, and the
   * strategy command (spec 000 create) goes straight to the handler, committed to the store as over MQTT.
   */
  bootControlledSite(configJson: string, seed: number, siteJson: string, createCommandJson: string): void {
    const config = resolveConfig(JSON.parse(configJson));
    sim = createSimHal({ seed, partitions: { store: { sectorCount: 96 } } });
    site = new SimSite(JSON.parse(siteJson) as SiteSpec, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
    firmware = bootFirmware(sim, config);
    gateway = firmware.gateway;
    const outputs = firmware.overdemand.handler.handle("create", createCommandJson);
    reply({ code: outputs[0].code, payload: outputs[0].payload });
  },
  siteStatus(): void {
    if (!site || !firmware) throw new Error("harness: bootControlledSite first");
    const battery = site.batteries[0];
    reply({ gridW: site.gridW, essW: battery ? battery.model.actualW : null, cycles: firmware.control.cycles, groups: firmware.control.groups.length });
  },
  /** A spec 003 command handled as from the platform (committed before the reply, as over MQTT); replies the reply. */
  scheduleCommand(text: string): void {
    if (!firmware) throw new Error("harness: bootControlledSite first");
    reply(JSON.parse(firmware.scheduleCommands.handleText(text)));
  },
  /** A trigger property's current value as the scheduler reads it (null: unknown), and the meter relay's state. */
  point(target: "addr" | "groupid", id: string, property: string): void {
    if (!firmware || !site) throw new Error("harness: bootControlledSite first");
    const value = firmware.points.read(firmware.points.resolve(target, id, property));
    const meter = site.meter as { relayClosed?: boolean };
    reply({ value: Number.isNaN(value) ? null : value, relayClosed: meter.relayClosed ?? null, runs: firmware.scheduler.runner.completed });
  },
  /** Advance simulated time; every due timer (ticks included) fires. */
  runFor(ms: number): void {
    need().sim.loop.runFor(ms);
  },
  /** Run `count` control ticks directly (for step and allocation measurements). */
  ticks(count: number): void {
    const { gateway } = need();
    for (let i = 0; i < count; i++) gateway.tick();
  },
  status(): void {
    const { sim, gateway } = need();
    reply({ status: gateway.status(), log: sim.simLog.lines, restarts: sim.restarts });
  },
};

(globalThis as unknown as { harness: typeof harness }).harness = harness;

/**
 * Test-only: add a service that allocates on every tick, so the allocation test can show that the measurement does
 * see allocation (a test that could never fail would prove nothing).
 */
(harness as unknown as Record<string, unknown>).addAllocatingService = (): void => {
  const keep: unknown[] = [];
  // Reachable from the global object, so neither the bundler nor the GC can drop what the service allocates.
  (harness as unknown as Record<string, unknown>).kept = keep;
  need().gateway.addService({
    name: "allocating",
    tick(nowMs: number) {
      keep.push({ nowMs });
    },
  });
};
