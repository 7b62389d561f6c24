/**
 * Control figures: the XS cost of a control period (1 meter, 4 devices on a 115200-baud simulated bus), its heap
 * allocation (target 0), the firmware's own cost per cycle with slaves that answer at once (xs_steps_control_cycle,
 * budget 20,000 steps: test/control/cycle-budget.test.ts), and the scenario suite's control metrics (sim/scenarios/*.json, measured on the simulated
 * physics). XS figures are deterministic; scenario figures are deterministic too (seeded simulation).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runScenario, type Scenario, type ScenarioMetrics } from "../sim/scenario";
import type { ControlLoop } from "../src/control/loop";
import { startXsWithEntry } from "../test/helpers/xs";

/** Scenario metrics reported, under scenario_<name>_<metric in snake case>. */
const METRICS: (keyof ScenarioMetrics)[] = [
  "exportEnergyKwh",
  "maxExportAboveThresholdW",
  "secondsAboveThreshold",
  "secondsPhaseAboveThreshold",
  "maxDemandW",
  "demandLimitW",
  "setpointSignChangesPerHour",
  "tickOverruns",
  "busOverruns",
  "safeStateAfterMs",
  "notFollowingAlarmAfterMs",
  "essDischargedKwh",
];

const snake = (text: string) => text.replace(/[-.]/g, "_").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export default async function controlBench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const { xs } = await startXsWithEntry("test/xs/control-entry.ts");
  try {
    await xs.run("control.setup(30)");
    const full = await xs.measure("control.periods(0)", "control.periods(1000)");
    const site = await xs.measure("control.sitePeriods(0)", "control.sitePeriods(1000)");
    const decide = await xs.measure("control.decide(0)", "control.decide(1000)");
    // Control side of a period: loop tick, Modbus master, decoding, decision, encoding (and the simulated slaves'
    // answers, which cannot be separated from the bus exchange: an upper bound for the gateway's share).
    figures.xs_steps_control_tick = Math.round((full.steps - site.steps) / 1000);
    figures.xs_steps_control_decide = Math.round(decide.steps / 1000);
    figures.xs_heap_slots_per_1000_control_ticks = full.heapSlots;
  } finally {
    await xs.close();
  }
  // The firmware's own work per cycle, slaves answering at once from recorded frames (test/xs/instant-bus.ts): in
  // process (polling, decoding, deciding, encoding), with every command rewritten each cycle, and through the RTU
  // master (its framing, CRC and timers added).
  const instant = [
    ["", 2000, true],
    ["_all_writes", 0, true],
    ["_rtu", 2000, false],
  ] as const;
  for (const [suffix, keepaliveMs, inProcess] of instant) {
    const worker = (await startXsWithEntry("test/xs/control-entry.ts")).xs;
    try {
      await worker.run("control.setup(30)");
      await worker.run(`control.instantSetup(200, ${keepaliveMs}, ${inProcess})`);
      const m = await worker.measure("control.instantCycles(0)", "control.instantCycles(1000)");
      figures[`xs_steps_control_cycle${suffix}`] = Math.round(m.steps / 1000);
      figures[`xs_heap_slots_per_1000_control_cycles${suffix}`] = m.heapSlots;
    } finally {
      await worker.close();
    }
  }
  // The bus plan (src/control/bus-plan.ts): 1 meter + 4 devices on one RS-485 bus at three bauds.
  const bus = JSON.parse(readFileSync("sim/scenarios/bus-four-devices.json", "utf8")) as Scenario;
  for (const baud of [9600, 19200, 115200]) {
    let built: ControlLoop | null = null;
    const m = runScenario({ ...bus, site: { ...bus.site, baud } }, { onBuilt: ({ loop }) => void (built = loop) });
    const plan = (built as ControlLoop | null)!.busPlan()[0];
    const prefix = `bus_four_devices_${baud}_baud`;
    figures[`${prefix}_planned_bus_ms`] = Math.round(plan.plannedMs * 10) / 10;
    figures[`${prefix}_read_every_cycles`] = plan.readEvery;
    figures[`${prefix}_writes_per_cycle_count`] = plan.writesPerCycle;
    figures[`${prefix}_effective_period_ms`] = m.effectivePeriodMs;
    figures[`${prefix}_forced_decisions_count`] = m.forcedDecisions;
    figures[`${prefix}_late_device_reads_count`] = m.lateDeviceReads;
    figures[`${prefix}_planned_read_skips_count`] = m.plannedReadSkips;
    figures[`${prefix}_deferred_writes_count`] = m.deferredWrites;
    figures[`${prefix}_bus_overruns`] = m.busOverruns;
    figures[`${prefix}_max_decision_latency_ms`] = m.maxDecisionLatencyMs;
    figures[`${prefix}_longest_export_seconds`] = m.longestAboveThresholdS;
  }
  const dir = "sim/scenarios";
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".json")).sort()) {
    const metrics = runScenario(readFileSync(join(dir, file), "utf8"));
    const prefix = `scenario_${snake(metrics.name)}`;
    for (const key of METRICS) figures[`${prefix}_${snake(key)}`] = metrics[key] as number;
  }
  return figures;
}
