/**
 * The MQTT session's state and the layer everything else stands on (see session.ts for the whole): every field,
 * the constructor that allocates the fixed memory (receive buffer, send buffer, outbox, inbound tables, one typed
 * array buffer for the small columns), and the deadlines: one HAL timer serves the four (reconnect, ping, liveness,
 * stable), since each HAL timer costs about 20 heap slots. The layers above are session-send.ts (sending, the
 * outbox and retransmission), session-receive.ts (received packets, the inbound QoS flow) and session.ts (the
 * connection state machine and the public API). One object in the end: the layers are a class chain, so the split
 * costs no heap.
 */
import type { Clock, Log, TcpConnector, TcpSocket, Timer } from "../../hal/types";
import { Counters } from "../core/counters";
import { columns } from "../core/columns";
import type { TopicRouter } from "../protocol/topics";
import type { DeviceIdentity } from "./auth";
import { Backoff } from "./backoff";
import { parseBrokerUrl, type BrokerAddress, type MqttConfig } from "./config";
import { MqttDecoder } from "./decoder";
import { MqttArgumentError } from "./encoder";
import { InboundTracker } from "./inbound";
import { Outbox } from "./outbox";
import { InboundMessage, SessionState, type MqttMessageHandler, type MqttSessionEvents, type MqttSessionOptions, type MqttStats, type SessionHal, type UplinkJournal } from "./session-api";
import { BATCH_FIELDS, COUNTER_NAMES, T_PING, TIMERS, WRITE_NONE } from "./session-internals";

export abstract class SessionCore {
  readonly config: MqttConfig;
  readonly broker: BrokerAddress;
  readonly router: TopicRouter;
  readonly counters: Counters;
  readonly stats: MqttStats = {
    connectAttempts: 0,
    connects: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    uplinkQueued: 0,
    uplinkAcked: 0,
    uplinkRetransmits: 0,
    qos0Sent: 0,
    downlinkMessages: 0,
    downlinkAccepted: 0,
    downlinkPending: 0,
    pingsSent: 0,
  };
  state: SessionState = SessionState.Stopped;
  /** Why the last connection ended or failed (for the status report). */
  lastError = "";
  /** True once every SUBSCRIBE of this connection was answered. */
  subscribed = false;

  protected readonly clock: Clock;
  protected readonly tcp: TcpConnector;
  protected readonly log: Log;
  protected readonly device: DeviceIdentity;
  protected readonly handler: MqttMessageHandler;
  protected readonly events: MqttSessionEvents;
  protected readonly decoder: MqttDecoder;
  protected readonly message: InboundMessage;
  protected readonly outbox: Outbox;
  /** Durable uplinks (null: none). */
  protected readonly journal: UplinkJournal | null;
  protected readonly inbound: InboundTracker;
  protected readonly backoff: Backoff;

  protected readonly sendBuffer: Uint8Array;
  protected sendStart = 0;
  protected sendEnd = 0;
  protected writing = WRITE_NONE;
  protected writeIndex = -1;
  protected writePosition = 0;

  protected readonly timer: Timer;
  /** Per deadline (T_*): when it is due, then at TIMERS + index its arming sequence. */
  protected readonly deadlines: Float64Array;
  protected armSequence = 0;
  /** What the HAL timer is armed for (Infinity: not armed). */
  protected timerDeadline = Infinity;
  /** Inside onTimer: rearming waits for its end. */
  protected firing = false;

  protected socket: TcpSocket | null = null;
  protected generation = 0;
  protected lastReceiveMs = 0;
  protected pingDue = false;
  protected nextPacketId = 0;

  /** Filters to subscribe to: the router's enabled incoming routes (it writes them into SUBSCRIBE). */
  protected readonly filterCount: number;
  protected readonly subscribeTable: Uint16Array;
  /** Where the SUBSCRIBE batches start in `subscribeTable`. */
  protected readonly batchBase: number;
  protected batches = 0;
  protected subscribeNext = 0;
  protected subscribeOutstanding = 0;

  protected readonly statusRoute: number;
  protected statusDue = false;
  protected statusPacketId = 0;
  protected sessionPresent = false;

  /** Counter handles, by C_* index. */
  protected readonly c: Uint16Array;

