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
import { FakeClock, InstantPort, InstantTransport, RecordingPort } from "./instant-bus";

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
  recorder: RecordingPort | null;
}

function strategies(): StaticStrategySource {
  return new StaticStrategySource([
    strategy(1, 2, [device(3, "sunspec-704", 2, 100_000), device(4, "generic-pcs", 3, 50_000)]),
    strategy(2, 3, [device(21, "sunspec-123", 5, 80_000)]),
    strategy(3, 4, [device(41, "generic-charger", 6, 22_000)]),
  ]);
}

function build(withControl: boolean): Rig {
  const loop = new SimLoop({ wallStartMs: Date.UTC(2026, 5, 15, 2), capacity: 64 });
  const bus = new SimSerialBus(loop);
  const network = new SimNetwork(loop);
  const random = new SeededRandom(11);
  const site = new SimSite(SITE, { loop, bus, network, random });
  let control: ControlLoop | null = null;
  let recorder: RecordingPort | null = null;
  if (withControl) {
    const hal = {
      clock: loop,
      log: { write() {} },
      openSerial: (config: { port: string | number; baud: number }, handlers: Parameters<SimSerialBus["open"]>[1]) => {
        // Recording from the first request: init blocks (scale factors) are read only then.
        recorder = new RecordingPort(bus.open(config, handlers));
        recorder.recording = true;
        return recorder;
      },
      tcp: network,
    };
    const source = strategies();
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
  // The port is opened at the loop's first tick, after this returns.
  return {
    loop,
    site,
    control,
    get recorder() {
      return recorder;
    },
  };
}

let withControl: Rig | null = null;
let siteOnly: Rig | null = null;

/** The same loop on slaves that answer at once (instant-bus.ts), every command written every cycle. */
interface InstantRig {
  clock: FakeClock;
  port: InstantPort;
  /** Set when the drivers were switched from the RTU master to the in-process transport. */
  transport: InstantTransport | null;
  control: ControlLoop;
}
let instant: InstantRig | null = null;

function buildInstant(recorder: RecordingPort, keepaliveMs: number): InstantRig {
  const clock = new FakeClock(Date.UTC(2026, 5, 15, 2));
  const port = new InstantPort(recorder.exchanges, 115200);
  const hal = {
    clock,
    log: { write() {} },
    openSerial: (_config: { port: string | number; baud: number }, handlers: Parameters<SimSerialBus["open"]>[1]) => {
      port.attach(handlers);
      return port;
    },
    tcp: new SimNetwork(new SimLoop()),
  };
  const control = new ControlLoop(hal, strategies(), {
    ...DEFAULT_LOOP_CONFIG,
    baud: 115200,
    rtu: { ...DEFAULT_LOOP_CONFIG.rtu, turnaroundMs: 10 },
    // Keep-alive 0: every device's command is encoded and written in every cycle (the costliest cycle there is).
    keepaliveMs,
    options: { ...DEFAULT_CONTROL_OPTIONS, periodMs: PERIOD_MS },
  });
  return { clock, port, transport: null, control };
}

/** Switch every driver of the rig from its RTU master to slaves answering inside submit (after a first cycle). */
function useInstantTransport(rig: InstantRig, recorder: RecordingPort): void {
  const transport = new InstantTransport(recorder.exchanges, rig.clock);
  for (const group of rig.control.groups) {
    group.meter.poller.setTransport(transport);
    for (const device of group.devices) device.setTransport(transport);
  }
  rig.transport = transport;
}

/** One period of the instant rig: tick, then every answer and timer of the cycle until the next period starts. */
function instantCycle(rig: InstantRig): void {
  const clock = rig.clock;
  const start = clock.nowMs;
  const end = start + PERIOD_MS;
  rig.control.tick(start);
  for (;;) {
    if (rig.port.deliver()) continue;
    if (!clock.fireNext(end)) break;
  }
  clock.nowMs = end;
  rig.port.replayIndex++;
  if (rig.transport) rig.transport.replayIndex++;
}

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
    // The answers seen during the warm-up feed the instant rig; recording allocates, so it ends here.
    const recorder = withControl.recorder as RecordingPort;
    recorder.recording = false;
    recorder.closeCurrent();
  },
  /** Build the instant rig on the answers recorded during setup (the newest few per request) and warm it up. */
  instantSetup(warmupPeriods: number, keepaliveMs: number, inProcess: boolean): void {
    const recorder = (withControl as Rig).recorder as RecordingPort;
    instant = buildInstant(recorder, keepaliveMs);
    instantCycle(instant);
    if (inProcess) useInstantTransport(instant, recorder);
    for (let i = 1; i < warmupPeriods; i++) instantCycle(instant);
  },
  /** `n` periods of the control loop on instant slaves. */
  instantCycles(n: number): void {
    const rig = instant as InstantRig;
    for (let i = 0; i < n; i++) instantCycle(rig);
  },
  /** The instant rig itself, for probes that time one part of its cycle. */
  get instant(): InstantRig | null {
    return instant;
  },
  instantStatus(): void {
    const rig = instant as InstantRig;
    const s = rig.control.status();
    const g = rig.control.groups[0];
    reply({
      cycles: s.cycles,
      busOverruns: s.busOverruns,
      lateCycles: s.lateCycles,
      problems: s.problems,
      alarms: s.groups[0].alarms,
      safe: s.groups[0].safe,
      writes: g.writes,
      forcedDecisions: g.forcedDecisions,
      exchanges: rig.port.exchangesServed + (rig.transport ? rig.transport.exchangesServed : 0),
      unanswered: rig.port.unanswered + (rig.transport ? rig.transport.unanswered : 0),
      devices: s.groups[0].devices,
    });
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
