/**
 * A seeded soak of the composed firmware (issue 14): days of simulated time on the simulated HAL and site, with
 * random broker outages, bursts of commands of all three protocols, power cuts in the middle of flash operations
 * (the device reboots on the same flash; the broker keeps its persistent session and redelivers what the gateway
 * never acknowledged), and meter dropouts. The same seed replays the same run.
 *
 * What it checks, from the platform's side: every command the gateway acknowledged (PUBACK) is answered; no command
 * is applied twice (every reply to one command id is the same reply, so a redelivery after a power cut was answered
 * from the remembered reply, not applied again); queues stay within their bounds.
 *
 * The run is a `SoakRun` advanced in steps (`runUntil`), so a host can stop it between steps: the XS soak
 * (sim/soak-xs.ts) runs this same code inside the real XS engine and reads the heap after a collection between
 * steps. What the platform side remembers about each command (the `SoakLedger`) is kept by whoever drives the run,
 * outside the engine in the XS soak, so the heap figure holds the firmware and its simulated world only.
 */
import { createSimHal, type SimHal } from "../hal/sim/index";
import { PowerCut, SimFlashProvider, SimNorFlash } from "../hal/sim/flash";
import { SeededRandom } from "../hal/sim/random";
import { bootFirmware, type Firmware } from "../src/app/firmware";
import { resolveConfig } from "../src/config/gateway-config";
import { SimBroker } from "../test/mqtt/helpers/sim-broker";
import { SimSite, type SiteSpec } from "./site/site";

export interface SoakOptions {
  seed: number;
  days: number;
  site: SiteSpec;
  strategy: Record<string, unknown>;
  /** Quiet minutes end every this long (default QUIET_EVERY_MS, half a day); shorter for the CI length soak. */
  quietEveryMs?: number;
  onDay?: (day: number, metrics: SoakMetrics) => void;
}

export type CommandKind = "000" | "003" | "004";

/** The platform's side of the run: which commands it sent, and every reply it received to each. */
export interface SoakLedger {
  sent(id: string, kind: CommandKind): void;
  /** A reply to command `id`, its timestamps removed (so two answers to one command compare as text). */
  reply(id: string, text: string): void;
}

/** What the run itself counts (the ledger's verdicts are added by `ReplyLedger.complete`). */
export interface SoakCounts {
  seed: number;
  days: number;
  commandsSent: number;
  commandsAcknowledged: number;
  brokerOutages: number;
  powerCuts: number;
  meterDropouts: number;
  maxOutboxDepth: number;
  maxJournalDepth: number;
  /** Bounds the firmware reports it hit (counted drops), summed over the device's lives. */
  uplinkDropsCounted: number;
  /** QoS 1 deliveries the broker still holds unacknowledged at the end (0 after the settle). */
  unacknowledged: number;
}

export interface SoakMetrics extends SoakCounts {
  /** Commands answered with success (200 / res 1). */
  commandsApplied: number;
  /** Acknowledged by the gateway but never answered. */
  repliesLost: number;
  /** When replies were lost: how many per protocol ("000", "003", "004"). */
  lostByProtocol?: Record<string, number>;
  /** Commands answered more than once (redelivered after a power cut): allowed when the replies are identical. */
  duplicateReplies: number;
  /** Commands whose replies differ: applied twice, or answered inconsistently. Must be 0. */
  duplicatesApplied: number;
  /** The firmware's XS heap (sim/soak-xs.ts); absent when the soak ran in Node, where no figure means anything. */
  heap?: SoakHeap;
}

