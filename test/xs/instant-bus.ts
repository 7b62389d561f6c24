/**
 * Slaves that answer at once, for measuring the gateway's own work per control cycle in XS (bench/control.bench.ts,
 * test/control/cycle-budget.test.ts): a recorder that learns every request/answer pair from a run on the simulated
 * site, and a serial port that replays those answers instantly from the prepared frames, so the measured cycle holds
 * the firmware's code (RTU master framing and CRC, block decoding, decision, command encoding) and none of the
 * simulated site's physics or line timing. A fake clock whose timers the harness fires in order stands in for the
 * HAL; the only harness work left inside a measured cycle is a short lookup by (unit, function, address) and one
 * typed-array copy per exchange.
 */
import type { Clock, SerialHandlers, SerialPort, Timer } from "../../hal/types";
import { decodeResponsePdu, encodeRequestPdu, PduCheck, requestProblem } from "../../src/modbus/pdu";
import { TxStatus, type ModbusTransaction, type ModbusTransport } from "../../src/modbus/transaction";

/** Answers kept per request (the newest recorded): the replay cycles through them so decoded values change. */
const ANSWERS_PER_REQUEST = 8;

interface Exchange {
  unit: number;
  fc: number;
  address: number;
  answers: Uint8Array[];
}

function requestKey(unit: number, fc: number, address: number): number {
  return unit * 0x1000000 + fc * 0x10000 + address;
}

/** Wraps a real (simulated) port: remembers each request's answer while `recording`. */
export class RecordingPort implements SerialPort {
  recording = false;
  readonly exchanges: Exchange[] = [];
  private current: Exchange | null = null;
  private readonly answer = new Uint8Array(256);
  private answerLength = 0;

  constructor(private readonly inner: SerialPort) {}

  get baud(): number {
    return this.inner.baud;
  }

  read(into: Uint8Array, offset: number, length: number): number {
    const got = this.inner.read(into, offset, length);
    if (this.recording && this.current && got > 0 && this.answerLength + got <= this.answer.length) {
      this.answer.set(into.subarray(offset, offset + got), this.answerLength);
      this.answerLength += got;
    }
    return got;
  }

  write(data: Uint8Array, offset: number, length: number): boolean {
    this.closeCurrent();
    if (this.recording) {
      const unit = data[offset];
      const fc = data[offset + 1];
      const address = (data[offset + 2] << 8) | data[offset + 3];
      let entry = this.exchanges.find((e) => e.unit === unit && e.fc === fc && e.address === address) ?? null;
      if (!entry) {
        entry = { unit, fc, address, answers: [] };
        this.exchanges.push(entry);
      }
      this.current = entry;
    }
    return this.inner.write(data, offset, length);
  }

  /** Keep the answer collected for the last request (called before the next one and at the end). */
  closeCurrent(): void {
    if (this.current && this.answerLength > 0) {
      const answers = this.current.answers;
      answers.push(this.answer.slice(0, this.answerLength));
      if (answers.length > ANSWERS_PER_REQUEST) answers.shift();
    }
    this.current = null;
    this.answerLength = 0;
  }

  close(): void {
    this.inner.close();
  }
}

class FakeTimer implements Timer {
  dueMs = Infinity;
  periodMs = 0;
  active = false;

  constructor(
    private readonly clock: FakeClock,
    readonly callback: () => void,
  ) {}

  start(delayMs: number, periodMs?: number): void {
    this.dueMs = this.clock.nowMs + delayMs;
    this.periodMs = periodMs ?? 0;
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }
}

/** Time moves only when the harness fires a timer or starts the next period. */
export class FakeClock implements Clock {
  nowMs = 0;
  readonly timers: FakeTimer[] = [];

  constructor(private readonly wallOffsetMs: number) {}

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.wallOffsetMs + this.nowMs;
  }

  wallSynced(): boolean {
    return true;
  }

  createTimer(callback: () => void): Timer {
    const timer = new FakeTimer(this, callback);
    this.timers.push(timer);
    return timer;
  }

  /** Fire the earliest active timer due by `untilMs` (advancing time to it); false when there is none. */
  fireNext(untilMs: number): boolean {
    let next: FakeTimer | null = null;
    const timers = this.timers;
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i];
      if (t.active && t.dueMs <= untilMs && (next === null || t.dueMs < next.dueMs)) next = t;
    }
    if (next === null) return false;
    if (next.dueMs > this.nowMs) this.nowMs = next.dueMs;
    if (next.periodMs > 0) next.dueMs += next.periodMs;
    else next.active = false;
    next.callback();
    return true;
  }
}

