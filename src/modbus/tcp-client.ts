/**
 * Modbus TCP client for one LAN device (host:port): MBAP framing, one request in flight, a fixed queue, a response
 * deadline, retries, exceptions reported. It connects on the first request and again after a failure, no sooner
 * than `reconnectMs` after the previous attempt, so a dead device costs one connection attempt per interval.
 *
 * An answer whose transaction id is not the one awaited (a late answer to a request that timed out) is skipped.
 * After a request has failed all its attempts the connection is closed: whatever the device still sends belongs to
 * requests nobody waits for, and a fresh connection is the only clean way to drop it.
 */
import type { Clock, TcpConnector, TcpHandlers, TcpSocket, Timer } from "../../hal/types";
import type { Counters } from "../core/counters";
import { PduCheck, decodeResponsePdu, encodeRequestPdu, requestProblem } from "./pdu";
import { Stat, TransportStats } from "./stats";
import { TxStatus, type ModbusTransaction, type ModbusTransport } from "./transaction";
import { deepFreeze } from "../core/freeze";

export interface TcpClientOptions {
  host: string;
  port: number;
  responseTimeoutMs: number;
  retries: number;
  queueCapacity: number;
  /** Least time between connection attempts. */
  reconnectMs: number;
  /** Longest a connection attempt may take (default 1000 ms). */
  connectTimeoutMs?: number;
  name?: string;
  counters?: Counters | null;
}

const State = deepFreeze({ Closed: 0, Connecting: 1, Ready: 2, AwaitAnswer: 3 } as const);
type State = (typeof State)[keyof typeof State];

/** MBAP header (7) + the largest PDU (253). */
const ADU_BYTES = 260;

