/**
 * XS harness for the control loop: 1 meter and 4 devices (two PCS, one PV inverter, one charger), all on the
 * simulated RS-485 bus at 115200 baud so every byte of every frame is exchanged. `globalThis.control` is driven by
 * the host (test/control/xs.test.ts, bench/control.bench.ts); results go back with issueCommand as JSON.
 */
import { SimLoop } from "../../hal/sim/loop";
import { SeededRandom } from "../../hal/sim/random";
import { SimSerialBus } from "../../hal/sim/serial";
import { SimSite, type SiteSpec } from "../../sim/site/site";
import { SimNetwork } from "../../hal/sim/tcp";
import { DEFAULT_CONTROL_OPTIONS } from "../../src/control/core";
import { ControlLoop, DEFAULT_LOOP_CONFIG } from "../../src/control/loop";
import { StaticStrategySource, type ControlStrategy, type DeviceSpec } from "../../src/control/strategy-input";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

const PERIOD_MS = 250;

const SITE: SiteSpec = {
  baud: 115200,
  stepMs: 50,
  meter: { id: 10, model: "Acrel-ADW300", unit: 1, pt: 1, ct: 40 },
  load: { points: [[0, 100_000]], noisePct: 1 },
  ess: [
    { id: 3, map: "sunspec-704", unit: 2, ratedW: 100_000, capacityWh: 1e9, socPct: 50, tauMs: 60, baseW: 10_000 },
    { id: 4, map: "generic-pcs", unit: 3, ratedW: 50_000, capacityWh: 1e9, socPct: 60, tauMs: 100, baseW: 5_000 },
  ],
  pv: [{ id: 21, map: "sunspec-123", unit: 5, ratedW: 80_000, tauMs: 200, trace: { points: [[0, 60_000]], noisePct: 1 } }],
  chargers: [{ id: 41, map: "generic-charger", unit: 6, ratedW: 22_000, tauMs: 1000, trace: { points: [[0, 11_000]] } }],
};

function device(id: number, map: string, unit: number, ratedW: number): DeviceSpec {
  return { id, map, link: { proto: "rtu", unit }, ratedW };
}

function strategy(id: number, deviceType: 2 | 3 | 4, devices: DeviceSpec[]): ControlStrategy {
  return {
    id,
    deviceType,
    meter: { id: 10, model: "Acrel-ADW300", link: { proto: "rtu", unit: 1 }, pt: 1, ct: 40, direction: 1 },
    devices,
    antiBackflow: true,
    antiBackflowMarginW: 2000,
    phaseAntiBackflow: true,
    phaseMarginW: 500,
    overDemand: true,
    demandLimitW: 200_000,
    dynamicDemand: true,
    dynamicDemandPct: 90,
    dynamicDemandSeedW: 0,
    monthKey: 202606,
  };
}

interface Rig {
  loop: SimLoop;
  site: SimSite;
  control: ControlLoop | null;
}

function build(withControl: boolean): Rig {
  const loop = new SimLoop({ wallStartMs: Date.UTC(2026, 5, 15, 2), capacity: 64 });
  const bus = new SimSerialBus(loop);
  const network = new SimNetwork(loop);
  const random = new SeededRandom(11);
  const site = new SimSite(SITE, { loop, bus, network, random });
  let control: ControlLoop | null = null;
  if (withControl) {
    const hal = {
      clock: loop,
      log: { write() {} },
      openSerial: (config: { port: string | number; baud: number }, handlers: Parameters<SimSerialBus["open"]>[1]) => bus.open(config, handlers),
      tcp: network,
    };
    const source = new StaticStrategySource([
      strategy(1, 2, [device(3, "sunspec-704", 2, 100_000), device(4, "generic-pcs", 3, 50_000)]),
      strategy(2, 3, [device(21, "sunspec-123", 5, 80_000)]),
      strategy(3, 4, [device(41, "generic-charger", 6, 22_000)]),
    ]);
    const running = new ControlLoop(hal, source, {
      ...DEFAULT_LOOP_CONFIG,
      baud: 115200,
      rtu: { ...DEFAULT_LOOP_CONFIG.rtu, turnaroundMs: 10 },
      options: { ...DEFAULT_CONTROL_OPTIONS, periodMs: PERIOD_MS },
    });
    control = running;
    const tick = loop.createTimer(() => running.tick(loop.monotonicMs()));
    tick.start(PERIOD_MS, PERIOD_MS);
  }
  return { loop, site, control };
}

let withControl: Rig | null = null;
let siteOnly: Rig | null = null;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

const control = {
  /** Build both rigs and run them long enough to reach steady state (scale factors read, windows filling). */
  setup(warmupS: number): void {
    withControl = build(true);
    siteOnly = build(false);
    withControl.loop.runFor(warmupS * 1000);
    siteOnly.loop.runFor(warmupS * 1000);
  },
  /** Run `n` control periods (site and control). */
  periods(n: number): void {
    (withControl as Rig).loop.runFor(n * PERIOD_MS);
  },
  /** Run `n` periods of the same site without control (to subtract the simulator's own cost). */
  sitePeriods(n: number): void {
    (siteOnly as Rig).loop.runFor(n * PERIOD_MS);
  },
  /** Run the decision alone `n` times on the current inputs (no I/O): the CPU cost of deciding. */
  decide(n: number): void {
    const rig = withControl as Rig;
    const core = (rig.control as ControlLoop).groups[0].core;
    const now = rig.loop.monotonicMs();
    for (let i = 0; i < n; i++) core.decide(now, now);
  },
  status(): void {
    const rig = withControl as Rig;
    const c = rig.control as ControlLoop;
    const s = c.status();
    reply({ cycles: s.cycles, busOverruns: s.busOverruns, lateCycles: s.lateCycles, problems: s.problems, buses: s.buses, alarms: s.groups[0].alarms, safe: s.groups[0].safe, gridW: rig.site.gridW, devices: s.groups[0].devices });
  },
};

(globalThis as unknown as { control: typeof control }).control = control;
