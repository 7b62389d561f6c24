/**
 * Demand (需量) as Chinese meters and tariffs define it: the average import power over a 15-minute window that
 * slides every minute. Each closed minute contributes its average; the demand at the end of minute k is the mean of
 * minutes k-14..k. Keeping every such window at or below the limit L means, for the minute in progress,
 *
 *     avg(current minute) <= 15 L - (sum of the previous 14 minute averages)
 *
 * capped at L (see minuteBudgetW) =: Q, and, with E imported so far in this minute and r of it remaining, the import
 * allowed from now on is A = (60 s x Q - E) / r: the end-of-window prediction, acted on before the limit is crossed.
 *
 * Minutes the gateway did not see (before boot, a partial first minute) count as imported at the limit: the safe
 * assumption. Everything is preallocated; a sample costs a few arithmetic operations.
 */

const MINUTE_MS = 60_000;
export const WINDOW_MINUTES = 15;
/** Where recentSum keeps its last window sum, the limit it was for, and closedMinutes when it was made. */
const CACHE_SUM = WINDOW_MINUTES;
const CACHE_LIMIT = WINDOW_MINUTES + 1;
const CACHE_CLOSED = WINDOW_MINUTES + 2;
/** Where smoothBaseW keeps its running value (NaN: none yet) and the time of its last sample. */
const SMOOTH_BASE = WINDOW_MINUTES + 3;
const SMOOTH_AT = WINDOW_MINUTES + 4;

export class DemandWindow {
  /**
   * Average import of each closed minute, W, as a ring (oldest at `head`) in [0, WINDOW_MINUTES); after it,
   * recentSum's cache (CACHE_*): elements of an existing typed array cost no XS slots, fields do.
   */
  private readonly minutes = new Float64Array(WINDOW_MINUTES + 5).fill(NaN, WINDOW_MINUTES);
  private head = 0;
  /** Closed minutes held (0..15). */
  private filled = 0;
  private minuteIndex = NaN;
  private energyWms = 0;
  private coveredMs = 0;
  private lastSampleMs = NaN;
  private lastImportW = 0;
  /** Demand of the last full window closed (15 seen minutes), W; NaN until there is one. */
  lastDemandW = NaN;
  /** Minutes closed so far (for tests and status). */
  closedMinutes = 0;
  /** Samples that went back in time (a clock adjustment): ignored, counted. */
  backwardSamples = 0;

  /** Forget everything (new meter, reconfiguration). */
  reset(): void {
    this.head = 0;
    this.filled = 0;
    this.minuteIndex = NaN;
    this.energyWms = 0;
    this.coveredMs = 0;
    this.lastSampleMs = NaN;
    this.lastImportW = 0;
    this.lastDemandW = NaN;
    this.minutes[CACHE_CLOSED] = NaN;
    this.minutes[SMOOTH_BASE] = NaN;
  }

  /**
   * The site's base (what it would import with every device at zero), smoothed with time constant `tauMs`, for the
   * demand bound only. Demand is a 15-minute average and allowedImportW already settles in energy what import
   * deviated so far this minute, so the battery need not follow every second of load noise: the smoothed base moves
   * its demand setpoint rarely and little (demand-steady-noisy). A change larger than `jumpW` is no noise: the base
   * is taken as it is at once, so a load step is covered in the same decision as before. Anti-backflow keeps the raw
   * base (it must act at once). The energy of what the filter lags is taken back later in the same minute by
   * allowedImportW (spread over at least 10 s), inside the demand safety margin.
   */
  smoothBaseW(baseW: number, timeMs: number, tauMs: number, jumpW: number): number {
    const m = this.minutes;
    const previous = m[SMOOTH_BASE];
    const dt = timeMs - m[SMOOTH_AT];
    const step = baseW - previous;
    // Fresh start: the first sample, after a pause of demand control (several time constants), or time going back;
    // and a step beyond jumpW.
    const restart = previous !== previous || !(dt >= 0 && dt <= 4 * tauMs) || !(tauMs > 0) || step > jumpW || step < -jumpW;
    const next = restart ? baseW : previous + (step * dt) / (tauMs + dt);
    m[SMOOTH_BASE] = next;
    m[SMOOTH_AT] = timeMs;
    return next;
  }

