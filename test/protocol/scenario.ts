/**
 * A handler on the simulated HAL built from plain inputs, with no Node API: the same code runs in Node and, bundled,
 * in the real XS engine (test/xs/protocol-entry.ts), so the two runs can be compared byte for byte.
 */
import { createSimHal, type SimHal } from "../../hal/sim/index";
import { Counters } from "../../src/core/counters";
import { ActiveStrategies } from "../../src/protocol/overdemand/active-strategy";
import { OverdemandHandler, type OverdemandAction, type OverdemandOutput } from "../../src/protocol/overdemand/handler";
import { PosixCalendar } from "../../src/protocol/overdemand/local-month";
import { MemoryStrategyStore } from "../../src/protocol/overdemand/store-port";

export interface ScenarioStep {
  action: OverdemandAction;
  payload: string;
}

export interface Scenario {
  hal: SimHal;
  handler: OverdemandHandler;
  active: ActiveStrategies;
}

export function buildScenario(deviceUid: string, wallMs: number, seed: number): Scenario {
  const hal = createSimHal({ seed, wallStartMs: wallMs, wallSynced: true });
  const calendar = PosixCalendar.fromTz("CST-8");
  const handler = new OverdemandHandler({
    deviceUid,
    clock: hal.clock,
    random: hal.random,
    store: new MemoryStrategyStore(),
    calendar,
    counters: new Counters(),
    log: hal.log,
    maxStrategies: 16,
    maxPacketBytes: 32768,
  });
  return { hal, handler, active: new ActiveStrategies(handler, hal.clock, calendar) };
}

/** Every output of every step, in order. */
export function runSteps(scenario: Scenario, steps: ScenarioStep[]): OverdemandOutput[] {
  const out: OverdemandOutput[] = [];
  // Each message as plain data, read at once (the list after a change is built when read: LaterList).
  for (const step of steps) {
    for (const output of scenario.handler.handle(step.action, step.payload)) {
      out.push({ topicSuffix: output.topicSuffix, payload: output.payload, code: output.code, rest: output.rest });
    }
  }
  return out;
}
