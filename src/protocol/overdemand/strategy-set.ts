/**
 * The strategy set as held in RAM: per strategy its id, the UTF-8 size of its body and the numbers the control loop
 * needs, converted once from kW to W. Bodies stay on flash: the store's JSON text is read again only at command rate
 * (update merge, list output, the control loop's reconfiguration), so RAM does not grow by a body (about 1.3 KB)
 * per strategy.
 */
import type { DeviceType, StrategySettings } from "../../control/strategy-input";
import { putField, utf8Length } from "../json-values";
import { STATUS_ENABLED, deviceTypeOf, type StrategyBody } from "./model";

export const W_PER_KW = 1000;

/**
 * One strategy's control numbers: the control loop's StrategySettings themselves (conditions in W; an absent
 * optional condition is 0 W), plus its meter. One object per strategy serves the handler and the loop: a second,
 * per-loop copy was ~14 heap slots a strategy. `demandLimitW` and `monthKey` are written by ActiveStrategies when
 * the site's month changes; the twelve monthly limits they come from are read from the stored body into
 * ActiveStrategies' one column (an array of twelve per strategy was ~400 bytes of chunks in the simulator).
 */
export interface StrategyLimits extends StrategySettings {
  readonly meterId: number;
}

export interface StrategyEntry {
  readonly id: number;
  /** UTF-8 size of the normalised body's JSON (id included) on the wire. */
  readonly bytes: number;
  readonly limits: StrategyLimits;
}

function num(body: StrategyBody, key: string): number {
  const value = body[key];
  return typeof value === "number" ? value : 0;
}

function enabled(body: StrategyBody, key: string): boolean {
  return body[key] === STATUS_ENABLED;
}

/** The control projection of a validated body. */
export function limitsOf(body: StrategyBody): StrategyLimits {
  return {
    id: body.id as number,
    meterId: body.ele_meter_id as number,
    deviceType: deviceTypeOf(body) as DeviceType,
    antiBackflow: enabled(body, "streaming_status"),
    antiBackflowMarginW: num(body, "streaming_condition") * W_PER_KW,
    phaseAntiBackflow: enabled(body, "individual_phase_streaming_status"),
    phaseMarginW: num(body, "individual_phase_streaming_condition") * W_PER_KW,
    overDemand: enabled(body, "over_demand_status"),
    // Set for this month by ActiveStrategies (refresh), before the loop reads them.
    demandLimitW: 0,
    monthKey: 0,
    dynamicDemand: enabled(body, "dynamic_demand_status"),
    dynamicDemandSeedW: num(body, "dynamic_demand") * W_PER_KW,
    dynamicDemandPct: num(body, "dynamic_demand_percentage"),
  };
}

/** The entry for a validated body that has its id; `json` is the body's JSON text (what the store gets). */
export function entryOf(body: StrategyBody, json: string): StrategyEntry {
  return { id: body.id as number, bytes: utf8Length(json), limits: limitsOf(body) };
}

/** A validated body on its way to the store: its entry and the JSON text the commit writes. */
export interface StagedStrategy {
  readonly entry: StrategyEntry;
  readonly json: string;
}

export function stage(body: StrategyBody): StagedStrategy {
  const json = JSON.stringify(body);
  return { entry: entryOf(body, json), json };
}

/** Entries sorted by id (sync and list report them in id order). */
export function sortById(entries: StrategyEntry[]): StrategyEntry[] {
  return entries.sort((a, b) => a.id - b.id);
}

/** Body with `id` as its first key (as in the spec's examples), the rest in received order. */
export function withIdFirst(id: number, body: StrategyBody): StrategyBody {
  const out: StrategyBody = { id };
  for (const key of Object.keys(body)) {
    if (key === "id") continue;
    putField(out, key, body[key]);
  }
  return out;
}
