/**
 * The strategy set as held in RAM: per strategy its JSON text (what the store holds and sync returns) and the
 * numbers the control loop needs, converted once from kW to W. Bodies are not kept as objects: the JSON text is the
 * compact form, parsed again only at command rate (update merge, list output).
 */
import { putField, utf8Length } from "../json-values";
import { MONTHS, STATUS_ENABLED, deviceTypeOf, type StrategyBody } from "./model";

const W_PER_KW = 1000;

/** One strategy's control numbers. Conditions are in W; an absent optional condition is 0 W. */
export interface StrategyLimits {
  readonly id: number;
  readonly meterId: number;
  /** 2 storage, 3 PV, 4 charging pile (absent in the command = 2). */
  readonly deviceType: number;
  readonly streamingEnabled: boolean;
  readonly streamingConditionW: number;
  readonly phaseStreamingEnabled: boolean;
  readonly phaseStreamingConditionW: number;
  readonly overDemandEnabled: boolean;
  /** Demand limit per month, index 0 = January. */
  readonly monthlyLimitW: readonly number[];
  readonly dynamicDemandEnabled: boolean;
  readonly dynamicDemandW: number;
  /** Peak-tracking ratio in percent (0..100). */
  readonly dynamicDemandPercentage: number;
}

export interface StrategyEntry {
  readonly id: number;
  /** Normalised body as JSON, id included. */
  readonly json: string;
  /** UTF-8 size of `json` on the wire. */
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
  const monthly = body.over_demand_condition as number[];
  const monthlyLimitW: number[] = [];
  for (let i = 0; i < MONTHS; i++) monthlyLimitW.push(monthly[i] * W_PER_KW);
  return {
    id: body.id as number,
    meterId: body.ele_meter_id as number,
    deviceType: deviceTypeOf(body),
    streamingEnabled: enabled(body, "streaming_status"),
    streamingConditionW: num(body, "streaming_condition") * W_PER_KW,
    phaseStreamingEnabled: enabled(body, "individual_phase_streaming_status"),
    phaseStreamingConditionW: num(body, "individual_phase_streaming_condition") * W_PER_KW,
    overDemandEnabled: enabled(body, "over_demand_status"),
    monthlyLimitW,
    dynamicDemandEnabled: enabled(body, "dynamic_demand_status"),
    dynamicDemandW: num(body, "dynamic_demand") * W_PER_KW,
    dynamicDemandPercentage: num(body, "dynamic_demand_percentage"),
  };
}

/** Build the entry for a validated body that has its id. */
export function entryOf(body: StrategyBody): StrategyEntry {
  const json = JSON.stringify(body);
  return { id: body.id as number, json, bytes: utf8Length(json), limits: limitsOf(body) };
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
