/**
 * Cycle-by-cycle harness for the decision core, in the manner of OpenEMS controller tests: each cycle gives the
 * meter reading and the devices' actual powers, runs one decision, and returns the commands. Devices acknowledge
 * every command (ackedW = the previous cycle's command) unless told otherwise.
 */
import { ControlCore, DEFAULT_CONTROL_OPTIONS, type AlarmListener, type ControlOptions, type CoreDevice } from "../../src/control/core";
import { Kind } from "../../src/control/solver";
import type { PeakDemandStore } from "../../src/control/strategy-input";

export interface DeviceDef {
  kind: "ess" | "pv" | "charger";
  id: number;
  ratedW: number;
  socPct?: number;
  socMinPct?: number;
  socMaxPct?: number;
  minLimitW?: number;
  exportRole?: boolean;
  demandRole?: boolean;
}

export interface CycleInput {
  /** Grid power, W (import > 0); omit (with `load` also omitted) for "no fresh reading this cycle". */
  grid?: number;
  /** Instead of `grid`: the site's load without the devices; grid = load - ESS - PV + chargers (actual powers). */
  load?: number;
  phases?: [number, number, number];
  /** Actual power per device (in device order), W; omitted (or undefined for a device): it did what it was told. */
  actual?: (number | undefined)[];
  soc?: number[];
  /** Per device: the device did not acknowledge the last command. */
  noAck?: boolean[];
  /** Advance time by this much before the cycle (default: the period). */
  dtMs?: number;
}

export function makeCore(devices: DeviceDef[], options: Partial<ControlOptions> = {}, store: PeakDemandStore | null = null) {
  const o: ControlOptions = { ...DEFAULT_CONTROL_OPTIONS, ...options };
  const core = new ControlCore(10, 8, o, store);
  const alarms: string[] = [];
  const listener: AlarmListener = { onAlarm: (_c, alarm, raised, id) => alarms.push(`${raised ? "+" : "-"}${alarm}${id >= 0 ? `@${id}` : ""}`) };
  core.alarmListener = listener;
  const list: CoreDevice[] = devices.map((def) => {
    const d = core.addDevice()!;
    const kind = def.kind === "ess" ? Kind.Ess : def.kind === "pv" ? Kind.Pv : Kind.Charger;
    d.configure(def.id, kind, def.ratedW, def.ratedW, def.ratedW, def.socMinPct ?? 5, def.socMaxPct ?? 95, def.minLimitW ?? 0, def.exportRole ?? true, def.demandRole ?? true, 10);
    return d;
  });
  let now = 1_000_000;
  const cycle = (input: CycleInput): number[] => {
    now += input.dtMs ?? o.periodMs;
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      if (!(input.noAck && input.noAck[i]) && d.commandW === d.commandW) {
        d.ackedW = d.commandW;
        d.ackedAtMs = now;
      }
      const given = input.actual ? input.actual[i] : undefined;
      d.actualW = given !== undefined ? given : d.commandW === d.commandW ? d.commandW : 0;
      d.actualAtMs = now;
      if (input.soc) d.socPct = input.soc[i];
    }
    if (input.grid === undefined && input.load !== undefined) {
      let grid = input.load;
      for (const d of list) grid -= d.g(d.actualW);
      input = { ...input, grid };
    }
    if (input.grid !== undefined) {
      const p = input.phases ?? [input.grid / 3, input.grid / 3, input.grid / 3];
      core.meterSample(now, now, input.grid, p[0], p[1], p[2]);
    }
    core.decide(now, now);
    return list.map((d) => Math.round(d.commandW));
  };
  return { core, devices: list, cycle, alarms, now: () => now };
}

/** Anti-backflow (2 kW margin) on one 100 kW ESS and one 80 kW PV inverter. */
export function essAndPv(options: Partial<ControlOptions> = {}, soc = 50) {
  const h = makeCore(
    [
      { kind: "ess", id: 3, ratedW: 100_000 },
      { kind: "pv", id: 21, ratedW: 80_000 },
    ],
    options,
  );
  h.core.settings.antiBackflow = true;
  h.core.settings.marginW = 2000;
  void soc;
  return h;
}
