/** XS side of test/protocol/xs.test.ts: the spec 000 handler and active strategies in the real XS engine. */
import { buildScenario, runSteps, type Scenario, type ScenarioStep } from "../protocol/scenario";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

let scenario: Scenario | null = null;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

const protocolHarness = {
  boot(deviceUid: string, wallMs: number, seed: number): void {
    scenario = buildScenario(deviceUid, wallMs, seed);
  },
  run(stepsJson: string): void {
    if (!scenario) throw new Error("boot first");
    reply(runSteps(scenario, JSON.parse(stepsJson) as ScenarioStep[]));
  },
  /** The control tick's part: follow the month (measured for allocation); every call looks at the clock. */
  tick(count: number): void {
    if (!scenario) throw new Error("boot first");
    const active = scenario.active;
    for (let i = 0; i < count; i++) active.tick(i * 1000);
  },
  /** Flip the clock between two months so every refresh re-selects limits (worst case). */
  refreshAcrossMonths(count: number): void {
    if (!scenario) throw new Error("boot first");
    const { active, hal } = scenario;
    const june = Date.UTC(2024, 5, 15);
    const july = Date.UTC(2024, 6, 15);
    for (let i = 0; i < count; i++) {
      hal.loop.setWall(i % 2 === 0 ? july : june);
      active.refresh();
    }
  },
  limit(meterId: number): void {
    if (!scenario) throw new Error("boot first");
    const slot = scenario.active.forMeter(meterId);
    reply(slot === null ? null : { monthKey: slot.monthKey, demandLimitW: slot.demandLimitW });
  },
};

(globalThis as unknown as { protocolHarness: typeof protocolHarness }).protocolHarness = protocolHarness;
