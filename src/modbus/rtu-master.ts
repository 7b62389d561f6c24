/**
 * Modbus RTU master over one serial port (one RS-485 bus): a fixed-capacity queue, one request on the wire at a
 * time, t3.5 silence before every request, a response deadline, retries, exception answers reported as such.
 *
 * Frames are recognised by their expected length (known from the request, or from the exception bit and the
 * byte-count field), not by measuring t3.5 between received characters: ms timers cannot measure 4 ms gaps
 * reliably on a busy device, and a master always knows what it asked for. The t3.5 gap is enforced on sending.
 *
 * Steady state allocates nothing: frame buffers are preallocated, the queue is a ring of caller-owned transactions.
 */
import type { Clock, SerialHandlers, SerialPort, Timer } from "../../hal/types";
import type { Counters } from "../core/counters";
import { appendCrc, checkCrc } from "./crc16";
import { PduCheck, decodeResponsePdu, encodeRequestPdu, requestProblem, responsePduLength } from "./pdu";
import { Stat, TransportStats } from "./stats";
import { charTimeMs, frameGapMs } from "./timing";
import { TxStatus, type ModbusTransaction, type ModbusTransport } from "./transaction";
import { deepFreeze } from "../core/freeze";

export interface RtuMasterOptions {
  baud: number;
  /** Longest the slave may take between the end of the request and the start of its answer. */
  responseTimeoutMs: number;
  /** Extra attempts after a timeout or a bad answer (exceptions are answers: never retried). */
  retries: number;
  /** Transactions that may wait; more are refused and counted. */
  queueCapacity: number;
  /** Delay after a broadcast (unit 0) write before the next request, for slaves to act on it. */
  broadcastDelayMs?: number;
  /** Name in counters and logs (e.g. "rs485"). */
  name?: string;
  counters?: Counters | null;
}

const State = deepFreeze({ Idle: 0, Gap: 1, AwaitAnswer: 2 } as const);
type State = (typeof State)[keyof typeof State];

/** 256 bytes hold the largest RTU frame (unit + 253-byte PDU + CRC). */
const FRAME_BYTES = 256;

