/**
 * A control scenario with its report: the run of sim/scenario.ts with a RunRecorder sampling the site and the loop,
 * fault markers at the scenario's fault times, and the goals evaluated on the metrics.
 */
import { prepareScenario, type Scenario, type ScenarioMetrics, type ScenarioOptions, type ScenarioRun } from "../scenario";
import { evaluateGoals, type GoalResult, type ScenarioGoal } from "./goals";
import { renderReport } from "./html";
import { RunRecorder, type ChartSpec } from "./recorder";
import { sampleSite } from "./site-sampler";

export interface ReportedScenario {
  run: ScenarioRun;
  /** Finish the run (if not yet) and make the report. */
  report(): { metrics: ScenarioMetrics; html: string; goals: GoalResult[] };
}

export function prepareReportedScenario(text: string, options: ScenarioOptions = {}): ReportedScenario {
  const scenario = JSON.parse(text) as Scenario & { goals?: ScenarioGoal[] };
  const recorder = new RunRecorder();
  let charts: ChartSpec[] = [];
  const durationS = options.durationS ?? scenario.durationS;
  const run = prepareScenario(scenario, {
    ...options,
    onBuilt(parts) {
      options.onBuilt?.(parts);
      const periodMs = scenario.control?.periodMs ?? 250;
      // At most about 3,000 samples a series, and never more than one per control period.
      const sampleMs = Math.max(periodMs, Math.ceil((durationS * 1000) / 3000 / periodMs) * periodMs);
      charts = sampleSite(parts.sim.loop, parts.site, parts.loop, recorder, { exportThresholdW: scenario.exportThresholdW ?? 0, sampleMs });
    },
  });
  for (const fault of scenario.faults ?? []) {
    recorder.mark(fault.atS, "fault", "device" in fault ? `${fault.kind} (device ${fault.device})` : fault.kind);
  }
  for (const strategy of scenario.strategies) recorder.mark(0, "strategy", `strategy ${strategy.id} in force (device_type ${strategy.device_type}, devices ${strategy.devices.join(", ")})`);
  recorder.markers.sort((a, b) => a.t - b.t);
  return {
    run,
    report() {
      const metrics = run.finish();
      recorder.markers.sort((a, b) => a.t - b.t);
      const goals = evaluateGoals(scenario, metrics);
      const html = renderReport({
        title: `Scenario ${scenario.name}`,
        subtitle: scenario.description ?? "",
        goals,
        recorder,
        charts,
        figures: {
          "duration (s)": metrics.durationS,
          "export (kWh)": metrics.exportEnergyKwh,
          "worst export above threshold (W)": metrics.maxExportAboveThresholdW,
          "export episodes": metrics.exportEpisodes,
          "longest episode (periods)": metrics.longestAboveThresholdPeriods,
          "setpoint writes per hour": Math.round(metrics.setpointWrites / (metrics.durationS / 3600)),
          "setpoint sign changes per hour": metrics.setpointSignChangesPerHour,
          "mean setpoint change (W)": metrics.meanSetpointChangeW,
          "worst 15-min demand (W)": metrics.maxDemandW,
          "ESS discharged (kWh)": metrics.essDischargedKwh,
          "PV curtailed (kWh)": metrics.pvCurtailedKwh,
          "alarms raised": metrics.alarmsRaised,
          "bus overruns": metrics.busOverruns,
        },
      });
      return { metrics, html, goals };
    },
  };
}