/** A serial port whose slaves answer every request at once with a recorded answer (FC06: the echo it must be). */
export class InstantPort implements SerialPort {
  readonly baud: number;
  /** Which recorded answer each request gets (advanced by the harness once per cycle). */
  replayIndex = 0;
  /** Requests nobody had an answer for (they time out, as a silent slave would). */
  unanswered = 0;
  exchangesServed = 0;
  private pending: Uint8Array | null = null;
  private readonly echo = new Uint8Array(8);
  private handlers: SerialHandlers | null = null;
  /** Recorded answers by (unit, function, address): one Map lookup per request keeps the slaves' share small. */
  private readonly byRequest = new Map<number, Uint8Array[]>();

  constructor(exchanges: readonly Exchange[], baud: number) {
    this.baud = baud;
    for (const e of exchanges) if (e.answers.length > 0) this.byRequest.set(requestKey(e.unit, e.fc, e.address), e.answers);
  }

  attach(handlers: SerialHandlers): void {
    this.handlers = handlers;
  }

  write(data: Uint8Array, offset: number, length: number): boolean {
    const unit = data[offset];
    const fc = data[offset + 1];
    if (fc === 6 && length === 8) {
      for (let i = 0; i < 8; i++) this.echo[i] = data[offset + i];
      this.pending = this.echo;
      return true;
    }
    const answers = this.byRequest.get(requestKey(unit, fc, (data[offset + 2] << 8) | data[offset + 3]));
    if (answers === undefined) this.unanswered++;
    else this.pending = answers[this.replayIndex % answers.length];
    return true;
  }

  read(into: Uint8Array, offset: number, length: number): number {
    const answer = this.pending;
    if (answer === null || answer.length > length) return 0;
    this.pending = null;
    into.set(answer, offset);
    return answer.length;
  }

  /** Hand the waiting answer to the master; false when there is none. */
  deliver(): boolean {
    if (this.pending === null || this.handlers === null) return false;
    this.exchangesServed++;
    this.handlers.onReadable(this.pending.length);
    return true;
  }

  close(): void {}
}

/**
 * A Modbus transport whose slaves answer inside `submit` from the recorded frames: reads are decoded into the
 * transaction with the firmware's own PDU decoder, writes are encoded with the firmware's PDU encoder and
 * acknowledged. No RTU framing, CRC or timers: what is left in a measured cycle is the gateway's control work
 * (polling, decoding, deciding, encoding commands) and one Map lookup per exchange.
 */
export class InstantTransport implements ModbusTransport {
  readonly pending = 0;
  exchangesServed = 0;
  unanswered = 0;
  replayIndex = 0;
  private readonly byRequest = new Map<number, Uint8Array[]>();
  private readonly scratch = new Uint8Array(256);

  constructor(
    exchanges: readonly Exchange[],
    private readonly clock: Clock,
  ) {
    for (const e of exchanges) if (e.answers.length > 0) this.byRequest.set(requestKey(e.unit, e.fc, e.address), e.answers);
  }

  submit(tx: ModbusTransaction): boolean {
    if (tx.busy || requestProblem(tx) !== null) return false;
    this.exchangesServed++;
    tx.attempts = 1;
    if (tx.isRead) {
      const answers = this.byRequest.get(requestKey(tx.unit, tx.functionCode, tx.address));
      if (answers === undefined) {
        this.unanswered++;
        tx.status = TxStatus.Timeout;
      } else {
        const frame = answers[this.replayIndex % answers.length];
        tx.status = decodeResponsePdu(tx, frame, 1, frame.length - 3) === PduCheck.Ok ? TxStatus.Ok : TxStatus.BadResponse;
      }
    } else {
      encodeRequestPdu(tx, this.scratch, 0);
      tx.status = TxStatus.Ok;
    }
    tx.doneAtMs = this.clock.monotonicMs();
    if (tx.listener) tx.listener.onModbusDone(tx);
    return true;
  }
}
