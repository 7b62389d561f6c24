/**
 * What the control loop is told to do: the active anti-backflow / demand strategies, one per meter and device type,
 * already resolved from the stored spec-000 StreamingOverDemand objects (kW -> W, this month's limit picked). The
 * protocol side builds these objects at command rate (it may allocate); the loop reads them every cycle (it does not).
 *
 * Mapping from spec 000 (the protocol helper's job, summarised in docs/control.md):
 *   device_type                              -> deviceType (2 ESS, 3 PV, 4 charger)
 *   ele_meter (+ ele_meter_id)               -> meter (model from ele_device_type.name, rate, pt, ct, direction)
 *   devices[]                                -> devices (id, link from proto_type/host/port/slave_id/com_*)
 *   streaming_status == 1                    -> antiBackflow, streaming_condition x 1000 -> antiBackflowMarginW
 *   individual_phase_streaming_status == 1   -> phaseAntiBackflow, individual_phase_streaming_condition x 1000 -> phaseMarginW
 *   over_demand_status == 1                  -> overDemand, over_demand_condition[month-1] x 1000 -> demandLimitW
 *   dynamic_demand_status == 1               -> dynamicDemand, dynamic_demand_percentage -> dynamicDemandPct,
 *                                               dynamic_demand x 1000 -> dynamicDemandSeedW (see docs/control.md)
 */
import { civilFromDays } from "../time/civil";
import { deepFreeze } from "../core/freeze";
import type { DeviceKind } from "../devices/device-maps";

export const DeviceType = deepFreeze({ Ess: 2, Pv: 3, Charger: 4 } as const);
export type DeviceType = (typeof DeviceType)[keyof typeof DeviceType];

/** The kind of device (register maps, point tables) a spec 000 device_type controls. */
export const KIND_OF_DEVICE_TYPE: Readonly<Record<number, DeviceKind>> = deepFreeze({ [DeviceType.Ess]: "ess", [DeviceType.Pv]: "pv", [DeviceType.Charger]: "charger" });

/** How to reach a Modbus device. */
export interface LinkSpec {
  /** "rtu": the RS-485 bus `serialPort` (board default when absent); "tcp": Modbus TCP at host:port. */
  readonly proto: "rtu" | "tcp";
  readonly unit: number;
  readonly host?: string;
  readonly port?: number;
  readonly serialPort?: string | number;
  /** RTU baud; the board's RS-485 baud when absent or 0 (the spec's baud_rate 0). */
  readonly baud?: number;
}

export interface MeterSpec {
  /** ele_meter_id: groups strategies sharing a meter. */
  readonly id: number;
  /** ele_device_type.name, e.g. "Acrel-ADW300" (see src/devices/meter-maps.ts). */
  readonly model: string;
  readonly link: LinkSpec;
  readonly rate?: number;
  readonly pt?: number;
  readonly ct?: number;
  /** 1 forward, 2 reversed. */
  readonly direction?: number;
}

export interface DeviceSpec {
  readonly id: number;
  /** Register map name (src/devices/device-maps.ts: "sunspec-704", "generic-pcs", "sunspec-123", ...). */
  readonly map: string;
  readonly link: LinkSpec;
  /** Nameplate power, W (PCS: the command range unless maxChargeW/maxDischargeW say otherwise). */
  readonly ratedW: number;
  readonly maxChargeW?: number;
  readonly maxDischargeW?: number;
  /** ESS: stop discharging at or below / charging at or above these SoC figures (%). */
  readonly socMinPct?: number;
  readonly socMaxPct?: number;
  /** Chargers: the lowest limit that keeps a session alive (IEC 61851: 6 A x 3 x 230 V = 4140 W). */
  readonly minLimitW?: number;
  /** Device revert timer, s (SunSpec 704/123). Default: ESS 10 s (falls back to 0 W), PV 0 (keeps its limit). */
  readonly revertSeconds?: number;
  /**
   * The phases the device feeds, as a mask (1 = A/L1, 2 = B/L2, 4 = C/L3; power split evenly over them). Default 7:
   * three-phase. From the device's `phases` text ("A", "BC", "ABC": parsePhases). The per-phase bound uses it.
   */
  readonly phases?: number;
}