  /**
   * A grid power reading at `timeMs` (wall-aligned ms). The previous reading is held until this one (the meter's
   * value stands until the next read). Returns the number of minutes this sample closed; `lastDemandW` is updated
   * when a full window closed. `limitW` fills what was not seen.
   */
  sample(timeMs: number, gridW: number, limitW: number): number {
    const importW = gridW > 0 ? gridW : 0;
    if (this.lastSampleMs !== this.lastSampleMs) {
      this.minuteIndex = Math.floor(timeMs / MINUTE_MS);
      this.lastSampleMs = timeMs;
      this.lastImportW = importW;
      return 0;
    }
    if (timeMs < this.lastSampleMs) {
      this.backwardSamples++;
      this.lastSampleMs = timeMs;
      this.lastImportW = importW;
      return 0;
    }
    let closed = 0;
    let t = this.lastSampleMs;
    // Close every minute boundary between the last sample and this one (bounded: a long gap closes at most a window).
    while (Math.floor(timeMs / MINUTE_MS) > this.minuteIndex) {
      const boundary = (this.minuteIndex + 1) * MINUTE_MS;
      const span = boundary - t;
      this.energyWms += this.lastImportW * span;
      this.coveredMs += span;
      this.closeMinute(limitW);
      closed++;
      t = boundary;
      if (closed > WINDOW_MINUTES) {
        // Longer than a window without samples: the held value fills every minute alike; skip ahead.
        this.minuteIndex = Math.floor(timeMs / MINUTE_MS);
        t = this.minuteIndex * MINUTE_MS;
        break;
      }
    }
    const span = timeMs - t;
    this.energyWms += this.lastImportW * span;
    this.coveredMs += span;
    this.lastSampleMs = timeMs;
    this.lastImportW = importW;
    return closed;
  }

  private closeMinute(limitW: number): void {
    const unseen = MINUTE_MS - this.coveredMs;
    const average = (this.energyWms + (unseen > 0 ? unseen * limitW : 0)) / MINUTE_MS;
    if (this.filled < WINDOW_MINUTES) {
      this.minutes[(this.head + this.filled) % WINDOW_MINUTES] = average;
      this.filled++;
    } else {
      this.minutes[this.head] = average;
      this.head = (this.head + 1) % WINDOW_MINUTES;
    }
    this.closedMinutes++;
    this.minuteIndex++;
    this.energyWms = 0;
    this.coveredMs = 0;
    if (this.filled === WINDOW_MINUTES) {
      let sum = 0;
      for (let i = 0; i < WINDOW_MINUTES; i++) sum += this.minutes[i];
      this.lastDemandW = sum / WINDOW_MINUTES;
    }
  }

  /**
   * Sum of the newest `count` closed minutes, unseen ones counted at `limitW`. The window's (14 minutes, limit) sum
   * is asked for every decision and changes only when a minute closes or the limit moves: it is kept until then
   * (the loop costs ~400 XS steps, a quarter of a decision's budget).
   */
  private recentSum(count: number, limitW: number): number {
    if (count !== WINDOW_MINUTES - 1) return this.sumRecent(count, limitW);
    const m = this.minutes;
    if (limitW === m[CACHE_LIMIT] && this.closedMinutes === m[CACHE_CLOSED]) return m[CACHE_SUM];
    const sum = this.sumRecent(count, limitW);
    m[CACHE_LIMIT] = limitW;
    m[CACHE_CLOSED] = this.closedMinutes;
    m[CACHE_SUM] = sum;
    return sum;
  }

  private sumRecent(count: number, limitW: number): number {
    let sum = 0;
    for (let k = 0; k < count; k++) {
      if (k < this.filled) sum += this.minutes[(this.head + this.filled - 1 - k) % WINDOW_MINUTES];
      else sum += limitW;
    }
    return sum;
  }

  /**
   * The current minute's average budget: 15 L minus the previous 14 minutes, but never above L. A minute above L
   * would use slack of minutes that slide out of the window before this one does; the windows after that would then
   * need the future load to stay below L, which nobody can promise. Below L it compensates earlier overshoot.
   */
  minuteBudgetW(limitW: number): number {
    const budget = WINDOW_MINUTES * limitW - this.recentSum(WINDOW_MINUTES - 1, limitW);
    return budget < limitW ? budget : limitW;
  }

