/**
 * The MQTT session's UplinkJournal over the flash store: the QoS 1 uplinks that matter (command replies of specs
 * 000, 003 and 004, schedule result events, OTA results) are written to the store's `uplinks` collection before
 * they are queued, deleted when the broker acknowledges them, and sent again, oldest first, after a reboot. So a
 * reply or an event produced while offline survives a power cut; each is sent once more after a reboot at most (the
 * gateway cannot know whether a broker received a message it never acknowledged: the platform sees the same `mid`,
 * `msgid` or `id` again and can tell).
 *
 * Bounds (counted, reported in the counters): at most `capacity` kept; a new one when full forgets the oldest
 * (`uplink_journal_evicted`); one the RAM outbox drops to make room is forgotten too (`uplink_journal_dropped`); a
 * store error keeps the uplink in RAM only (`uplink_journal_errors`). Status, lists and periodic reports are not
 * kept: they are re-derived, and may be lost (their drops are counted by the session).
 *
 * Keys are the sequence number as 8 hex digits, so their order is the publish order; the value names the route
 * (by name: route ids may change between firmware versions) and holds the payload text.
 */
import { LogLevel, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import type { UplinkJournal } from "../mqtt/session";
import type { TopicRouter } from "../protocol/topics";
import type { GatewayStore } from "../store/index";

interface Kept {
  r: string;
  p: string;
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

export class StoreUplinkJournal implements UplinkJournal {
  /** Sequence numbers kept, oldest first (RAM mirror of the collection's keys). */
  private readonly kept: number[] = [];
  private nextSeq = 1;
  private readonly cKept: number;
  private readonly cEvicted: number;
  private readonly cDropped: number;
  private readonly cErrors: number;
  private readonly cResent: number;

  /** `durable`: names of the outgoing routes whose QoS 1 uplinks are kept. */
  constructor(
    private readonly store: GatewayStore,
    private readonly router: TopicRouter,
    private readonly durable: Uint8Array,
    private readonly capacity: number,
    private readonly counters: Counters,
    private readonly log: Log,
  ) {
    this.cKept = counters.register("uplink_journal_kept");
    this.cEvicted = counters.register("uplink_journal_evicted");
    this.cDropped = counters.register("uplink_journal_dropped");
    this.cErrors = counters.register("uplink_journal_errors");
    this.cResent = counters.register("uplink_journal_resent");
    const keys = store.uplinks.keys();
    for (const key of keys) {
      const seq = parseInt(key, 16);
      if (seq === seq && seq > 0) this.kept.push(seq);
    }
    this.kept.sort((a, b) => a - b);
    if (this.kept.length > 0) this.nextSeq = this.kept[this.kept.length - 1] + 1;
  }

  /** The routes' flags for `durable`: 1 at each outgoing route id named in `names`. */
  static routes(router: TopicRouter, names: readonly string[]): Uint8Array {
    const flags = new Uint8Array(router.outgoingCount);
    for (const name of names) {
      const route = router.outgoingRouteByName(name);
      if (route >= 0) flags[route] = 1;
    }
    return flags;
  }

  covers(route: number): boolean {
    return route >= 0 && route < this.durable.length && this.durable[route] === 1;
  }

  append(route: number, payload: string): number {
    const seq = this.nextSeq;
    const evict = this.kept.length >= this.capacity ? this.kept[0] : 0;
    try {
      this.store.transaction((tx) => {
        if (evict > 0) tx.uplinks.delete(hex8(evict));
        tx.uplinks.put(hex8(seq), { r: this.router.outgoingName(route), p: payload } satisfies Kept);
      });
    } catch (error) {
      this.counters.add(this.cErrors);
      this.log.write(LogLevel.Error, "uplinks", `cannot keep an uplink on flash (${String(error)}): it is in RAM only`);
      return 0;
    }
    this.nextSeq = seq + 1;
    if (evict > 0) {
      this.kept.shift();
      this.counters.add(this.cEvicted);
    }
    this.kept.push(seq);
    this.counters.add(this.cKept);
    return seq;
  }

  acknowledged(handle: number): void {
    this.forget(handle);
  }

  dropped(handle: number): void {
    if (this.forget(handle)) this.counters.add(this.cDropped);
  }

  pending(): { handle: number; route: number; payload: string }[] {
    const out: { handle: number; route: number; payload: string }[] = [];
    for (const seq of this.kept) {
      let value: Kept | undefined;
      try {
        value = this.store.uplinks.get(hex8(seq)) as Kept | undefined;
      } catch (error) {
        this.counters.add(this.cErrors);
        this.log.write(LogLevel.Error, "uplinks", `kept uplink ${seq} unreadable: ${String(error)}`);
      }
      const route = value && typeof value.r === "string" ? this.router.outgoingRouteByName(value.r) : -1;
      out.push({ handle: seq, route, payload: value && typeof value.p === "string" ? value.p : "" });
    }
    if (out.length > 0) {
      this.counters.add(this.cResent, out.length);
      this.log.write(LogLevel.Info, "uplinks", `${out.length} uplinks kept from before the restart are sent again`);
    }
    return out;
  }

  /** Uplinks kept now (status, tests). */
  get size(): number {
    return this.kept.length;
  }

  private forget(handle: number): boolean {
    const index = this.kept.indexOf(handle);
    if (index < 0) return false;
    try {
      this.store.transaction((tx) => tx.uplinks.delete(hex8(handle)));
    } catch (error) {
      // Left on flash: it is sent once more after the next reboot, which the platform can recognise by its id.
      this.counters.add(this.cErrors);
      this.log.write(LogLevel.Error, "uplinks", `cannot forget uplink ${handle}: ${String(error)}`);
    }
    this.kept.splice(index, 1);
    return true;
  }
}