/**
 * A device's `phases` field: the letters of the phases it is connected to, each once, in any order ("A", "B", "C",
 * "AB", "ABC"; "L1".."L3" are not accepted: one spelling). Returns the mask (1 A, 2 B, 4 C), or a message naming
 * what is wrong.
 */
export function parsePhases(text: string): number | string {
  if (text.length < 1 || text.length > 3) return `phases must be 1 to 3 of the letters A, B, C, got "${text}"`;
  let mask = 0;
  for (let i = 0; i < text.length; i++) {
    const bit = text[i] === "A" ? 1 : text[i] === "B" ? 2 : text[i] === "C" ? 4 : 0;
    if (bit === 0) return `phases: "${text[i]}" is not a phase (A, B or C), in "${text}"`;
    if ((mask & bit) !== 0) return `phases: ${text[i]} given twice, in "${text}"`;
    mask |= bit;
  }
  return mask;
}

/**
 * What the loop reads of a strategy every cycle (settings, merged per group). Meter and devices are not here: they
 * are needed only when the loop reconfigures, so a source may keep them on flash (StrategySource.topology).
 */
export interface StrategySettings {
  readonly id: number;
  readonly deviceType: DeviceType;
  readonly antiBackflow: boolean;
  /** Keep grid import at least this high (W): the margin that absorbs load drops before they become export. */
  readonly antiBackflowMarginW: number;
  readonly phaseAntiBackflow: boolean;
  readonly phaseMarginW: number;
  readonly overDemand: boolean;
  /** This month's demand limit, W. The provider updates it (and monthKey) at month rollover. */
  demandLimitW: number;
  readonly dynamicDemand: boolean;
  /** Dynamic demand peak-tracking ratio, % (0..100). */
  readonly dynamicDemandPct: number;
  /** The month's peak demand as the platform knows it, W (0: unknown). A floor for the tracked peak. */
  readonly dynamicDemandSeedW: number;
  /** Month the limit belongs to, as yyyymm (e.g. 202606) in site time; 0 while the wall clock is not synced. */
  monthKey: number;
}

/** Where a strategy acts: its grid meter and the devices it controls. */
export interface StrategyTopology {
  readonly meter: MeterSpec;
  readonly devices: readonly DeviceSpec[];
}

/** A strategy whole, settings and topology in one object (tests, scenarios, StaticStrategySource). */
export interface ControlStrategy extends StrategySettings, StrategyTopology {}

/** The active strategies. `version` changes whenever the list or a strategy object is replaced. */
export interface StrategySource {
  readonly version: number;
  strategies(): readonly StrategySettings[];
  /**
   * Meter and devices of one of `strategies()`, asked only when the loop reconfigures (it may read the store and
   * allocate; the loop keeps nothing of it but the drivers it builds). Null when it cannot be given now: the loop
   * reports the strategy as a problem.
   */
  topology(strategy: StrategySettings): StrategyTopology | null;
}

/** A fixed list (tests, scenarios, a site without platform). */
export class StaticStrategySource implements StrategySource {
  version = 1;
  constructor(private list: readonly ControlStrategy[]) {}
  strategies(): readonly ControlStrategy[] {
    return this.list;
  }
  topology(strategy: StrategySettings): StrategyTopology | null {
    return strategy as ControlStrategy;
  }
  replace(list: readonly ControlStrategy[]): void {
    this.list = list;
    this.version++;
  }
}

/** What each device would do without constraints (the schedule's ESS power; PV and chargers: unlimited). */
export interface BaseSetpointSource {
  /** ESS setpoint in W (discharge > 0) for device `id`; NaN: no opinion (0 W). */
  essBaseW(id: number): number;
}

/** Persistence of the month's peak demand (implemented over the flash store by the store helper). */
export interface PeakDemandStore {
  load(): { monthKey: number; peakW: number } | null;
  save(monthKey: number, peakW: number): void;
}

/** yyyymm of `wallMs` in a fixed UTC offset (China: +480 minutes, no DST). Pure arithmetic, no Date locale APIs. */
export function monthKeyOf(wallMs: number, utcOffsetMinutes: number): number {
  // yyyymmdd -> yyyymm
  return Math.floor(civilFromDays(Math.floor((wallMs + utcOffsetMinutes * 60_000) / 86_400_000)) / 100);
}
