/**
 * The periodic status report to the platform on `${PREFIX}/report/post`: the gateway's status snapshot (uptime,
 * ticks, overruns, memory, every non-zero counter: bounds hit, drops, refusals), the link state, the control loop's
 * alarms and configuration problems. Every `report_interval_s` (spec 004 setting) while online, QoS 0: a newer one
 * follows, so an old one is not worth an outbox slot. Building it allocates; it runs at report rate, not tick rate.
 */
import type { Clock } from "../../hal/types";
import type { TickService } from "./service";

export interface ReportSource {
  report(): Record<string, unknown>;
}

export interface ReportPublisher {
  /** Whether a report can go out now (online); checked before the report is built, so offline costs nothing. */
  ready(): boolean;
  /** Returns false when the report could not be sent (offline, buffer full): it is then skipped, and counted. */
  publishReport(text: string): boolean;
}

export class StatusReporter implements TickService {
  readonly name = "report";
  private lastMs = -Infinity;
  sent = 0;
  skipped = 0;

  constructor(
    private readonly clock: Clock,
    private readonly source: ReportSource,
    private readonly publisher: ReportPublisher,
    private intervalMs: number,
  ) {}

  setPeriodSeconds(seconds: number): void {
    this.intervalMs = seconds * 1000;
  }

  /** Report at the next tick (after connecting, the platform should not wait a whole interval). */
  soon(): void {
    this.lastMs = -Infinity;
  }

  tick(nowMs: number): void {
    if (nowMs - this.lastMs < this.intervalMs || !this.publisher.ready()) return;
    this.lastMs = nowMs;
    const text = JSON.stringify({ timestamp: this.clock.wallSynced() ? this.clock.wallMs() : null, ...this.source.report() });
    if (this.publisher.publishReport(text)) this.sent++;
    else this.skipped++;
  }
}
