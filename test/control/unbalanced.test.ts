/**
 * Unbalanced devices (issue 15 item 6): a device's phases are configurable (DeviceSpec.phases, the platform's
 * `phases` text) and the per-phase bound uses them, so a single-phase PV inverter's limit moves by its phase's
 * excess and settles instead of hunting.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runScenario, type Scenario } from "../../sim/scenario";
import { evaluateGoals, type ScenarioGoal } from "../../sim/report/goals";
import { parsePhases } from "../../src/control/strategy-input";
import { SPEC_TOPOLOGY } from "../../src/protocol/overdemand/topology";
import { makeCore } from "./harness";

function pvOnPhaseA(phases: number) {
  const h = makeCore([{ kind: "pv", id: 21, ratedW: 10_000 }]);
  const s = h.core.settings;
  s.antiBackflow = true;
  s.marginW = 1000;
  s.phaseAntiBackflow = true;
  s.phaseMarginW = 500;
  h.devices[0].phases = phases;
  return h;
}

test("a single-phase PV inverter exporting on its phase is limited by that phase's excess, not three times it", (t) => {
  // Phase A exports 3 kW with the inverter at 8 kW; B and C import 4 kW each (the total imports 5 kW).
  const input = { grid: 5000, phases: [-3000, 4000, 4000] as [number, number, number], actual: [8000] };
  const single = pvOnPhaseA(1);
  // 8 kW - (3 kW excess + 0.5 kW margin + 1 kW hysteresis): phase A then imports 1.5 kW.
  t.deepEqual(single.cycle(input), [3500]);
  const asThreePhase = pvOnPhaseA(7);
  // Configured as three-phase, a watt of limit is taken for a third of a watt on phase A: the limit drops to 0.
  t.deepEqual(asThreePhase.cycle(input), [0]);
});

test("a phase no movable device feeds gives no bound: the single-phase inverter is not curtailed for phase B", (t) => {
  const h = pvOnPhaseA(1);
  // Phase B exports (another inverter, not ours); phase A and the total import plenty.
  const commands = h.cycle({ grid: 9000, phases: [6000, -1000, 4000], actual: [5000] });
  t.true(commands[0] >= 5000, `limit ${commands[0]}`);
});

test("single-phase-pv scenario: the limit settles (its goals are met), and configured as three-phase it hunts", (t) => {
  const scenario = JSON.parse(readFileSync(join(import.meta.dirname, "../../sim/scenarios/single-phase-pv.json"), "utf8")) as Scenario & { goals?: ScenarioGoal[] };
  const m = runScenario(scenario);
  t.log({ phaseS: m.secondsPhaseAboveThreshold, travelKwPerHour: m.setpointTravelKwPerHour, writes: m.setpointWrites, meanChangeW: m.meanSetpointChangeW });
  for (const goal of evaluateGoals(scenario, m)) t.true(goal.pass, `${goal.goal}: ${goal.measured}`);
  const wrong = structuredClone(scenario);
  for (const pv of wrong.site.pv ?? []) pv.phases = "ABC";
  const hunting = runScenario(wrong);
  t.log({ misconfigured: { travelKwPerHour: hunting.setpointTravelKwPerHour, writes: hunting.setpointWrites, meanChangeW: hunting.meanSetpointChangeW } });
  t.true(hunting.setpointTravelKwPerHour > 10 * m.setpointTravelKwPerHour, "the scenario tells a hunting limit from a settled one");
  t.false(evaluateGoals(wrong, hunting).every((g) => g.pass));
});

test("phases text: letters A, B, C once each; anything else is refused naming what is wrong", (t) => {
  t.is(parsePhases("A"), 1);
  t.is(parsePhases("C"), 4);
  t.is(parsePhases("CA"), 5);
  t.is(parsePhases("ABC"), 7);
  for (const bad of ["", "D", "AA", "ABCA", "a", "L1"]) t.is(typeof parsePhases(bad), "string", bad);
});

test("spec 000 devices[] may carry phases; a bad one is a problem naming the device, and absent means three-phase", (t) => {
  const link = { proto_type: 1, host: "10.0.0.5", port: 502, slave_id: 1 };
  const problems: string[] = [];
  const body = { devices: [{ id: 21, ...link, phases: "B" }, { id: 22, ...link }, { id: 23, ...link, phases: "X" }] } as never;
  const devices = SPEC_TOPOLOGY.devices(body, 3, problems);
  t.is(devices.length, 2);
  t.is(devices[0].phases, 2);
  t.is(devices[1].phases, undefined);
  t.is(problems.length, 1);
  t.regex(problems[0], /device 23.*"X" is not a phase/);
});
