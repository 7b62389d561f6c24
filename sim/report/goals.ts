/**
 * A scenario's goals and whether the run met them, for the report's header. The goals follow from what the scenario
 * asks for (anti-backflow: no export above the threshold for more than two control periods in a row; demand control:
 * the 15-minute demand within the month's limit; always: no tick overruns), plus any the scenario file lists
 * itself (`goals: [{ "metric": "secondsAboveThreshold", "max": 0.5 }]`, metrics of ScenarioMetrics).
 */
import type { Scenario, ScenarioMetrics } from "../scenario";

export interface GoalResult {
  goal: string;
  pass: boolean;
  measured: string;
}

export interface ScenarioGoal {
  metric: keyof ScenarioMetrics;
  max?: number;
  min?: number;
}

export function evaluateGoals(scenario: Scenario & { goals?: ScenarioGoal[] }, m: ScenarioMetrics): GoalResult[] {
  const out: GoalResult[] = [];
  // In the periods the cycles really ran at (a bus plan may stretch the configured one: src/control/bus-plan.ts).
  const periodS = (m.effectivePeriodMs > 0 ? m.effectivePeriodMs : m.controlPeriodMs) / 1000;
  if (scenario.strategies.some((s) => s.streaming_status === 1 || s.individual_phase_streaming_status === 1)) {
    out.push({
      goal: `no export above ${m.exportThresholdW} W for more than 2 control periods (${2 * periodS} s) in a row`,
      pass: m.longestAboveThresholdS <= 2 * periodS,
      measured: `${m.exportEpisodes} episodes, longest ${m.longestAboveThresholdS} s (${m.longestAboveThresholdPeriods} periods), ${m.secondsAboveThreshold} s in all, worst ${m.maxExportAboveThresholdW} W above`,
    });
  }
  if (m.demandLimitW > 0) {
    out.push({
      goal: `15-minute demand within the month's limit (${m.demandLimitW} W)`,
      pass: m.maxDemandW <= m.demandLimitW,
      measured: `worst ${m.maxDemandW} W (${m.maxDemandPctOfLimit} % of the limit)`,
    });
  }
  out.push({ goal: "no tick overruns (the control tick kept its budget)", pass: m.tickOverruns === 0, measured: `${m.tickOverruns}` });
  for (const g of scenario.goals ?? []) {
    const value = m[g.metric];
    if (typeof value !== "number") throw new Error(`scenario.goals: "${String(g.metric)}" is not a numeric metric`);
    const pass = (g.max === undefined || value <= g.max) && (g.min === undefined || value >= g.min);
    const bound = [g.min !== undefined ? `>= ${g.min}` : "", g.max !== undefined ? `<= ${g.max}` : ""].filter(Boolean).join(" and ");
    out.push({ goal: `${String(g.metric)} ${bound}`, pass, measured: String(value) });
  }
  return out;
}
