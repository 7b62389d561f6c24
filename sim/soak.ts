/**
 * A seeded soak of the composed firmware (issue 14): days of simulated time on the simulated HAL and site, with
 * random broker outages, bursts of commands of all three protocols, power cuts in the middle of flash operations
 * (the device reboots on the same flash; the broker keeps its persistent session and redelivers what the gateway
 * never acknowledged), and meter dropouts. The same seed replays the same run.
 *
 * What it checks, from the platform's side: every command the gateway acknowledged (PUBACK) is answered; no command
 * is applied twice (every reply to one command id is the same reply, so a redelivery after a power cut was answered
 * from the remembered reply, not applied again); queues stay within their bounds.
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
  onDay?: (day: number, metrics: SoakMetrics) => void;
}

export interface SoakMetrics {
  seed: number;
  days: number;
  commandsSent: number;
  commandsAcknowledged: number;
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
  brokerOutages: number;
  powerCuts: number;
  meterDropouts: number;
  maxOutboxDepth: number;
  maxJournalDepth: number;
  /** Bounds the firmware reports it hit (counted drops), summed over the device's lives. */
  uplinkDropsCounted: number;
  /**
   * Node heap after a garbage collection, MB (null without --expose-gc): after the first simulated hour and at the
   * end of the run. It holds the harness's record of every command too (a few hundred bytes each).
   */
  heapStartMb: number | null;
  heapEndMb: number | null;
}

const PREFIX = "v1/wudun/pk-demo/GW-0001";
const SYS = "/sys/pk-demo/GW-0001";
const DAY_MS = 86_400_000;

interface Sent {
  id: string;
  kind: "000" | "003" | "004";
  replies: string[];
}

function heapMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;
}