export class ModbusTcpClient implements TcpHandlers, ModbusTransport {
  readonly stats: TransportStats;
  /** Connections opened so far (for tests and status). */
  connects = 0;
  private socket: TcpSocket | null = null;
  private state: State = State.Closed;
  private readonly timer: Timer;
  private readonly queue: (ModbusTransaction | null)[];
  private head = 0;
  private size = 0;
  private readonly txFrame = new Uint8Array(ADU_BYTES);
  private readonly rxFrame = new Uint8Array(ADU_BYTES);
  private rxLength = 0;
  private transactionId = 0;
  private lastConnectMs = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly connector: TcpConnector,
    private readonly options: TcpClientOptions,
  ) {
    if (!(options.port >= 1 && options.port <= 65535)) throw new Error(`ModbusTcpClient: port must be 1..65535, got ${options.port}`);
    if (!(options.queueCapacity >= 1)) throw new Error("ModbusTcpClient: queueCapacity must be >= 1");
    this.queue = new Array<ModbusTransaction | null>(options.queueCapacity).fill(null);
    this.stats = new TransportStats(options.name ?? `${options.host}_${options.port}`, options.counters ?? null);
    this.timer = clock.createTimer(() => this.onTimer());
  }

  get pending(): number {
    return this.size;
  }

  get connected(): boolean {
    return this.state === State.Ready || this.state === State.AwaitAnswer;
  }

  submit(tx: ModbusTransaction): boolean {
    // While waiting out the reconnect hold-off the device is known unreachable: refuse at once rather than make the
    // caller wait (the control loop must not stall on one dead device). The hold-off timer reconnects by itself.
    const holdingOff = this.state === State.Connecting && this.socket === null;
    if (tx.busy || holdingOff || this.size === this.queue.length || requestProblem(tx) !== null) {
      if (!tx.busy) tx.status = TxStatus.Refused;
      this.stats.bump(Stat.Refused, 1);
      return false;
    }
    tx.status = TxStatus.Queued;
    tx.attempts = 0;
    tx.exceptionCode = 0;
    this.queue[(this.head + this.size) % this.queue.length] = tx;
    this.size++;
    this.pump();
    return true;
  }

  close(): void {
    this.dropConnection();
  }

  // --- TcpHandlers -------------------------------------------------------------------------------------------

  onConnect(): void {
    if (this.state !== State.Connecting) return;
    this.timer.stop();
    this.state = State.Ready;
    this.pump();
  }

  onReadable(_available: number): void {
    const socket = this.socket;
    if (socket === null) return;
    for (;;) {
      const room = ADU_BYTES - this.rxLength;
      if (room === 0) {
        // A header announcing more than an ADU can hold: the stream is garbage; start over on a new connection.
        this.stats.bump(Stat.BadResponses, 1);
        this.failConnection();
        return;
      }
      const got = socket.read(this.rxFrame, this.rxLength, room);
      if (got <= 0) break;
      this.rxLength += got;
      this.parseFrames();
      if (this.socket !== socket) return;
    }
  }

  onClose(): void {
    if (this.socket === null) return;
    this.socket = null;
    this.failConnection();
  }

  onError(_message: string): void {
    // onClose follows and does the work; the message is not kept (it would allocate a log line per failure).
  }

  // --- internals -----------------------------------------------------------------------------------------

  private pump(): void {
    if (this.size === 0) return;
    if (this.state === State.Closed) {
      this.connect();
      return;
    }
    if (this.state === State.Ready) this.send();
  }

  private connect(): void {
    const now = this.clock.monotonicMs();
    const wait = this.lastConnectMs + this.options.reconnectMs - now;
    this.state = State.Connecting;
    if (wait > 0) {
      this.socket = null;
      this.timer.start(Math.ceil(wait));
      return;
    }
    this.lastConnectMs = now;
    this.connects++;
    this.rxLength = 0;
    this.timer.start(this.options.connectTimeoutMs ?? 1000);
    this.socket = this.connector.connect({ host: this.options.host, port: this.options.port }, this);
  }

  private send(): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    const frame = this.txFrame;
    this.transactionId = (this.transactionId + 1) & 0xffff;
    const pduLength = encodeRequestPdu(tx, frame, 7);
    frame[0] = this.transactionId >>> 8;
    frame[1] = this.transactionId & 0xff;
    frame[2] = 0;
    frame[3] = 0;
    frame[4] = (pduLength + 1) >>> 8;
    frame[5] = (pduLength + 1) & 0xff;
    frame[6] = tx.unit;
    tx.attempts++;
    tx.status = TxStatus.InFlight;
    this.stats.bump(Stat.Requests, 1);
    this.state = State.AwaitAnswer;
    const written = (this.socket as TcpSocket).write(frame, 0, 7 + pduLength);
    if (written !== 7 + pduLength) {
      // A short write would split the ADU; the link is congested or gone.
      this.stats.bump(Stat.BadResponses, 1);
      this.failConnection();
      return;
    }
    this.timer.start(this.options.responseTimeoutMs);
  }

  private parseFrames(): void {
    const frame = this.rxFrame;
    while (this.rxLength >= 7) {
      const length = (frame[4] << 8) | frame[5];
      if (frame[2] !== 0 || frame[3] !== 0 || length < 2 || length > 254) {
        this.stats.bump(Stat.BadResponses, 1);
        this.failConnection();
        return;
      }
      const total = 6 + length;
      if (this.rxLength < total) return;
      const id = (frame[0] << 8) | frame[1];
      if (this.state === State.AwaitAnswer && id === this.transactionId) {
        this.complete(frame[6], total);
        if (this.socket === null) return;
      } else {
        this.stats.bump(Stat.StrayBytes, total);
      }
      frame.copyWithin(0, total, this.rxLength);
      this.rxLength -= total;
    }
  }

  private complete(unit: number, total: number): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    this.timer.stop();
    const result = unit === tx.unit ? decodeResponsePdu(tx, this.rxFrame, 7, total - 7) : PduCheck.Malformed;
    if (result === PduCheck.Malformed) {
      this.attemptFailed(Stat.BadResponses);
    } else if (result === PduCheck.Exception) {
      this.stats.bump(Stat.Exceptions, 1);
      this.finish(TxStatus.Exception);
    } else {
      this.stats.bump(Stat.Ok, 1);
      this.finish(TxStatus.Ok);
    }
  }

  private onTimer(): void {
    if (this.state === State.Connecting) {
      if (this.socket === null) {
        // The reconnect hold-off ended: try again, even with nothing queued, so the link is up when needed.
        this.state = State.Closed;
        this.connect();
      } else {
        this.failConnection();
      }
    } else if (this.state === State.AwaitAnswer) {
      this.attemptFailed(Stat.Timeouts);
    }
  }

  private attemptFailed(stat: number): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    this.stats.bump(stat, 1);
    if (tx.attempts <= this.options.retries) {
      this.stats.bump(Stat.Retries, 1);
      this.state = State.Ready;
      this.send();
      return;
    }
    this.finish(stat === Stat.Timeouts ? TxStatus.Timeout : TxStatus.BadResponse);
    this.dropConnection();
    this.pump();
  }

  /** The link is unusable: fail the transaction on the wire (no retry on a dead link) and those queued wait. */
  private failConnection(): void {
    const inFlight = this.state === State.AwaitAnswer;
    this.dropConnection();
    if (inFlight) {
      this.stats.bump(Stat.Timeouts, 1);
      this.finish(TxStatus.Timeout);
    } else if (this.size > 0) {
      // Could not connect: everything queued fails now rather than waiting out a dead device one by one.
      // Only those queued now: a listener may submit again from its callback, and those wait for the next attempt.
      for (let n = this.size; n > 0; n--) {
        this.stats.bump(Stat.Timeouts, 1);
        this.finish(TxStatus.Timeout);
      }
    }
    this.pump();
  }

  private dropConnection(): void {
    this.timer.stop();
    const socket = this.socket;
    this.socket = null;
    this.state = State.Closed;
    this.rxLength = 0;
    if (socket) socket.close();
  }

  private finish(status: TxStatus): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    this.queue[this.head] = null;
    this.head = (this.head + 1) % this.queue.length;
    this.size--;
    tx.status = status;
    tx.doneAtMs = this.clock.monotonicMs();
    if (this.state === State.AwaitAnswer) this.state = State.Ready;
    if (this.state === State.Ready) this.pump();
    if (tx.listener) tx.listener.onModbusDone(tx);
  }
}