/** XS heap slots after a collection, read by the host between steps of the run (sim/soak-xs.ts). */
export interface SoakHeap {
  /** After the first simulated hour (or the warm-up if shorter): for the cost of what fills in the first day. */
  firstHourSlots: number;
  /** Simulated time before the start figure: booted, connected, the bounded per-id state filled (docs/soak.md). */
  warmMs: number;
  startSlots: number;
  /** Simulated time between two samples (a day in `npm run soak`). */
  sampleEveryMs: number;
  /** At each sample point after the start (the last one is the end of the run, before the settle). */
  sampleSlots: number[];
  /** After the settle at the end. */
  endSlots: number;
  /** endSlots - startSlots. */
  growthSlots: number;
  /** The most any sample or the end stood above the start. */
  maxGrowthSlots: number;
  /** The documented bound on maxGrowthSlots (HEAP_GROWTH_BOUND_SLOTS, docs/soak.md). */
  boundSlots: number;
  /** maxGrowthSlots <= boundSlots. */
  flat: boolean;
  /**
   * Bytes the engine had taken from the system for slots and chunks, at the start and the end (XS allocatedSpace, a
   * high-water mark: xsnap reports no live chunk figure). Equal means the week needed no more memory than its start.
   */
  allocatedBytesStart: number;
  allocatedBytesEnd: number;
}

/** A reply ledger in the same process: every command's replies, and the verdicts at the end. */
export class ReplyLedger implements SoakLedger {
  private readonly entries = new Map<string, { kind: CommandKind; replies: string[] }>();

  sent(id: string, kind: CommandKind): void {
    this.entries.set(id, { kind, replies: [] });
  }

  reply(id: string, text: string): void {
    // A message on a reply topic whose id the platform never sent is not an answer to anything it asked.
    this.entries.get(id)?.replies.push(text);
  }

  /** The run's counts plus the ledger's verdicts. */
  complete(counts: SoakCounts): SoakMetrics {
    const m: SoakMetrics = { ...counts, commandsApplied: 0, repliesLost: 0, duplicateReplies: 0, duplicatesApplied: 0 };
    const lostByKind: Record<string, number> = {};
    for (const entry of this.entries.values()) {
      if (entry.replies.length === 0) {
        m.repliesLost++;
        lostByKind[entry.kind] = (lostByKind[entry.kind] ?? 0) + 1;
        continue;
      }
      if (entry.replies.length > 1) m.duplicateReplies++;
      if (new Set(entry.replies).size > 1) m.duplicatesApplied++;
      if (/"code":200|"res":1/.test(entry.replies[0])) m.commandsApplied++;
    }
    // A command still unacknowledged at the end (none, after the settle) cannot have lost its reply.
    m.repliesLost = Math.max(0, m.repliesLost - counts.unacknowledged);
    if (m.repliesLost > 0) m.lostByProtocol = lostByKind;
    return m;
  }
}

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SYS = "/sys/pk-demo/GW-0001";
export const DAY_MS = 86_400_000;
/** The simulated time between two looks at the run (outages, bursts, queue depths). */
const STEP = 1000;
/**
 * The last minutes of every half day (QUIET_EVERY_MS) are quiet: an outage or a meter dropout in progress ends, an
 * armed power cut is disarmed, and nothing new starts until the window is over (what falls due in it happens right
 * after). So each half day ends as the run does, connected with nothing in flight, and the XS soak's heap samples,
 * taken there, compare like with like instead of catching one in an outage and the next connected.
 */
export const QUIET_EVERY_MS = DAY_MS / 2;
export const QUIET_MS = 10 * 60_000;
/** At the end: broker up, meter back, no cuts, for this long, so everything in flight is answered. */
export const SETTLE_MS = 5 * 60_000;

interface Life {
  sim: SimHal;
  broker: SimBroker;
  firmware: Firmware;
  site: SimSite;
}

export interface SoakRunOptions {
  seed: number;
  /** Simulated days; may be a fraction (the short XS runs in tests). */
  days: number;
  site: SiteSpec;
  strategy: Record<string, unknown>;
  /** Quiet minutes end every this long (default QUIET_EVERY_MS). */
  quietEveryMs?: number;
}

/** One soak, advanced by `runUntil` and closed by `finish`. */
export class SoakRun {
  private readonly random: SeededRandom;
  private readonly chip: SimNorFlash;
  private readonly config = resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883", keepAliveSec: 30 } });
  private readonly startWall = Date.UTC(2026, 5, 1, 0, 0, 0);
  readonly totalMs: number;
  private readonly counts: SoakCounts;
  private elapsed = 0;
  private broker: SimBroker | null = null;
  /** Set by the life that is running: at the instant of a power cut, cut the device off the network too. */
  private onCut: (() => void) | null = null;
  private dead = false;
  private seq = 0;
  private nextStrategyId = 1;
  /** Whether the last spec 000 command sent put a strategy in force (update_all) or took it away (delete). */
  private strategyInForce = false;
  private current: Life;
  // The device's schedule of trouble, drawn from the seed.
  private nextOutage: number;
  private nextBurst: number;
  private nextCut: number;
  private nextDropout: number;
  private outageEnds = -1;
  private dropoutEnds = -1;

