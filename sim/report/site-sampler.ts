/**
 * Samples a simulated site and its control loop into a RunRecorder: the true physics (grid total and per phase,
 * each device's actual power, SoC, PV available), what the gateway decided (each device's command, PV allowed, the
 * 15-minute demand it computes, the threshold and limit in force), and markers for alarm and safe-state changes.
 * Used by scenario runs and by plain `npm start` runs alike.
 */
import type { SimLoop } from "../../hal/sim/loop";
import { Alarm } from "../../src/control/core";
import type { ControlLoop } from "../../src/control/loop";
import type { SimSite } from "../site/site";
import type { ChartSpec, RunRecorder } from "./recorder";

const ALARM_TEXT: Record<number, string> = {
  [Alarm.MeterStale]: "meter stale: safe state",
  [Alarm.NotFollowing]: "a device does not follow its command",
  [Alarm.ExportShort]: "import margin cannot be kept",
  [Alarm.DemandShort]: "demand limit cannot be kept",
  [Alarm.DeviceOffline]: "a device is offline",
};

export interface SamplerOptions {
  /** Export above this is what the goals count (W, >= 0); drawn at -threshold on the grid chart. */
  exportThresholdW: number;
  sampleMs: number;
}

/** Start sampling every `sampleMs` of simulated time; returns the charts the samples fill. */
export function sampleSite(loop: SimLoop, site: SimSite, control: ControlLoop, recorder: RunRecorder, options: SamplerOptions): ChartSpec[] {
  const startMs = loop.monotonicMs();
  let alarms = 0;
  const timer = loop.createTimer(() => {
    const tS = (loop.monotonicMs() - startMs) / 1000;
    const group = control.groups[0] ?? null;
    const core = group ? group.core : null;
    const commandOf = (id: number): number | null => {
      if (!core) return null;
      for (let i = 0; i < core.count; i++) if (core.devices[i].id === id) return core.devices[i].commandW;
      return null;
    };
    const values: Record<string, number | null> = {
      grid_w: site.gridW,
      grid_phase_a_w: site.gridPhaseW[0],
      grid_phase_b_w: site.gridPhaseW[1],
      grid_phase_c_w: site.gridPhaseW[2],
      export_threshold_w: -options.exportThresholdW,
      demand_limit_w: core && core.settings.overDemand ? core.thresholdW : null,
      demand_15min_w: core ? core.window.lastDemandW : null,
    };
    for (const b of site.batteries) {
      values[`ess_${b.spec.id}_actual_w`] = b.model.actualW;
      values[`ess_${b.spec.id}_command_w`] = commandOf(b.spec.id);
      values[`ess_${b.spec.id}_soc_pct`] = b.model.socPct;
    }
    for (const p of site.pvs) {
      values[`pv_${p.spec.id}_available_w`] = p.model.availableW;
      values[`pv_${p.spec.id}_allowed_w`] = p.model.limitW;
      values[`pv_${p.spec.id}_actual_w`] = p.model.actualW;
    }
    for (const c of site.chargers) {
      values[`charger_${c.spec.id}_actual_w`] = c.model.actualW;
      values[`charger_${c.spec.id}_command_w`] = commandOf(c.spec.id);
    }
    recorder.sample(tS, values);
    const now = core ? core.alarms : 0;
    const changed = now ^ alarms;
    for (let bit = 1; bit <= Alarm.DeviceOffline; bit <<= 1) {
      if ((changed & bit) === 0) continue;
      const raised = (now & bit) !== 0;
      recorder.mark(tS, bit === Alarm.MeterStale ? "safe" : "alarm", `${ALARM_TEXT[bit]} ${raised ? "raised" : "cleared"}`);
    }
    alarms = now;
  });
  timer.start(options.sampleMs, options.sampleMs);
  const devices = (kind: string, suffixes: string[]) =>
    site[kind === "ess" ? "batteries" : kind === "pv" ? "pvs" : "chargers"].flatMap((d: { spec: { id: number } }) => suffixes.map((s) => `${kind}_${d.spec.id}_${s}`));
  return [
    { title: "Grid power (import > 0), per phase, export threshold and demand threshold", unit: "W", series: ["grid_w", "grid_phase_a_w", "grid_phase_b_w", "grid_phase_c_w", "export_threshold_w", "demand_limit_w"] },
    { title: "15-minute demand and the threshold in force", unit: "W", series: ["demand_15min_w", "demand_limit_w"] },
    { title: "Battery and charger command and actual power (ESS discharge > 0)", unit: "W", series: [...devices("ess", ["command_w", "actual_w"]), ...devices("charger", ["command_w", "actual_w"])] },
    { title: "State of charge", unit: "%", series: devices("ess", ["soc_pct"]) },
    { title: "PV available vs allowed (the limit) and produced", unit: "W", series: devices("pv", ["available_w", "allowed_w", "actual_w"]) },
  ];
}
