/** The loop's configuration from strategies: problems named and skipped, transports shared, bus time planned. */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { SimAdw300 } from "../../sim/site/meters";
import { Counters } from "../../src/core/counters";
import { ControlLoop, DEFAULT_LOOP_CONFIG } from "../../src/control/loop";
import { StaticStrategySource, type ControlStrategy, type DeviceSpec } from "../../src/control/strategy-input";
import { rtuReadMs, rtuWriteMs } from "../../src/modbus/timing";

function strategy(id: number, devices: DeviceSpec[], over: Partial<ControlStrategy> = {}): ControlStrategy {
  return {
    id,
    deviceType: 2,
    meter: { id: 10, model: "Acrel-ADW300", link: { proto: "rtu", unit: 1 }, pt: 1, ct: 1, direction: 1 },
    devices,
    antiBackflow: true,
    antiBackflowMarginW: 2000,
    phaseAntiBackflow: false,
    phaseMarginW: 0,
    overDemand: false,
    demandLimitW: 0,
    dynamicDemand: false,
    dynamicDemandPct: 100,
    dynamicDemandSeedW: 0,
    monthKey: 202606,
    ...over,
  };
}

const pcs = (id: number, unit: number, map = "generic-pcs"): DeviceSpec => ({ id, map, link: { proto: "rtu", unit }, ratedW: 100_000 });

test("bad strategies and devices are reported by name and skipped; the rest runs", (t) => {
  const sim = createSimHal();
  const source = new StaticStrategySource([
    strategy(1, [pcs(3, 2), { ...pcs(4, 3), map: "no-such-map" }, { ...pcs(5, 4), map: "sunspec-123" }, { ...pcs(6, 5), ratedW: 0 }]),
    strategy(2, [pcs(3, 2)], { deviceType: 2 }),
    strategy(3, [], { meter: { id: 11, model: "DTSU999", link: { proto: "rtu", unit: 9 } } }),
    strategy(4, [], { meter: { id: 12, model: "Acrel-ADW300", link: { proto: "rtu", unit: 9 }, rate: 100, pt: 10, ct: 20 } }),
    strategy(5, [{ ...pcs(7, 2), link: { proto: "tcp", unit: 1 } }]),
  ]);
  const counters = new Counters();
  const loop = new ControlLoop(sim, source, DEFAULT_LOOP_CONFIG, counters);
  loop.tick(0);
  t.deepEqual(loop.problems, [
    'strategy 1 device 4: unknown register map "no-such-map"',
    'strategy 1 device 5: map "sunspec-123" is for pv, the strategy\'s device_type is ess',
    "strategy 1 device 6: ratedW must be > 0",
    "strategy 2 device 3: already controlled by another strategy; ignored here",
    'strategy 3 meter 11: no register map for meter type "DTSU999"',
    "strategy 4 meter 12: rate 100 disagrees with pt x ct = 10 x 20 = 200",
    "strategy 5 device 7: Modbus TCP needs host and port 1..65535",
  ]);
  t.is(counters.value("control_config_problems"), 7);
  t.is(loop.groups.length, 1);
  t.deepEqual(
    loop.groups[0].devices.map((d) => d.id),
    [3],
  );
});

test("bus time is planned from baud and register counts; a bus that cannot carry a cycle spreads reads, then stretches the period", (t) => {
  const sim = createSimHal();
  const config = { ...DEFAULT_LOOP_CONFIG, baud: 19200 };
  const loop = new ControlLoop(sim, new StaticStrategySource([strategy(1, [pcs(3, 2), pcs(4, 3)])]), config);
  loop.tick(0);
  const turnaround = config.rtu.turnaroundMs;
  // Meter: the 8-register power block every cycle plus the largest slow block (9 registers).
  const meter = rtuReadMs(19200, 8, turnaround) + rtuReadMs(19200, 9, turnaround);
  // Each vendor PCS: a 2-register status read and a single-register FC06 write.
  const read = rtuReadMs(19200, 2, turnaround);
  const write = rtuWriteMs(19200, 1, true, turnaround);
  t.deepEqual(loop.busPlan(), [{ key: "rtu:1", plannedMs: meter + 2 * (read + write), readEvery: 1, writesPerCycle: 2, periodMs: 250 }]);
  t.deepEqual(loop.problems, []);
  // At 9600 baud the same site needs ~310 ms, more than 90 % of 250 (225 ms). Both writes with the PCS read on
  // alternate cycles would still need ~265 ms; one write per cycle (the larger change first) with alternate reads fits.
  const at9600 = new ControlLoop(sim, new StaticStrategySource([strategy(1, [pcs(3, 2), pcs(4, 3)])]), { ...config, baud: 9600 });
  at9600.tick(0);
  const m9600 = rtuReadMs(9600, 8, turnaround) + rtuReadMs(9600, 9, turnaround);
  const w9600 = rtuWriteMs(9600, 1, true, turnaround);
  const r9600 = rtuReadMs(9600, 2, turnaround);
  t.true(m9600 + 2 * w9600 + r9600 > 225);
  t.deepEqual(at9600.busPlan(), [{ key: "rtu:1", plannedMs: m9600 + w9600 + r9600, readEvery: 2, writesPerCycle: 1, periodMs: 250 }]);
  t.deepEqual(at9600.problems, []);
  // At 2400 baud the meter alone needs more than the period: the period stretches to what the bus carries.
  const slow = new ControlLoop(sim, new StaticStrategySource([strategy(1, [pcs(3, 2), pcs(4, 3)])]), { ...config, baud: 2400 });
  slow.tick(0);
  const m2400 = rtuReadMs(2400, 8, turnaround) + rtuReadMs(2400, 9, turnaround);
  const busiest = m2400 + 2 * rtuWriteMs(2400, 1, true, turnaround) + rtuReadMs(2400, 2, turnaround);
  t.deepEqual(slow.busPlan(), [{ key: "rtu:1", plannedMs: busiest, readEvery: 2, writesPerCycle: 2, periodMs: Math.ceil(busiest / 0.9 / 10) * 10 }]);
  t.is(slow.periodMs, Math.ceil(busiest / 0.9 / 10) * 10);
  t.is(slow.problems.length, 1);
  t.regex(slow.problems[0], /^bus rtu:1: a cycle needs \d+\.\d ms of bus time at 2400 baud, more than the 250 ms period allows; device reads every 2 cycles and the period stretched to \d+ ms$/);
  // Cycles then start at the stretched period (no slave answers here: the reads' turns are checked on the simulated
  // site in test/control/bus-plan.test.ts).
  for (let now = 250; now <= 10_000; now += 250) {
    sim.loop.runUntil(now);
    slow.tick(now);
  }
  t.true(slow.cycles <= Math.ceil(10_000 / slow.periodMs) + 1, `${slow.cycles} cycles in 10 s at ${slow.periodMs} ms`);
  t.is(slow.status().periodMs, slow.periodMs);
});