  constructor(
    private readonly options: SoakRunOptions,
    private readonly ledger: SoakLedger,
  ) {
    this.random = new SeededRandom(options.seed);
    this.chip = new SimNorFlash({ sectorCount: 96, seed: options.seed });
    this.totalMs = Math.round((options.days * DAY_MS) / STEP) * STEP;
    this.counts = {
      seed: options.seed,
      days: options.days,
      commandsSent: 0,
      commandsAcknowledged: 0,
      brokerOutages: 0,
      powerCuts: 0,
      meterDropouts: 0,
      maxOutboxDepth: 0,
      maxJournalDepth: 0,
      uplinkDropsCounted: 0,
      unacknowledged: 0,
    };
    const chip = this.chip;
    for (const method of ["program", "eraseSector"] as const) {
      const original = chip[method].bind(chip) as (...args: number[]) => void;
      (chip as unknown as Record<string, unknown>)[method] = (...args: never[]) => {
        try {
          original(...(args as unknown as number[]));
        } catch (error) {
          if (error instanceof PowerCut && !this.dead) {
            this.dead = true;
            this.onCut?.();
          }
          throw error;
        }
      };
    }
    this.current = this.life();
    this.nextOutage = this.uniform(1, 6) * 3_600_000;
    this.nextBurst = this.uniform(10, 60) * 60_000;
    this.nextCut = this.uniform(6, 24) * 3_600_000;
    this.nextDropout = this.uniform(2, 8) * 3_600_000;
  }

  get elapsedMs(): number {
    return this.elapsed;
  }

  /** The firmware of the device's current life (a power cut boots a new one). */
  get firmware(): Firmware {
    return this.current.firmware;
  }

  /** The counts so far (a copy). */
  get progress(): SoakCounts {
    return { ...this.counts };
  }

  private uniform(lo: number, hi: number): number {
    return lo + this.random.nextFloat() * (hi - lo);
  }

