/**
 * Ratings from the devices (issue 13 item 7): spec 000 carries no rated power, so for a device whose strategy does
 * not send `rated_power` the gateway reads it over Modbus (src/devices/ratings.ts) before the control loop takes the
 * device in; a `rated_power` that is sent overrides. The source of every rating shows in the status report.
 *
 * `DeviceRatings` wraps the strategy source the control loop reads: its topology gives each device the rating it
 * has (the platform's, else the one read), and its version moves when a rating arrives, so the loop reconfigures
 * with it. Until then the device is left out (the loop's problem list says its rating is unknown). Reads run on the
 * loop's transports between cycles within the bus budget, through DevicePoints' bus accounting. Allocates at
 * configure and read rate only; `serveCycle` with nothing to read allocates nothing.
 */
import { LogLevel, type Clock, type Log } from "../../hal/types";
import type { Counters } from "../core/counters";
import type { DeviceSpec, StrategySettings, StrategySource, StrategyTopology } from "../control/strategy-input";
import { findRating, type RatingDef } from "../devices/ratings";
import { pow10 } from "../devices/points";
import { ModbusTransaction, TxStatus, type ModbusListener } from "../modbus/transaction";
import type { DevicePoints, PointBus, PointLink } from "./device-points";

/** How a rating became known. */
export type RatingSource = "platform" | "device";

export interface RatingStatus {
  id: number;
  ratedW: number;
  source: RatingSource;
  /** What was read (device ratings), e.g. "SunSpec 702.WMax". */
  from: string;
}

/** A failed read is tried again after this long. */
const RETRY_MS = 5000;

export class DeviceRatings implements StrategySource, ModbusListener {
  private readonly known: RatingStatus[] = [];
  /** Devices whose rating is to be read: spec and definition, in order. */
  private readonly wanted: { spec: DeviceSpec; def: RatingDef; link: PointLink | null; retryAtMs: number }[] = [];
  private tx: ModbusTransaction | null = null;
  /** Index in `wanted` of the read on the bus, -1 none; `sfStep`: the scale factor is being read. */
  private reading = -1;
  private sfStep = false;
  private sf = 1;
  /** Index in `wanted` whose scale factor was read: its value goes next. */
  private valueNext = -1;
  private arrivals = 0;
  private bus: PointBus | null = null;
  private readonly cFailures: number;

  constructor(
    private readonly inner: StrategySource,
    private readonly points: DevicePoints,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly counters: Counters,
    readonly capacity = 16,
  ) {
    this.cFailures = counters.register("rating_read_failures");
  }

  attach(bus: PointBus): void {
    this.bus = bus;
  }

  /** Moves with the strategies and with every rating that arrives. */
  get version(): number {
    return this.inner.version + this.arrivals;
  }

  strategies(): readonly StrategySettings[] {
    return this.inner.strategies();
  }

  topology(strategy: StrategySettings): StrategyTopology | null {
    const topology = this.inner.topology(strategy);
    if (topology === null) return null;
    let changed = false;
    const devices = topology.devices.map((spec) => {
      if (spec.ratedW > 0) {
        this.note(spec.id, spec.ratedW, "platform", "rated_power");
        return spec;
      }
      const known = this.find(spec.id);
      if (known !== null && known.source === "device") {
        changed = true;
        return { ...spec, ratedW: known.ratedW };
      }
      this.want(spec);
      return spec;
    });
    return changed ? { meter: topology.meter, devices } : topology;
  }

  /** Every rating in use and its source (status report: report rate, allocates). */
  status(): RatingStatus[] {
    return this.known.map((r) => ({ ...r }));
  }

  private find(id: number): RatingStatus | null {
    for (const r of this.known) if (r.id === id) return r;
    return null;
  }

  private note(id: number, ratedW: number, source: RatingSource, from: string): void {
    const existing = this.find(id);
    if (existing !== null) {
      existing.ratedW = ratedW;
      existing.source = source;
      existing.from = from;
    } else if (this.known.length < this.capacity) {
      this.known.push({ id, ratedW, source, from });
    }
  }

  private want(spec: DeviceSpec): void {
    for (const w of this.wanted) if (w.spec.id === spec.id) return;
    const def = findRating(spec.map);
    if (def === null) {
      this.log.write(LogLevel.Warn, "ratings", `device ${spec.id}: no rated_power and map "${spec.map}" has no rating register`);
      return;
    }
    if (this.wanted.length === this.capacity) return;
    this.wanted.push({ spec, def, link: null, retryAtMs: 0 });
  }

  /** Called after DevicePoints.serveCycle in the same cycle: one rating read at a time. */
  serveCycle(nowMs: number): void {
    const bus = this.bus;
    if (bus === null || this.wanted.length === 0 || this.reading >= 0) return;
    let i = this.valueNext;
    if (i < 0) {
      for (let k = 0; k < this.wanted.length && i < 0; k++) if (this.wanted[k].retryAtMs <= nowMs) i = k;
      if (i < 0) return;
    }
    const w = this.wanted[i];
    if (w.link === null) {
      const link = bus.linkTransport(w.spec.link);
      if (typeof link === "string") {
        w.retryAtMs = nowMs + RETRY_MS;
        this.valueNext = -1;
        return;
      }
      w.link = link;
    }
    if (this.tx === null) this.tx = new ModbusTransaction(2, this);
    // A SunSpec rating reads its scale factor first, then the value.
    const sfStep = w.def.sfAddress >= 0 && this.valueNext !== i;
    this.tx.setRead(w.spec.link.unit, w.def.fc, sfStep ? w.def.sfAddress : w.def.address, sfStep ? 1 : w.def.count);
    if (!this.points.fits(bus, w.link, this.tx)) return;
    this.reading = i;
    this.sfStep = sfStep;
    if (!w.link.transport.submit(this.tx)) {
      this.reading = -1;
      this.valueNext = -1;
      w.retryAtMs = nowMs + RETRY_MS;
    }
  }

  onModbusDone(tx: ModbusTransaction): void {
    const i = this.reading;
    this.reading = -1;
    if (i < 0 || i >= this.wanted.length) return;
    const w = this.wanted[i];
    if (tx.status !== TxStatus.Ok) {
      this.counters.add(this.cFailures);
      w.retryAtMs = this.clock.monotonicMs() + RETRY_MS;
      this.valueNext = -1;
      return;
    }
    if (this.sfStep) {
      this.sf = pow10((tx.registers[0] << 16) >> 16);
      this.valueNext = i; // the value at the next cycle
      return;
    }
    this.valueNext = -1;
    const def = w.def;
    // 0xFFFF: SunSpec "not implemented" for a uint16.
    const unimplemented = def.sfAddress >= 0 && tx.registers[0] === 0xffff;
    const watts = unimplemented ? NaN : def.count === 2 ? 3 * (tx.registers[0] / 10) * (tx.registers[1] / 10) : tx.registers[0] * def.scale * (def.sfAddress >= 0 ? this.sf : 1);
    if (!(watts > 0) || !Number.isFinite(watts)) {
      this.counters.add(this.cFailures);
      this.log.write(LogLevel.Warn, "ratings", `device ${w.spec.id}: ${def.what} reads ${watts} W: not a rating; retried`);
      w.retryAtMs = this.clock.monotonicMs() + RETRY_MS;
      return;
    }
    this.wanted.splice(i, 1);
    this.note(w.spec.id, watts, "device", def.what);
    this.arrivals++;
    this.log.write(LogLevel.Info, "ratings", `device ${w.spec.id}: rated ${Math.round(watts)} W (${def.what})`);
  }
}