  /**
   * Import allowed from `timeMs` to the end of the current minute so that the window ending then stays at or below
   * `limitW`: the minute's budget rate Q plus the correction for what was over- or under-used so far, spread over
   * the time left but over no less than `spreadMs`. Exact while more than `spreadMs` remain; in the last seconds of
   * a minute a small overdraw is corrected gently instead of demanding the whole load from the battery at once
   * (the overdraw is carried into the next minute's budget anyway, and the safety margin absorbs it).
   */
  allowedImportW(timeMs: number, limitW: number, spreadMs: number): number {
    if (this.lastSampleMs !== this.lastSampleMs) return limitW;
    const budgetW = this.minuteBudgetW(limitW);
    const elapsed = timeMs - this.minuteIndex * MINUTE_MS;
    const heldSinceSample = timeMs > this.lastSampleMs ? this.lastImportW * (timeMs - this.lastSampleMs) : 0;
    const unseenBefore = elapsed - this.coveredMs - (timeMs > this.lastSampleMs ? timeMs - this.lastSampleMs : 0);
    const soFar = this.energyWms + heldSinceSample + (unseenBefore > 0 ? unseenBefore * limitW : 0);
    let remaining = MINUTE_MS - elapsed;
    if (remaining < 0) remaining = 0;
    const surplus = MINUTE_MS * budgetW - soFar - budgetW * remaining;
    const allowed = budgetW + surplus / (remaining > spreadMs ? remaining : spreadMs);
    return allowed > 0 ? allowed : 0;
  }

  /** The window average predicted at the end of this minute if import stays at `importW` (status, tests). */
  predictedDemandW(timeMs: number, importW: number, limitW: number): number {
    const elapsed = timeMs - this.minuteIndex * MINUTE_MS;
    const held = timeMs > this.lastSampleMs ? this.lastImportW * (timeMs - this.lastSampleMs) : 0;
    const current = (this.energyWms + held + (importW > 0 ? importW : 0) * (MINUTE_MS - elapsed)) / MINUTE_MS;
    return (this.recentSum(WINDOW_MINUTES - 1, limitW) + current) / WINDOW_MINUTES;
  }
}

/**
 * The month's peak demand for dynamic demand: the highest full-window demand seen this month (and the platform's
 * seed), persisted when it rises by `persistStepW` or more, reset when the month changes.
 */
export class PeakTracker {
  monthKey = 0;
  peakW = 0;
  private savedPeakW = 0;
  saves = 0;

  constructor(
    private readonly store: { load(): { monthKey: number; peakW: number } | null; save(monthKey: number, peakW: number): void } | null,
    private readonly persistStepW: number,
  ) {}

  /** Take the persisted peak if it belongs to `monthKey` (at configuration). */
  restore(monthKey: number): void {
    this.monthKey = monthKey;
    this.peakW = 0;
    this.savedPeakW = 0;
    const stored = this.store ? this.store.load() : null;
    if (stored && monthKey !== 0 && stored.monthKey === monthKey && stored.peakW > 0) {
      this.peakW = stored.peakW;
      this.savedPeakW = stored.peakW;
    }
  }

  /** Called every cycle with the strategy's month: a new month starts from zero (and says so to the store). */
  setMonth(monthKey: number): boolean {
    if (monthKey === 0 || monthKey === this.monthKey) return false;
    const rolled = this.monthKey !== 0;
    this.monthKey = monthKey;
    this.peakW = 0;
    this.savedPeakW = 0;
    if (this.store) {
      this.store.save(monthKey, 0);
      this.saves++;
    }
    return rolled;
  }

  /** A full-window demand closed; returns true when the peak rose. */
  observe(demandW: number): boolean {
    if (!(demandW > this.peakW)) return false;
    this.peakW = demandW;
    if (this.store && this.monthKey !== 0 && this.peakW - this.savedPeakW >= this.persistStepW) {
      this.store.save(this.monthKey, this.peakW);
      this.savedPeakW = this.peakW;
      this.saves++;
    }
    return true;
  }

  /**
   * The demand threshold: the limit, or with dynamic demand max(limit, pct % of max(peak, seed)). The month's peak is
   * already billed, so letting demand rise toward it costs nothing and spares the battery.
   */
  thresholdW(limitW: number, dynamic: boolean, pct: number, seedW: number): number {
    if (!dynamic) return limitW;
    const peak = this.peakW > seedW ? this.peakW : seedW;
    const tracked = (pct / 100) * peak;
    return tracked > limitW ? tracked : limitW;
  }
}