  /** One life of the device: from a boot to a power cut (or the end). */
  private life(): Life {
    this.chip.powerOn();
    // One line of simulated log kept, not 200: a life that has logged 50 lines and one that has logged 200 would
    // differ by 150 strings in the XS heap figure, which is about the firmware, not the simulated HAL's log.
    const sim = createSimHal({ seed: this.options.seed + this.counts.powerCuts, flash: new SimFlashProvider({ store: this.chip }), wallStartMs: this.startWall + this.elapsed, logCapacity: 1 });
    const site = new SimSite(this.options.site, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
    const next = new SimBroker(sim.network);
    // The broker outlives the device: its persistent session (subscriptions, unacknowledged deliveries) carries over.
    if (this.broker) for (const [id, session] of this.broker.sessions) next.sessions.set(id, session);
    this.broker = next;
    this.dead = false;
    // A dead device says nothing more: from the cut on, the broker hears nothing from it.
    this.onCut = () => {
      sim.network.refuseConnections = true;
      next.crash();
    };
    const firmware = bootFirmware(sim, this.config);
    return { sim, broker: next, firmware, site };
  }

  private command(b: SimBroker, kind: CommandKind, restoreStrategy = false): void {
    const seq = ++this.seq;
    const seed = this.options.seed;
    let topic: string;
    let text: string;
    let id: string;
    if (kind === "000") {
      id = `soak-${seed}-${seq}`;
      const action = !restoreStrategy && seq % 3 === 0 && this.nextStrategyId > 1 ? "delete" : "update_all";
      const data = action === "delete" ? { id: this.nextStrategyId - 1 } : [this.options.strategy];
      if (action === "update_all") this.nextStrategyId++;
      this.strategyInForce = action === "update_all";
      topic = `${PREFIX}/streaming_overdemand/${action}/command`;
      text = JSON.stringify({ mid: id, type: `streaming_overdemand_${action}`, device_uid: "GW-0001", timestamp: 1795000000000, data });
    } else if (kind === "003") {
      id = String(628131887239000000n + BigInt(seed) * 1000000n + BigInt(seq));
      const task = { taskId: `t${seq % 5}`, enable: 1, priority: 1, startTime: "", endTime: "", cycle: { mode: "cron", dstEnable: 0, cron: `0 ${seq % 60} * * * ?` }, actions: [{ method: "operate_raw", payload: { addr: "3", portid: "1", meteraddr: "1", functionid: "ess_setpoint_kw", value: -5 } }] };
      topic = `${PREFIX}/schedule/command`;
      text = JSON.stringify({ msgid: id, method: "schedule", sn: "GW-0001", timestamp: 1772409630, payload: { cmd: "SET", tasks: [task] } }).replace(`"${id}"`, id);
    } else {
      id = `${seq}`;
      topic = `${SYS}/thing/service/property/set`;
      text = JSON.stringify({ id, version: "1.0", params: { report_interval_s: 30 + (seq % 60) }, method: "thing.service.property.set" });
    }
    this.ledger.sent(id, kind);
    this.counts.commandsSent++;
    b.publish(topic, text, 1);
  }

  /**
   * Hand the replies the broker received to the ledger, then forget everything the broker logs (its logs would grow
   * for days, and in the XS soak they would count as the firmware's heap).
   */
  private harvest(b: SimBroker): void {
    for (const msg of b.received) {
      const text = msg.payload.toString();
      let id: string | null = null;
      if (msg.topic.endsWith("/result") && msg.topic.includes("streaming_overdemand")) id = (JSON.parse(text) as { reply?: string }).reply ?? null;
      else if (msg.topic === `${PREFIX}/schedule/result`) id = /"msgid":(\d+)/.exec(text)?.[1] ?? null;
      else if (msg.topic === `${SYS}/thing/service/property/set_reply`) id = (JSON.parse(text) as { id?: string }).id ?? null;
      if (id !== null) this.ledger.reply(id, text.replace(/"timestamp":\d+,?/g, ""));
    }
    b.received.length = 0;
    b.log.length = 0;
    b.connects.length = 0;
    b.willsPublished.length = 0;
  }

  /** Advance the run to `untilMs` of simulated time (at most its end). */
  runUntil(untilMs: number): void {
    const m = this.counts;
    const end = Math.min(untilMs, this.totalMs);
    while (this.elapsed < end) {
      const { sim, firmware, site } = this.current;
      const b = this.current.broker;
      try {
        sim.loop.runFor(STEP);
      } catch (error) {
        // Once the chip is cut, what the dead firmware still does fails on the flash (PowerCut, then STORE_FAILED).
        if (!this.dead) throw error;
      }
      if (this.dead) {
        // The cut happened inside a flash operation: the device boots again on the torn flash.
        this.harvest(b);
        m.uplinkDropsCounted += dropsOf(firmware);
        m.powerCuts++;
        this.elapsed += STEP;
        this.current = this.life();
        continue;
      }
      this.elapsed += STEP;
      const elapsed = this.elapsed;
      // Quiet up to and including the half day's last instant, where the heap sample is taken.
      const quietEvery = this.options.quietEveryMs ?? QUIET_EVERY_MS;
      const phase = elapsed % quietEvery;
      if (phase === 0 || phase > quietEvery - QUIET_MS) {
        this.quiet(sim, site, b);
        this.watch(firmware, b);
        continue;
      }
      if (elapsed >= this.nextOutage && this.outageEnds < 0) {
        sim.network.refuseConnections = true;
        b.crash();
        this.outageEnds = elapsed + this.uniform(5, 600) * 1000;
        m.brokerOutages++;
      }
      if (this.outageEnds >= 0 && elapsed >= this.outageEnds) {
        sim.network.refuseConnections = false;
        this.outageEnds = -1;
        this.nextOutage = elapsed + this.uniform(1, 6) * 3_600_000;
      }
      if (elapsed >= this.nextBurst) {
        const n = Math.floor(this.uniform(1, 6));
        for (let i = 0; i < n; i++) this.command(b, (["000", "003", "004"] as const)[Math.floor(this.uniform(0, 3))]);
        this.nextBurst = elapsed + this.uniform(10, 60) * 60_000;
      }
      if (elapsed >= this.nextDropout && this.dropoutEnds < 0) {
        site.meter.slave.silent = true;
        this.dropoutEnds = elapsed + this.uniform(1, 30) * 1000;
        m.meterDropouts++;
      }
      if (this.dropoutEnds >= 0 && elapsed >= this.dropoutEnds) {
        site.meter.slave.silent = false;
        this.dropoutEnds = -1;
        this.nextDropout = elapsed + this.uniform(2, 8) * 3_600_000;
      }
      if (elapsed >= this.nextCut) {
        // The next few flash operations: one of them tears (a cut in the middle of a write or an erase).
        this.chip.cutAfter(1 + Math.floor(this.uniform(0, 4)));
        this.nextCut = elapsed + this.uniform(6, 24) * 3_600_000;
      }
      this.watch(firmware, b);
    }
  }

  /**
   * The quiet minutes at the end of a half day: end what is in progress, start nothing (QUIET_MS). And put the
   * strategy back in force if the last spec 000 command deleted it: a firmware controlling a site holds its control
   * groups and device drivers (some 400 slots more than one with no strategy), so without this a sample would say
   * more about which command came last than about growth.
   */
  private quiet(sim: SimHal, site: SimSite, b: SimBroker): void {
    if (!this.strategyInForce) this.command(b, "000", true);
    this.chip.cancelCut();
    if (this.outageEnds >= 0) {
      sim.network.refuseConnections = false;
      this.outageEnds = -1;
      this.nextOutage = this.elapsed + this.uniform(1, 6) * 3_600_000;
    }
    if (this.dropoutEnds >= 0) {
      site.meter.slave.silent = false;
      this.dropoutEnds = -1;
      this.nextDropout = this.elapsed + this.uniform(2, 8) * 3_600_000;
    }
  }

  /** Queue depths, and every minute the replies. */
  private watch(firmware: Firmware, b: SimBroker): void {
    const m = this.counts;
    const status = firmware.link.session;
    if (status.queuedUplinks > m.maxOutboxDepth) m.maxOutboxDepth = status.queuedUplinks;
    if (firmware.store.uplinks.size > m.maxJournalDepth) m.maxJournalDepth = firmware.store.uplinks.size;
    if (this.elapsed % 60_000 === 0) this.harvest(b);
  }

  /** Settle (broker up, meter back, no more cuts; everything in flight answered) and return the counts. */
  finish(): SoakCounts {
    const m = this.counts;
    this.chip.cancelCut();
    this.current.sim.network.refuseConnections = false;
    this.current.site.meter.slave.silent = false;
    this.current.sim.loop.runFor(SETTLE_MS);
    this.harvest(this.current.broker);
    m.uplinkDropsCounted += dropsOf(this.current.firmware);
    let unacked = 0;
    for (const session of this.current.broker.sessions.values()) unacked += session.unacked.size;
    m.unacknowledged = unacked;
    m.commandsAcknowledged = m.commandsSent - unacked;
    return { ...m };
  }
}

/** The whole soak in this process (Node): no heap figure (the Node heap is not the firmware's; see sim/soak-xs.ts). */
export function runSoak(options: SoakOptions): SoakMetrics {
  const ledger = new ReplyLedger();
  const run = new SoakRun(options, ledger);
  for (let day = 1; day <= options.days; day++) {
    run.runUntil(day * DAY_MS);
    options.onDay?.(day, ledger.complete(run.progress));
  }
  // A fraction of a day left (the CI length's hours): run it too.
  run.runUntil(run.totalMs);
  return ledger.complete(run.finish());
}

function dropsOf(firmware: Firmware): number {
  const c = firmware.gateway.status().counters;
  return (c.uplink_journal_evicted ?? 0) + (c.uplink_journal_dropped ?? 0);
}