test("a cycle that cannot finish within the period is counted as a bus overrun, never queued up", (t) => {
  const sim = createSimHal();
  const meter = new SimAdw300({ unit: 1, pt: 1, ct: 1, reversed: false });
  sim.bus.attach(meter.slave);
  meter.slave.turnaroundMs = 400;
  const counters = new Counters();
  const loop = new ControlLoop(sim, new StaticStrategySource([strategy(1, [])]), { ...DEFAULT_LOOP_CONFIG, rtu: { ...DEFAULT_LOOP_CONFIG.rtu, responseTimeoutMs: 1000 } }, counters);
  for (let now = 0; now <= 2000; now += 250) {
    sim.loop.runUntil(now);
    loop.tick(now);
  }
  t.true(loop.busOverruns >= 3, `${loop.busOverruns}`);
  t.is(counters.value("control_bus_overruns"), loop.busOverruns);
  t.true(loop.cycles >= 8);
});

test("strategies replaced at run time rebuild the groups; transports are reused", (t) => {
  const sim = createSimHal();
  const source = new StaticStrategySource([strategy(1, [pcs(3, 2)])]);
  const loop = new ControlLoop(sim, source, DEFAULT_LOOP_CONFIG);
  loop.tick(0);
  const bus = loop.transport("rtu:1");
  source.replace([strategy(1, [pcs(3, 2), pcs(4, 3)])]);
  loop.tick(250);
  t.is(loop.groups[0].devices.length, 2);
  t.is(loop.transport("rtu:1"), bus);
  t.is(loop.status().groups[0].devices.length, 2);
});

test("a TCP device that cannot be reached never holds back the decisions of its meter", (t) => {
  const sim = createSimHal();
  const meter = new SimAdw300({ unit: 1, pt: 1, ct: 1, reversed: false });
  sim.bus.attach(meter.slave);
  const unreachable: DeviceSpec = { id: 3, map: "sunspec-704", link: { proto: "tcp", host: "10.9.9.9", port: 502, unit: 1 }, ratedW: 100_000 };
  const loop = new ControlLoop(sim, new StaticStrategySource([strategy(1, [unreachable])]), DEFAULT_LOOP_CONFIG);
  for (let now = 0; now <= 10_000; now += 250) {
    sim.loop.runUntil(now);
    loop.tick(now);
  }
  const group = loop.groups[0];
  // One decision per cycle (some forced at the next cycle while the device's request waits out the reconnect
  // hold-off), none lost, the meter read every time.
  t.true(group.core.decisions >= loop.cycles - 1, `${group.core.decisions} decisions in ${loop.cycles} cycles`);
  t.is(loop.busOverruns, 0);
  t.true(group.core.devices[0].offline);
  t.false(group.core.safe);
});

test("limits: devices beyond maxDevices and meters beyond maxGroups are named and left out of control", (t) => {
  const sim = createSimHal();
  const loop = new ControlLoop(sim, new StaticStrategySource([strategy(1, [pcs(3, 2), pcs(4, 3), pcs(5, 4)])]), { ...DEFAULT_LOOP_CONFIG, maxDevices: 2 });
  loop.tick(0);
  t.deepEqual(loop.groups[0].devices.map((d) => d.id), [3, 4]);
  t.deepEqual(loop.problems.filter((p) => p.includes("limits.maxDevices")), ["strategy 1 device 5: more than 2 devices under control (limits.maxDevices)"]);
});
