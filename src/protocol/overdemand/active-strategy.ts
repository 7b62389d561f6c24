/**
 * The one interface by which the strategy set reaches the control loop: src/control's StrategySource.
 *
 * The StrategySettings are the handler's own StrategyLimits objects (one per stored strategy, one per meter and
 * device type, enforced by the handler), listed again when a command changed the set (command rate: `version` moves
 * on, the loop reconfigures): no copy per strategy. Powers are in W, converted once. Meter and devices (the
 * topology) are resolved from the stored body when the loop asks, not kept. `demandLimitW` and `monthKey` are
 * rewritten in place when the site's local month changes (`tick`, no allocation); the loop reads them every cycle.
 *
 * Clock not synced: the month is unknown, so `monthKey` is 0 and `demandLimitW` is the lowest of the twelve monthly
 * limits that are set (> 0): never above any month's contract.
 *
 * A strategy whose meter cannot be reached (no meter object, unknown proto_type, ...) is left out of the list and
 * its problem is in `problems` (status report); so is each unusable device.
 */
import type { Clock } from "../../../hal/types";
import type { TickService } from "../../app/service";
import type { ControlStrategy, StrategySettings, StrategySource, StrategyTopology } from "../../control/strategy-input";
import type { LocalCalendar } from "./local-month";
import { MONTHS, type StrategyBody } from "./model";
import { W_PER_KW, type StrategyEntry, type StrategyLimits } from "./strategy-set";
import { SPEC_TOPOLOGY, type Topology } from "./topology";

/** Where the strategies come from: OverdemandHandler implements it. */
export interface StrategySetSource {
  readonly strategies: readonly StrategyEntry[];
  /** A strategy's stored body (read from the store: command rate). */
  body(id: number): StrategyBody;
  onChange(listener: () => void): void;
}

/** demandLimitW and monthKey are the two fields of a strategy's settings written after it is made. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** How often the month is looked at, in monotonic ms (a month boundary is found within this). */
const MONTH_CHECK_MS = 1000;

export class ActiveStrategies implements StrategySource, TickService {
  readonly name = "overdemand-strategies";
  /** Moves on whenever the list or a strategy object is replaced (not on a month change: limits change in place). */
  version = 0;
  /** Why strategies or devices were left out of the list, for the status report. */
  problems: string[] = [];
  /** The handler's limits of the strategies that can be controlled (StrategySettings with their meter). */
  private list: StrategyLimits[] = [];
  /** The monthly demand limits of list entry i at [12 i, 12 i + 12), W, index 0 = January (from the stored body). */
  private monthly = new Float64Array(0);
  private monthKey = -1;
  private lastCheckMs = -Infinity;

  constructor(
    private readonly source: StrategySetSource,
    private readonly clock: Clock,
    private readonly calendar: LocalCalendar,
    private readonly spec: Topology = SPEC_TOPOLOGY,
  ) {
    source.onChange(() => this.rebuild());
    this.rebuild();
  }

  strategies(): readonly StrategySettings[] {
    return this.list;
  }

  /**
   * Meter and devices of a listed strategy, resolved again from its stored body (the loop asks only when it
   * reconfigures; nothing of it is kept here, so RAM holds no topology objects per strategy). Device problems were
   * reported when the list was built.
   */
  topology(strategy: StrategySettings): StrategyTopology | null {
    const index = this.list.indexOf(strategy as StrategyLimits);
    if (index < 0) return null;
    const limits = this.list[index];
    let body: StrategyBody;
    try {
      body = this.source.body(strategy.id);
    } catch {
      return null;
    }
    const meter = this.spec.meter(body, limits.meterId);
    if (typeof meter === "string") return null;
    return { meter, devices: this.spec.devices(body, limits.deviceType, []) };
  }

  /** The strategy for a meter and device type (default: storage) with its topology, or null (allocates: diagnostics). */
  forMeter(meterId: number, deviceType = 2): ControlStrategy | null {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      if (list[i].meterId !== meterId || list[i].deviceType !== deviceType) continue;
      const topology = this.topology(list[i]);
      return topology === null ? null : { ...list[i], ...topology };
    }
    return null;
  }

  /** yyyymm of the site's local date now, 0 when the wall clock is not synced. */
  currentMonthKey(): number {
    const clock = this.clock;
    return clock.wallSynced() ? this.calendar.monthKey(clock.wallMs()) : 0;
  }

  /** TickService: follow month changes and clock sync, looked at once a second. No allocation. */
  tick(nowMs: number): void {
    if (nowMs - this.lastCheckMs < MONTH_CHECK_MS && nowMs >= this.lastCheckMs) return;
    this.lastCheckMs = nowMs;
    this.refresh();
  }

  /** Re-pick this month's limits now. No allocation. */
  refresh(): void {
    const key = this.currentMonthKey();
    if (key === this.monthKey) return;
    this.monthKey = key;
    const month = key % 100;
    for (let i = 0; i < this.list.length; i++) {
      const strategy = this.list[i] as Writable<StrategyLimits>;
      strategy.monthKey = key;
      strategy.demandLimitW = key > 0 ? this.monthly[MONTHS * i + month - 1] : lowestSet(this.monthly, MONTHS * i);
    }
  }

  private rebuild(): void {
    const list: StrategyLimits[] = [];
    const monthly: number[] = [];
    const problems: string[] = [];
    for (const entry of this.source.strategies) {
      const limits = entry.limits;
      const where = `strategy ${entry.id}`;
      let body: StrategyBody;
      try {
        body = this.source.body(entry.id);
      } catch (error) {
        // A record that no longer reads (CRC) leaves this strategy out of control, said in the status report.
        problems.push(`${where}: stored body unreadable (${String(error)})`);
        continue;
      }
      // Resolved here for its problems (status report); the loop asks for it again through topology().
      const meter = this.spec.meter(body, limits.meterId);
      if (typeof meter === "string") {
        problems.push(`${where}: ${meter}`);
        continue;
      }
      const deviceProblems: string[] = [];
      this.spec.devices(body, limits.deviceType, deviceProblems);
      for (const problem of deviceProblems) problems.push(`${where} ${problem}`);
      list.push(limits);
      const limitsKw = body.over_demand_condition as number[];
      for (let m = 0; m < MONTHS; m++) monthly.push(limitsKw[m] * W_PER_KW);
    }
    this.list = list;
    this.monthly = new Float64Array(monthly);
    this.problems = problems;
    this.monthKey = -1;
    this.refresh();
    this.version++;
  }
}

/** The lowest of the twelve monthly limits at `from` that are set (> 0), or 0 when none is. */
function lowestSet(monthly: Float64Array, from: number): number {
  let low = Infinity;
  for (let m = from; m < from + MONTHS; m++) if (monthly[m] > 0 && monthly[m] < low) low = monthly[m];
  return low === Infinity ? 0 : low;
}
