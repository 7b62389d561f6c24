/**
 * The one interface by which the strategy set reaches the control loop.
 *
 * For each stored strategy (one per meter and device type, enforced by the handler) it holds a slot with the
 * numbers the control loop uses, in W, and this month's demand limit picked from over_demand_condition by the
 * site's local month. Slots are preallocated (limits.maxStrategies) and rewritten in place: `refresh` runs on the
 * control tick and allocates nothing; the set is rebuilt only when a command changed it.
 *
 * Clock not synced: the local month is unknown, so the demand limit is the lowest of the twelve (the safe choice:
 * never above any month's contract) and `monthKnown` is false so the status report can say so.
 */
import type { Clock } from "../../../hal/types";
import type { LocalCalendar } from "./local-month";
import { MONTHS } from "./model";
import type { StrategyEntry, StrategyLimits } from "./strategy-set";

/** What the control loop reads for one meter and device type. All powers in W. */
export class ActiveStrategy {
  strategyId = 0;
  meterId = 0;
  /** 2 storage, 3 PV, 4 charging pile. */
  deviceType = 0;
  /** Anti-backflow (防逆流). */
  streamingEnabled = false;
  streamingConditionW = 0;
  /** Per-phase anti-backflow (单相防逆流). */
  phaseStreamingEnabled = false;
  phaseStreamingConditionW = 0;
  /** Demand limiting (防过需). */
  overDemandEnabled = false;
  /** This month's demand limit (see `monthKnown`). */
  demandLimitW = 0;
  /** Local month 1..12 the limit was chosen for; 0 while the clock is not synced. */
  month = 0;
  monthKnown = false;
  dynamicDemandEnabled = false;
  dynamicDemandW = 0;
  /** Peak-tracking ratio, percent. */
  dynamicDemandPercentage = 0;
  /** Twelve monthly limits, index 0 = January (copied, so the slot owns its numbers). */
  readonly monthlyLimitW = new Float64Array(MONTHS);
  /** Lowest monthly limit: the limit used while the month is unknown. */
  lowestLimitW = 0;

  /** Copy one strategy's limits into this slot (command rate). */
  load(limits: StrategyLimits): void {
    this.strategyId = limits.id;
    this.meterId = limits.meterId;
    this.deviceType = limits.deviceType;
    this.streamingEnabled = limits.streamingEnabled;
    this.streamingConditionW = limits.streamingConditionW;
    this.phaseStreamingEnabled = limits.phaseStreamingEnabled;
    this.phaseStreamingConditionW = limits.phaseStreamingConditionW;
    this.overDemandEnabled = limits.overDemandEnabled;
    this.dynamicDemandEnabled = limits.dynamicDemandEnabled;
    this.dynamicDemandW = limits.dynamicDemandW;
    this.dynamicDemandPercentage = limits.dynamicDemandPercentage;
    let lowest = Infinity;
    for (let i = 0; i < MONTHS; i++) {
      const value = limits.monthlyLimitW[i];
      this.monthlyLimitW[i] = value;
      if (value < lowest) lowest = value;
    }
    this.lowestLimitW = lowest;
    this.month = -1; // forces the next refresh to pick the limit
  }

  /** Pick the limit for `month` (1..12, or 0 = unknown). No allocation. */
  selectMonth(month: number): void {
    if (month === this.month) return;
    this.month = month;
    this.monthKnown = month > 0;
    this.demandLimitW = month > 0 ? this.monthlyLimitW[month - 1] : this.lowestLimitW;
  }
}

/** The source of strategies: OverdemandHandler implements it. */
export interface StrategySource {
  readonly strategies: readonly StrategyEntry[];
  onChange(listener: () => void): void;
}

export class ActiveStrategies {
  private readonly slots: ActiveStrategy[] = [];
  private used = 0;
  private month = -1;
  /** Set true on every rebuild; the control loop may clear it after re-reading its strategy inputs. */
  changed = true;

  constructor(
    private readonly source: StrategySource,
    private readonly clock: Clock,
    private readonly calendar: LocalCalendar,
    capacity: number,
  ) {
    for (let i = 0; i < capacity; i++) this.slots.push(new ActiveStrategy());
    source.onChange(() => this.rebuild());
    this.rebuild();
  }

  get count(): number {
    return this.used;
  }

  /** Slot `index` (0 <= index < count), in strategy id order. */
  at(index: number): ActiveStrategy {
    return this.slots[index];
  }

  /** The strategy for a meter and device type (default: storage), or null. No allocation. */
  forMeter(meterId: number, deviceType = 2): ActiveStrategy | null {
    for (let i = 0; i < this.used; i++) {
      const slot = this.slots[i];
      if (slot.meterId === meterId && slot.deviceType === deviceType) return slot;
    }
    return null;
  }

  /** The local month now, 0 when the wall clock is not synced. */
  currentMonth(): number {
    const clock = this.clock;
    return clock.wallSynced() ? this.calendar.month(clock.wallMs()) : 0;
  }

  /** Call on the control tick: follows month changes and clock sync. No allocation. */
  refresh(): void {
    const month = this.currentMonth();
    if (month === this.month) return;
    this.month = month;
    for (let i = 0; i < this.used; i++) this.slots[i].selectMonth(month);
    this.changed = true;
  }

  private rebuild(): void {
    const entries = this.source.strategies;
    // The handler refuses more than limits.maxStrategies; a smaller capacity here is a wiring bug.
    if (entries.length > this.slots.length) throw new Error(`ActiveStrategies: ${entries.length} strategies, capacity ${this.slots.length}`);
    for (let i = 0; i < entries.length; i++) this.slots[i].load(entries[i].limits);
    this.used = entries.length;
    this.month = -1;
    this.refresh();
    this.changed = true;
  }
}