export class RtuMaster implements SerialHandlers, ModbusTransport {
  readonly stats: TransportStats;
  readonly charMs: number;
  readonly gapMs: number;
  private port: SerialPort | null = null;
  private readonly timer: Timer;
  private state: State = State.Idle;
  private readonly queue: (ModbusTransaction | null)[];
  private head = 0;
  private size = 0;
  // Three views of one buffer (src/core/columns.ts: ~3 XS slots less per view).
  private readonly txFrame: Uint8Array;
  private readonly rxFrame: Uint8Array;
  private readonly scratch: Uint8Array;
  private rxLength = 0;
  private txLength = 0;
  /** The bus must stay silent until this monotonic time before we transmit. */
  private quietUntilMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: RtuMasterOptions,
  ) {
    if (!(options.baud >= 300 && options.baud <= 4_000_000)) throw new Error(`RtuMaster: baud must be 300..4000000, got ${options.baud}`);
    if (!(options.queueCapacity >= 1)) throw new Error("RtuMaster: queueCapacity must be >= 1");
    if (!(options.responseTimeoutMs > 0)) throw new Error("RtuMaster: responseTimeoutMs must be > 0");
    if (!(options.retries >= 0)) throw new Error("RtuMaster: retries must be >= 0");
    const buffer = new ArrayBuffer(2 * FRAME_BYTES + 64);
    this.txFrame = new Uint8Array(buffer, 0, FRAME_BYTES);
    this.rxFrame = new Uint8Array(buffer, FRAME_BYTES, FRAME_BYTES);
    this.scratch = new Uint8Array(buffer, 2 * FRAME_BYTES, 64);
    this.charMs = charTimeMs(options.baud);
    this.gapMs = frameGapMs(options.baud);
    this.queue = new Array<ModbusTransaction | null>(options.queueCapacity).fill(null);
    this.stats = new TransportStats(options.name ?? "rtu", options.counters ?? null);
    this.timer = clock.createTimer(() => this.onTimer());
  }

  /** Bind the port opened with this master as its handlers: `master.attach(hal.openSerial(config, master))`. */
  attach(port: SerialPort): void {
    this.port = port;
  }

  get pending(): number {
    return this.size;
  }

  /** Nothing queued or on the wire. */
  get idle(): boolean {
    return this.size === 0;
  }

  submit(tx: ModbusTransaction): boolean {
    if (tx.busy || this.size === this.queue.length || requestProblem(tx) !== null || this.port === null) {
      // A busy transaction is its owner's bug; a full queue is a bound hit. Either way nothing is sent.
      if (!tx.busy) tx.status = TxStatus.Refused;
      this.stats.bump(Stat.Refused, 1);
      return false;
    }
    tx.status = TxStatus.Queued;
    tx.attempts = 0;
    tx.exceptionCode = 0;
    this.queue[(this.head + this.size) % this.queue.length] = tx;
    this.size++;
    if (this.state === State.Idle) this.startNext();
    return true;
  }

  onReadable(_available: number): void {
    const port = this.port;
    if (port === null) return;
    if (this.state !== State.AwaitAnswer) {
      this.drainStray(port);
      return;
    }
    for (;;) {
      const room = FRAME_BYTES - this.rxLength;
      if (room === 0) {
        this.drainStray(port);
        break;
      }
      const got = port.read(this.rxFrame, this.rxLength, room);
      if (got <= 0) break;
      this.rxLength += got;
    }
    this.checkAnswer();
  }

  onWriteDone(): void {
    // The deadline already accounts for the request's line time; nothing to do.
  }

  /** Drop everything queued (reconfiguration); a transaction on the wire still completes. */
  cancelQueued(): void {
    const first = this.state === State.AwaitAnswer ? 1 : 0;
    for (let i = first; i < this.size; i++) {
      const index = (this.head + i) % this.queue.length;
      const tx = this.queue[index];
      if (tx) tx.status = TxStatus.Refused;
      this.queue[index] = null;
    }
    this.size = first;
  }

  private drainStray(port: SerialPort): void {
    for (;;) {
      const got = port.read(this.scratch, 0, this.scratch.length);
      if (got <= 0) break;
      this.stats.bump(Stat.StrayBytes, got);
    }
  }

  private startNext(): void {
    if (this.size === 0) {
      this.state = State.Idle;
      return;
    }
    const wait = this.quietUntilMs - this.clock.monotonicMs();
    if (wait > 0) {
      this.state = State.Gap;
      // Timers tick in whole ms on the device: round up so the gap is never shortened.
      this.timer.start(Math.ceil(wait));
      return;
    }
    this.send();
  }

  private send(): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    const frame = this.txFrame;
    frame[0] = tx.unit;
    const pduLength = encodeRequestPdu(tx, frame, 1);
    this.txLength = appendCrc(frame, 0, 1 + pduLength);
    this.rxLength = 0;
    tx.attempts++;
    tx.status = TxStatus.InFlight;
    this.stats.bump(Stat.Requests, 1);
    if (!(this.port as SerialPort).write(frame, 0, this.txLength)) {
      // The driver could not take the whole frame: nothing went out; treat as a failed attempt.
      this.state = State.AwaitAnswer;
      this.attemptFailed(Stat.BadResponses);
      return;
    }
    const txMs = this.txLength * this.charMs;
    this.state = State.AwaitAnswer;
    if (tx.unit === 0) {
      // Broadcast: nobody answers; the next request waits for the slaves to act on it.
      this.quietUntilMs = this.clock.monotonicMs() + txMs + this.gapMs + (this.options.broadcastDelayMs ?? 100);
      this.finish(TxStatus.Ok);
      return;
    }
    const answerMs = (3 + responsePduLength(tx)) * this.charMs;
    this.timer.start(Math.ceil(txMs + this.gapMs + this.options.responseTimeoutMs + answerMs));
  }

  private onTimer(): void {
    if (this.state === State.Gap) {
      // Through startNext, not straight to send: cancelQueued may have emptied the queue during the gap (a
      // reconfiguration), and then there is nothing to send (this timer threw on the device, in the simulator).
      this.startNext();
    } else if (this.state === State.AwaitAnswer) {
      this.attemptFailed(Stat.Timeouts);
    }
  }

  /** Bytes a complete answer needs, given what has arrived; 0 while it cannot be told yet. */
  private expectedLength(tx: ModbusTransaction): number {
    if (this.rxLength < 2) return 0;
    if (this.rxFrame[1] & 0x80) return 5;
    if (tx.isRead) {
      if (this.rxLength < 3) return 0;
      return Math.min(5 + this.rxFrame[2], FRAME_BYTES);
    }
    return 8;
  }

  private checkAnswer(): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    const expected = this.expectedLength(tx);
    if (expected === 0 || this.rxLength < expected) return;
    if (this.rxLength > expected) this.stats.bump(Stat.StrayBytes, this.rxLength - expected);
    const frame = this.rxFrame;
    if (!checkCrc(frame, 0, expected) || frame[0] !== tx.unit) {
      this.timer.stop();
      this.attemptFailed(Stat.BadResponses);
      return;
    }
    const result = decodeResponsePdu(tx, frame, 1, expected - 3);
    this.timer.stop();
    if (result === PduCheck.Malformed) {
      this.attemptFailed(Stat.BadResponses);
      return;
    }
    this.quietUntilMs = this.clock.monotonicMs() + this.gapMs;
    if (result === PduCheck.Exception) {
      this.stats.bump(Stat.Exceptions, 1);
      this.finish(TxStatus.Exception);
    } else {
      this.stats.bump(Stat.Ok, 1);
      this.finish(TxStatus.Ok);
    }
  }

  /** A timeout or a bad answer: retry while attempts remain, else finish with that status. */
  private attemptFailed(stat: number): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    this.stats.bump(stat, 1);
    // A late or garbled answer may still be on the line: stay quiet a full gap after now.
    this.quietUntilMs = this.clock.monotonicMs() + this.gapMs;
    if (tx.attempts <= this.options.retries) {
      this.stats.bump(Stat.Retries, 1);
      tx.status = TxStatus.Queued;
      this.state = State.Idle;
      this.startNext();
      return;
    }
    this.finish(stat === Stat.Timeouts ? TxStatus.Timeout : TxStatus.BadResponse);
  }

  private finish(status: TxStatus): void {
    const tx = this.queue[this.head] as ModbusTransaction;
    this.queue[this.head] = null;
    this.head = (this.head + 1) % this.queue.length;
    this.size--;
    tx.status = status;
    tx.doneAtMs = this.clock.monotonicMs();
    this.state = State.Idle;
    // Start the next request before telling the owner, so a listener that submits again simply queues behind it.
    this.startNext();
    if (tx.listener) tx.listener.onModbusDone(tx);
  }
}
