/**
 * Sends replies that take several MQTT messages (src/core/reply-pages.ts) without overrunning the session's QoS 1
 * outbox. The outbox makes room for a new uplink by dropping its oldest one, so queueing every part of a large
 * READ_ALL at once (42 tasks are ~3 parts of 8 KiB against a 16 KiB outbox) would lose the first parts. Instead
 * the first part is queued at once, like any reply (the journal keeps it on flash, docs/mqtt.md), and each further
 * part when the outbox holds no unacknowledged uplink, checked at every tick: a part is built only then, so at most
 * one part's text exists at a time.
 *
 * Bounds: at most `capacity` replies wait for their remaining parts; one more abandons the oldest, whose unsent
 * parts are counted in `reply_parts_dropped`, as are parts the session refuses. A reboot forgets the parts not yet
 * queued (a read changes nothing: the platform asks again, docs/schedule.md).
 */
import { LogLevel, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import type { ReplyPages } from "../core/reply-pages";
import { PUBLISH_RESULT_NAMES, PublishResult } from "../mqtt/session";
import type { TickService } from "./service";

/** What the pager needs of the MQTT session. */
export interface PagerSession {
  publishText(route: number, payload: string, qos: number): PublishResult;
  /** QoS 1 uplinks held (in flight + queued): the next part goes when this is 0. */
  readonly queuedUplinks: number;
}

export class ReplyPager implements TickService {
  readonly name = "reply-pager";
  /**
   * The waiting replies (a ring of `capacity`) and, per slot, its outgoing route (at `slot`) and the parts already
   * sent (at `capacity + slot`). Made at the first reply in parts: most gateways never send one.
   */
  private pending: (ReplyPages | null)[] | null = null;
  private columns: Int32Array | null = null;
  private head = 0;
  private count = 0;
  private readonly cPartsSent: number;
  private readonly cPartsDropped: number;
  private readonly cSplit: number;
  private readonly cSuperseded: number;

  constructor(
    private readonly session: PagerSession,
    private readonly qos: number,
    private readonly counters: Counters,
    private readonly log: Log,
    readonly capacity = 4,
  ) {
    this.cPartsSent = counters.register("reply_parts_sent");
    this.cPartsDropped = counters.register("reply_parts_dropped");
    this.cSplit = counters.register("replies_in_parts");
    this.cSuperseded = counters.register("reports_superseded");
  }

  /** Replies still waiting to send parts. */
  get waiting(): number {
    return this.count;
  }

  /**
   * Queue `first` now and the rest of `pages` (null: none; `first` was its part 1) as the outbox drains. Returns
   * the first part's publish result.
   */
  send(route: number, first: string, pages: ReplyPages | null): PublishResult {
    const result = this.publish(route, first);
    if (pages === null || pages.parts <= 1) return result;
    this.counters.add(this.cSplit);
    this.counters.add(this.cPartsSent);
    this.wait(route, pages, 1);
    return result;
  }

  /**
   * Build and queue every part of `pages` later, the first one too, when the outbox holds no unacknowledged uplink
   * (a report that follows a command's result: by then the command's text is out of the heap).
   */
  sendLater(route: number, pages: ReplyPages): void {
    if (pages.parts > 1) this.counters.add(this.cSplit);
    // A later report on the same route that has not started yet is out of date: this one takes its place (a burst
    // of commands sends the newest list once, not one stale list per command).
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.capacity;
      const columns = this.columns as Int32Array;
      if (columns[slot] === route && columns[this.capacity + slot] === 0) {
        (this.pending as (ReplyPages | null)[])[slot] = pages;
        this.counters.add(this.cSuperseded);
        return;
      }
    }
    this.wait(route, pages, 0);
  }

  private wait(route: number, pages: ReplyPages, sent: number): void {
    if (this.pending === null) {
      this.pending = new Array<ReplyPages | null>(this.capacity).fill(null);
      this.columns = new Int32Array(2 * this.capacity);
    }
    if (this.count === this.capacity) this.abandonOldest();
    const slot = (this.head + this.count) % this.capacity;
    this.pending[slot] = pages;
    (this.columns as Int32Array)[slot] = route;
    (this.columns as Int32Array)[this.capacity + slot] = sent;
    this.count++;
  }

  tick(): void {
    while (this.count > 0 && this.session.queuedUplinks === 0) {
      const slot = this.head;
      const pages = (this.pending as (ReplyPages | null)[])[slot] as ReplyPages;
      const columns = this.columns as Int32Array;
      const text = pages.next();
      if (text === null) {
        this.release();
        continue;
      }
      const sent = ++columns[this.capacity + slot];
      this.counters.add(this.cPartsSent);
      this.publish(columns[slot], text);
      if (sent >= pages.parts) this.release();
    }
  }

  private publish(route: number, text: string): PublishResult {
    const result = this.session.publishText(route, text, this.qos);
    if (result !== PublishResult.Queued && result !== PublishResult.Sent) {
      this.counters.add(this.cPartsDropped);
      this.log.write(LogLevel.Error, "reply", `a reply part was not queued: ${PUBLISH_RESULT_NAMES[result]}`);
    }
    return result;
  }

  private abandonOldest(): void {
    const slot = this.head;
    const pages = (this.pending as (ReplyPages | null)[])[slot] as ReplyPages;
    const left = pages.parts - (this.columns as Int32Array)[this.capacity + slot];
    this.counters.add(this.cPartsDropped, left);
    this.log.write(LogLevel.Warn, "reply", `${left} parts of a reply abandoned: more than ${this.capacity} replies in parts waiting`);
    this.release();
  }

  private release(): void {
    (this.pending as (ReplyPages | null)[])[this.head] = null;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
