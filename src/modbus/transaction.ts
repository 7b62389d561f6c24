/**
 * One Modbus request and its outcome, owned by the caller and reused for every poll: transports never allocate per
 * request, they fill this object in. A driver keeps one transaction per register block it polls or writes.
 */
import { deepFreeze } from "../core/freeze";

/** Function codes this master speaks. */
export const FunctionCode = deepFreeze({
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleRegister: 6,
  WriteMultipleRegisters: 16,
} as const);
export type FunctionCode = (typeof FunctionCode)[keyof typeof FunctionCode];

/** Where a transaction stands. Plain numbers so a status check is an integer compare. */
export const TxStatus = deepFreeze({
  /** Never submitted, or reset by its owner. */
  Idle: 0,
  /** Waiting in the transport's queue. */
  Queued: 1,
  /** On the wire: the request went out, the answer is awaited. */
  InFlight: 2,
  /** Answered: for reads `registers[0..count)` hold the values. */
  Ok: 3,
  /** The slave answered with an exception; `exceptionCode` says which (1 illegal function, 2 illegal address, ...). */
  Exception: 4,
  /** No (complete) answer within the response timeout, after every retry. */
  Timeout: 5,
  /** An answer came but was wrong (CRC, unit, function, length, MBAP header), after every retry. */
  BadResponse: 6,
  /** The transport could not take it (queue full, link down, bad request); nothing was sent. */
  Refused: 7,
} as const);
export type TxStatus = (typeof TxStatus)[keyof typeof TxStatus];

export interface ModbusListener {
  /** Called once per submit, when the transaction is finished (Ok, Exception, Timeout, BadResponse). */
  onModbusDone(tx: ModbusTransaction): void;
}

/** The most registers one FC03/04 read may ask for (Modbus application protocol, 6.3). */
export const MAX_READ_REGISTERS = 125;
/** The most registers one FC16 write may carry (Modbus application protocol, 6.12). */
export const MAX_WRITE_REGISTERS = 123;

export class ModbusTransaction {
  unit = 1;
  functionCode: FunctionCode = FunctionCode.ReadHoldingRegisters;
  address = 0;
  count = 1;
  /**
   * Values to write (FC06 uses [base], FC16 [base..base+count)), or the values read, at `base`. Sized once by the
   * owner, or the owner's own buffer: a poller reads each block straight into its place in one buffer.
   */
  readonly registers: Uint16Array;
  /** Where in `registers` this request's values start. */
  base = 0;
  status: TxStatus = TxStatus.Idle;
  /** The slave's exception code when status is Exception, else 0. */
  exceptionCode = 0;
  /** Attempts used by the last submit (1 = answered first time). */
  attempts = 0;
  /** Monotonic ms when the last submit finished. */
  doneAtMs = 0;
  /** Owner's free slot (e.g. which device or block this is), so one listener can serve many transactions. */
  tag = 0;

  /** `registers`: a capacity (a buffer of its own) or the owner's buffer, shared. */
  constructor(
    registers: number | Uint16Array,
    public listener: ModbusListener | null = null,
  ) {
    this.registers = typeof registers === "number" ? new Uint16Array(registers) : registers;
  }

  /** Set up a read of `count` registers with FC03 or FC04. */
  setRead(unit: number, functionCode: 3 | 4, address: number, count: number): this {
    this.unit = unit;
    this.functionCode = functionCode;
    this.address = address;
    this.count = count;
    this.base = 0;
    return this;
  }

  /** Set up a write of `count` registers already placed in `registers`: FC06 when count is 1 and `single`, else FC16. */
  setWrite(unit: number, address: number, count: number, single = false): this {
    this.unit = unit;
    this.functionCode = single && count === 1 ? FunctionCode.WriteSingleRegister : FunctionCode.WriteMultipleRegisters;
    this.address = address;
    this.count = count;
    this.base = 0;
    return this;
  }

  get isRead(): boolean {
    return this.functionCode === FunctionCode.ReadHoldingRegisters || this.functionCode === FunctionCode.ReadInputRegisters;
  }

  /** Still queued or on the wire: its owner must not touch it. */
  get busy(): boolean {
    return this.status === TxStatus.Queued || this.status === TxStatus.InFlight;
  }
}

/** Something that carries transactions to slaves: an RTU bus or a Modbus TCP connection. One request at a time. */
export interface ModbusTransport {
  /** Queue `tx`; returns false (status Refused, listener not called) when it cannot be taken. */
  submit(tx: ModbusTransaction): boolean;
  /** Transactions waiting or in flight. */
  readonly pending: number;
}