  constructor(hal: SessionHal, options: MqttSessionOptions) {
    const config = options.config;
    this.config = config;
    this.broker = parseBrokerUrl(config.broker);
    this.router = options.router;
    this.clock = hal.clock;
    this.tcp = hal.tcp;
    this.log = hal.log;
    this.device = options.device;
    this.handler = options.handler;
    this.events = options.events ?? {};
    const counters = (this.counters = options.counters ?? new Counters(64));
    // The session's own columns in one buffer (src/core/columns.ts: ~3 XS slots less per column).
    const filterCount = options.router.filterCount;
    const cols = columns([
      ["f64", 2 * TIMERS],
      ["u16", COUNTER_NAMES.length],
      ["u16", filterCount * (1 + BATCH_FIELDS)],
      ["u8", config.sendBufferBytes],
    ]);
    this.deadlines = (cols[0] as Float64Array).fill(Infinity, 0, TIMERS);
    this.c = cols[1] as Uint16Array;
    this.subscribeTable = (cols[2] as Uint16Array).fill(0xff, 0, filterCount);
    this.sendBuffer = cols[3] as Uint8Array;
    for (let i = 0; i < COUNTER_NAMES.length; i++) this.c[i] = counters.register(COUNTER_NAMES[i]);
    this.decoder = new MqttDecoder(config.maxPacketBytes);
    this.message = new InboundMessage(this.decoder.buffer);
    this.outbox = new Outbox(config.outboxBytes, config.outboxEntries);
    this.journal = options.journal ?? null;
    if (this.journal !== null) {
      const journal = this.journal;
      this.outbox.onDropTagged = (handle) => journal.dropped(handle);
    }
    this.inbound = new InboundTracker(config.inboundSlots, config.ackQueue);
    this.backoff = new Backoff(hal.random, config.reconnectMinMs, config.reconnectMaxMs, config.reconnectRefusedMaxMs);

    const router = options.router;
    this.filterCount = router.filterCount;
    this.batchBase = this.filterCount;
    for (let i = 0; i < this.filterCount; i++) {
      // A filter that cannot fit in the send buffer alone would never be subscribed: refuse at boot.
      if (7 + router.filterLength(i) + 5 > config.sendBufferBytes) {
        throw new MqttArgumentError(`topic "${router.incomingTopic(router.filterRoute(i))}" does not fit in a ${config.sendBufferBytes}-byte send buffer`);
      }
    }

    this.statusRoute = config.statusTopic ? router.outgoingRouteByName("status") : -1;

    this.timer = hal.clock.createTimer(() => this.onTimer());
  }

  /** SUBACK codes of this connection per filter (0x80 refused, 0xff not answered yet). A copy (status, tests). */
  get granted(): Uint8Array {
    return Uint8Array.from(this.subscribeTable.subarray(0, this.filterCount));
  }

  /**
   * The retained status payload. Made when it is sent (at each connect and stop): held for the gateway's life, the
   * two texts would cost chunk bytes in the device's fixed heap.
   */
  protected statusPayload(online: boolean): string {
    return `{"device_uid":${JSON.stringify(this.device.uid)},"online":${online ? "true" : "false"}}`;
  }

  /** TickService name. A getter: a field would cost a heap slot per instance. */
  get name(): string {
    return "mqtt";
  }

  // ---------------------------------------------------------------- deadlines (one HAL timer)

  /** Set deadline `which` (T_*) `delayMs` from now, replacing an earlier one. */
  protected arm(which: number, delayMs: number): void {
    this.deadlines[which] = this.clock.monotonicMs() + delayMs;
    this.deadlines[TIMERS + which] = ++this.armSequence;
    this.reschedule();
  }

  protected disarm(which: number): void {
    this.deadlines[which] = Infinity;
    this.reschedule();
  }

  /** Arm the HAL timer for the earliest deadline (unless it already is), or stop it. */
  protected reschedule(): void {
    if (this.firing) return;
    const d = this.deadlines;
    let earliest = Infinity;
    for (let i = 0; i < TIMERS; i++) if (d[i] < earliest) earliest = d[i];
    if (earliest === this.timerDeadline) return;
    this.timerDeadline = earliest;
    if (earliest === Infinity) this.timer.stop();
    else {
      const delay = earliest - this.clock.monotonicMs();
      this.timer.start(delay > 0 ? delay : 0);
    }
  }

  /** The HAL timer fired: run every due deadline, earliest first (ties in arming order), then re-arm. */
  protected onTimer(): void {
    this.timerDeadline = Infinity;
    const d = this.deadlines;
    this.firing = true;
    try {
      for (;;) {
        const now = this.clock.monotonicMs();
        let due = -1;
        for (let i = 0; i < TIMERS; i++) {
          if (d[i] > now) continue;
          if (due < 0 || d[i] < d[due] || (d[i] === d[due] && d[TIMERS + i] < d[TIMERS + due])) due = i;
        }
        if (due < 0) break;
        if (due === T_PING) {
          // Periodic on a fixed grid from the CONNACK, never pushed back by other sends.
          d[T_PING] += this.config.keepAliveSec * 1000;
          d[TIMERS + T_PING] = ++this.armSequence;
        } else {
          d[due] = Infinity;
        }
        this.fire(due);
      }
    } finally {
      this.firing = false;
      this.reschedule();
    }
  }

  /** A deadline is due (T_*): the connection state machine acts on it (session.ts). */
  protected abstract fire(which: number): void;
  /** End the current link for `reason` and schedule the next attempt (session.ts). */
  protected abstract fail(reason: string, counter: number): void;
  /** A broken stream or an unexpected packet: counted, the link reset (session.ts). */
  protected abstract protocolError(error: number, description: string): void;
}