export function runSoak(options: SoakOptions): SoakMetrics {
  const random = new SeededRandom(options.seed);
  const uniform = (lo: number, hi: number) => lo + random.nextFloat() * (hi - lo);
  const chip = new SimNorFlash({ sectorCount: 96, seed: options.seed });
  const config = resolveConfig({ mqtt: { broker: "mqtt://broker.sim:1883", keepAliveSec: 30 } });
  const startWall = Date.UTC(2026, 5, 1, 0, 0, 0);
  const totalMs = options.days * DAY_MS;
  const sent = new Map<string, Sent>();
  const m: SoakMetrics = {
    seed: options.seed,
    days: options.days,
    commandsSent: 0,
    commandsAcknowledged: 0,
    commandsApplied: 0,
    repliesLost: 0,
    duplicateReplies: 0,
    duplicatesApplied: 0,
    brokerOutages: 0,
    powerCuts: 0,
    meterDropouts: 0,
    maxOutboxDepth: 0,
    maxJournalDepth: 0,
    uplinkDropsCounted: 0,
    heapStartMb: null,
    heapEndMb: null,
  };

  let elapsed = 0;
  let broker: SimBroker | null = null;
  /** Set by the life that is running: at the instant of a power cut, cut the device off the network too. */
  let onCut: (() => void) | null = null;
  let dead = false;
  for (const method of ["program", "eraseSector"] as const) {
    const original = chip[method].bind(chip) as (...args: number[]) => void;
    (chip as unknown as Record<string, unknown>)[method] = (...args: never[]) => {
      try {
        original(...(args as unknown as number[]));
      } catch (error) {
        if (error instanceof PowerCut && !dead) {
          dead = true;
          onCut?.();
        }
        throw error;
      }
    };
  }
  let seq = 0;
  let nextStrategyId = 1;

  /** One life of the device: from a boot to a power cut (or the end). */
  function life(): { sim: SimHal; broker: SimBroker; firmware: Firmware; site: SimSite } {
    chip.powerOn();
    const sim = createSimHal({ seed: options.seed + m.powerCuts, flash: new SimFlashProvider({ store: chip }), wallStartMs: startWall + elapsed });
    const site = new SimSite(options.site, { loop: sim.loop, bus: sim.bus, network: sim.network, random: sim.simRandom });
    const next = new SimBroker(sim.network);
    // The broker outlives the device: its persistent session (subscriptions, unacknowledged deliveries) carries over.
    if (broker) for (const [id, session] of broker.sessions) next.sessions.set(id, session);
    broker = next;
    dead = false;
    // A dead device says nothing more: from the cut on, the broker hears nothing from it.
    onCut = () => {
      sim.network.refuseConnections = true;
      next.crash();
    };
    const firmware = bootFirmware(sim, config);
    return { sim, broker: next, firmware, site };
  }

  const command = (b: SimBroker, kind: Sent["kind"]) => {
    seq++;
    let topic: string;
    let text: string;
    let id: string;
    if (kind === "000") {
      id = `soak-${options.seed}-${seq}`;
      const action = seq % 3 === 0 && nextStrategyId > 1 ? "delete" : "update_all";
      const data = action === "delete" ? { id: nextStrategyId - 1 } : [options.strategy];
      if (action === "update_all") nextStrategyId++;
      topic = `${PREFIX}/streaming_overdemand/${action}/command`;
      text = JSON.stringify({ mid: id, type: `streaming_overdemand_${action}`, device_uid: "GW-0001", timestamp: 1795000000000, data });
    } else if (kind === "003") {
      id = String(628131887239000000n + BigInt(options.seed) * 1000000n + BigInt(seq));
      const task = { taskId: `t${seq % 5}`, enable: 1, priority: 1, startTime: "", endTime: "", cycle: { mode: "cron", dstEnable: 0, cron: `0 ${seq % 60} * * * ?` }, actions: [{ method: "operate_raw", payload: { addr: "3", portid: "1", meteraddr: "1", functionid: "ess_setpoint_kw", value: -5 } }] };
      topic = `${PREFIX}/schedule/command`;
      text = JSON.stringify({ msgid: id, method: "schedule", sn: "GW-0001", timestamp: 1772409630, payload: { cmd: "SET", tasks: [task] } }).replace(`"${id}"`, id);
    } else {
      id = `${seq}`;
      topic = `${SYS}/thing/service/property/set`;
      text = JSON.stringify({ id, version: "1.0", params: { report_interval_s: 30 + (seq % 60) }, method: "thing.service.property.set" });
    }
    sent.set(id, { id, kind, replies: [] });
    m.commandsSent++;
    b.publish(topic, text, 1);
  };

  /** Collect replies from what the broker received, then forget them (the broker's log would grow for days). */
  const harvest = (b: SimBroker) => {
    for (const msg of b.received) {
      const text = msg.payload.toString();
      let id: string | null = null;
      if (msg.topic.endsWith("/result") && msg.topic.includes("streaming_overdemand")) id = (JSON.parse(text) as { reply?: string }).reply ?? null;
      else if (msg.topic === `${PREFIX}/schedule/result`) id = /"msgid":(\d+)/.exec(text)?.[1] ?? null;
      else if (msg.topic === `${SYS}/thing/service/property/set_reply`) id = (JSON.parse(text) as { id?: string }).id ?? null;
      const entry = id !== null ? sent.get(id) : undefined;
      if (entry) entry.replies.push(text.replace(/"timestamp":\d+,?/g, ""));
    }
    b.received.length = 0;
    b.log.length = 0;
  };

  let current = life();
  // The device's schedule of trouble, drawn from the seed.
  let nextOutage = uniform(1, 6) * 3_600_000;
  let nextBurst = uniform(10, 60) * 60_000;
  let nextCut = uniform(6, 24) * 3_600_000;
  let nextDropout = uniform(2, 8) * 3_600_000;
  let outageEnds = -1;
  let dropoutEnds = -1;
  let day = 0;
  const STEP = 1000;
  while (elapsed < totalMs) {
    const { sim, firmware, site } = current;
    const b = current.broker;
    try {
      sim.loop.runFor(STEP);
    } catch (error) {
      // Once the chip is cut, what the dead firmware still does fails on the flash (PowerCut, then STORE_FAILED).
      if (!dead) throw error;
    }
    if (dead) {
      // The cut happened inside a flash operation: the device boots again on the torn flash.
      harvest(b);
      m.uplinkDropsCounted += dropsOf(firmware);
      m.powerCuts++;
      elapsed += STEP;
      current = life();
      continue;
    }
    elapsed += STEP;
    if (elapsed >= nextOutage && outageEnds < 0) {
      sim.network.refuseConnections = true;
      b.crash();
      outageEnds = elapsed + uniform(5, 600) * 1000;
      m.brokerOutages++;
    }
    if (outageEnds >= 0 && elapsed >= outageEnds) {
      sim.network.refuseConnections = false;
      outageEnds = -1;
      nextOutage = elapsed + uniform(1, 6) * 3_600_000;
    }
    if (elapsed >= nextBurst) {
      const n = Math.floor(uniform(1, 6));
      for (let i = 0; i < n; i++) command(b, (["000", "003", "004"] as const)[Math.floor(uniform(0, 3))]);
      nextBurst = elapsed + uniform(10, 60) * 60_000;
    }
    if (elapsed >= nextDropout && dropoutEnds < 0) {
      site.meter.slave.silent = true;
      dropoutEnds = elapsed + uniform(1, 30) * 1000;
      m.meterDropouts++;
    }
    if (dropoutEnds >= 0 && elapsed >= dropoutEnds) {
      site.meter.slave.silent = false;
      dropoutEnds = -1;
      nextDropout = elapsed + uniform(2, 8) * 3_600_000;
    }
    if (elapsed >= nextCut) {
      // The next few flash operations: one of them tears (a cut in the middle of a write or an erase).
      chip.cutAfter(1 + Math.floor(uniform(0, 4)));
      nextCut = elapsed + uniform(6, 24) * 3_600_000;
    }
    const status = firmware.link.session;
    if (status.queuedUplinks > m.maxOutboxDepth) m.maxOutboxDepth = status.queuedUplinks;
    if (firmware.store.uplinks.size > m.maxJournalDepth) m.maxJournalDepth = firmware.store.uplinks.size;
    if (elapsed % 60_000 === 0) harvest(b);
    // The start figure after the first simulated hour: booted, connected, code compiled (what grows later is a leak).
    if (elapsed === 3_600_000) m.heapStartMb = heapMb();
    if (elapsed >= (day + 1) * DAY_MS) {
      day++;
      options.onDay?.(day, m);
    }
  }
  // Settle: broker up, meter back, no more cuts; let everything in flight be answered.
  chip.cancelCut();
  current.sim.network.refuseConnections = false;
  current.site.meter.slave.silent = false;
  current.sim.loop.runFor(5 * 60_000);
  harvest(current.broker);
  m.uplinkDropsCounted += dropsOf(current.firmware);

  let unacked = 0;
  for (const session of current.broker.sessions.values()) unacked += session.unacked.size;
  m.commandsAcknowledged = m.commandsSent - unacked;
  const lostByKind: Record<string, number> = {};
  for (const entry of sent.values()) {
    if (entry.replies.length === 0) {
      m.repliesLost++;
      lostByKind[entry.kind] = (lostByKind[entry.kind] ?? 0) + 1;
      continue;
    }
    if (entry.replies.length > 1) m.duplicateReplies++;
    if (new Set(entry.replies).size > 1) m.duplicatesApplied++;
    const first = entry.replies[0];
    if (/"code":200|"res":1/.test(first)) m.commandsApplied++;
  }
  // A command still unacknowledged at the end (none, after the settle) cannot have lost its reply.
  m.repliesLost = Math.max(0, m.repliesLost - unacked);
  m.heapEndMb = heapMb();
  if (m.repliesLost > 0) m.lostByProtocol = lostByKind;
  return m;
}

function dropsOf(firmware: Firmware): number {
  const c = firmware.gateway.status().counters;
  return (c.uplink_journal_evicted ?? 0) + (c.uplink_journal_dropped ?? 0);
}
