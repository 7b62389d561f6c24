/**
 * A controllable device (PCS, PV inverter, charger) read and commanded through its register map. The control loop
 * calls `startCycle` to read actual power (and SoC), and `command` to send a power in W in the conventions of
 * device-maps.ts; encoding, scale factors and the revert timer are the driver's business.
 */
import { ModbusTransaction, TxStatus, type ModbusListener, type ModbusTransport } from "../modbus/transaction";
import { BlockPoller, type PollListener } from "./blocks";
import type { DeviceMap } from "./device-maps";
import { pow10, writePoint } from "./points";

export interface DeviceListener {
  /**
   * The device's reads of this cycle finished; its actual power (W, NaN until read), when it was read and its SoC
   * (%, NaN: none) are passed along, as the getters would give them (one call per device per cycle instead of
   * three getters: the control cycle's XS step budget).
   */
  onDeviceRead(device: DeviceDriver, actualW: number, actualAtMs: number, socPct: number): void;
  onDeviceCommandDone(device: DeviceDriver, ok: boolean): void;
}

export interface DeviceDriverOptions {
  /** Nameplate power, W: the PV percentage base, and the ESS/charger command range. */
  ratedW: number;
  /** Revert timer written with every command (s); 0 disables it on the device. */
  revertSeconds: number;
}

/** The driver's numbers, after the poller's block times (DeviceDriver.numbers). */
const ACTUAL_W = 0;
const ACTUAL_AT_MS = 1;
const SOC_PCT = 2;
const ACKED_W = 3;
const ACKED_AT_MS = 4;
const SENT_W = 5;
const COMMANDS_SENT = 6;
const COMMAND_FAILURES = 7;
const COMMANDS_DEFERRED = 8;
const NUMBERS = 9;

export class DeviceDriver implements PollListener, ModbusListener {
  readonly poller: BlockPoller;
  readonly commandTx: ModbusTransaction;
  /**
   * The driver's numbers (ACTUAL_W.. below) live after the poller's block times in its Float64Array, and the
   * command's registers after the blocks' registers: a device then costs ~12 XS slots less than with fields and a
   * buffer of its own. Read them through the getters.
   */
  private readonly numbers: Float64Array;
  private readonly base: number;
  /** The owner's index for this device (the control group's slot). */
  tag = 0;
  /** Index of the map's one setpoint field (the others never change and are written at construction). */
  private readonly setpointField: number;

  constructor(
    readonly id: number,
    readonly map: DeviceMap,
    unit: number,
    private transport: ModbusTransport,
    readonly options: DeviceDriverOptions,
    private readonly listener: DeviceListener,
    floatScratch?: DataView,
  ) {
    if (!(options.ratedW > 0)) throw new Error(`device ${id}: ratedW must be > 0`);
    this.poller = new BlockPoller(map.blocks, unit, transport, this, floatScratch, NUMBERS, map.command.count);
    this.numbers = this.poller.okAtMs;
    this.base = map.blocks.length;
    const n = this.numbers;
    const b = this.base;
    n[b + ACTUAL_W] = NaN;
    n[b + ACTUAL_AT_MS] = -Infinity;
    n[b + SOC_PCT] = NaN;
    n[b + ACKED_W] = NaN;
    n[b + ACKED_AT_MS] = -Infinity;
    n[b + SENT_W] = NaN;
    n[b + COMMANDS_SENT] = 0;
    n[b + COMMAND_FAILURES] = 0;
    n[b + COMMANDS_DEFERRED] = 0;
    this.commandTx = new ModbusTransaction(this.poller.registers, this);
    this.commandTx.setWrite(unit, map.command.address, map.command.count, map.command.single === true);
    this.commandTx.base = this.poller.extraAt;
    // Constant fields and the revert timer are written into the command's registers once, here: a command then
    // encodes only its setpoint (an 8-field SunSpec 704 command costs ~800 XS steps less per write).
    const fields = map.command.fields;
    let setpointField = -1;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (field.value === "setpoint") {
        if (setpointField >= 0) throw new Error(`device ${id}: map ${map.name} has more than one setpoint field`);
        setpointField = i;
        continue;
      }
      const value = field.value === "revertSeconds" ? options.revertSeconds : field.value;
      writePoint(this.commandTx.registers, this.commandTx.base + field.offset, field.type, value, this.poller.floatScratch);
    }
    if (setpointField < 0) throw new Error(`device ${id}: map ${map.name} has no setpoint field`);
    this.setpointField = setpointField;
  }

  /** Actual AC power in this file's conventions, W (NaN until read). */
  get actualW(): number {
    return this.numbers[this.base + ACTUAL_W];
  }
  /** Monotonic ms of the last good actual-power reading. */
  get actualAtMs(): number {
    return this.numbers[this.base + ACTUAL_AT_MS];
  }
  get socPct(): number {
    return this.numbers[this.base + SOC_PCT];
  }
  /** The last command the device acknowledged, W, and when. */
  get ackedW(): number {
    return this.numbers[this.base + ACKED_W];
  }
  get ackedAtMs(): number {
    return this.numbers[this.base + ACKED_AT_MS];
  }
  /** The command on the wire (or last sent), W. */
  get sentW(): number {
    return this.numbers[this.base + SENT_W];
  }
  get commandsSent(): number {
    return this.numbers[this.base + COMMANDS_SENT];
  }
  get commandFailures(): number {
    return this.numbers[this.base + COMMAND_FAILURES];
  }
  /** Commands that could not be encoded yet (a scale factor not read so far) or found the previous one still busy. */
  get commandsDeferred(): number {
    return this.numbers[this.base + COMMANDS_DEFERRED];
  }

  /** Switch reads and commands to another transport (reconfiguration, test rigs); only between cycles. */
  setTransport(transport: ModbusTransport): void {
    this.transport = transport;
    this.poller.setTransport(transport);
  }

  get kind(): DeviceMap["kind"] {
    return this.map.kind;
  }

  get busy(): boolean {
    return this.poller.busy;
  }

  startCycle(): boolean {
    return this.poller.startCycle() > 0;
  }

  /** True once the scale factors a command needs have been read. */
  get ready(): boolean {
    const encoding = this.map.command.encoding;
    if (encoding.unit === "A") return true;
    return encoding.sf === undefined || this.poller.isValid(encoding.sf.block);
  }

  /**
   * Send a power command (W, this file's conventions; a limit for PV and chargers). Returns false when it could
   * not be sent now (previous command still on the bus, scale factor unknown, transport full): the caller retries
   * next cycle.
   */
  command(watts: number): boolean {
    const tx = this.commandTx;
    const n = this.numbers;
    const b = this.base;
    if (tx.busy || !this.ready) {
      n[b + COMMANDS_DEFERRED]++;
      return false;
    }
    const raw = this.encode(watts);
    if (raw !== raw) {
      n[b + COMMANDS_DEFERRED]++;
      return false;
    }
    const field = this.map.command.fields[this.setpointField];
    writePoint(tx.registers, tx.base + field.offset, field.type, raw, this.poller.floatScratch);
    n[b + SENT_W] = watts;
    if (!this.transport.submit(tx)) {
      n[b + COMMAND_FAILURES]++;
      return false;
    }
    n[b + COMMANDS_SENT]++;
    return true;
  }

  /** The raw register value for `watts`, or NaN when a scale factor is still unknown. */
  encode(watts: number): number {
    const encoding = this.map.command.encoding;
    switch (encoding.unit) {
      case "W": {
        const sf = encoding.sf ? this.poller.value(encoding.sf) : 0;
        return Math.round((encoding.sign * watts) / encoding.unitW / pow10(sf));
      }
      case "pct": {
        const sf = encoding.sf ? this.poller.value(encoding.sf) : 0;
        const pct = (100 * Math.max(0, Math.min(watts, this.options.ratedW))) / this.options.ratedW;
        // Round down: a limit must never let through more than asked.
        return Math.floor(pct / encoding.unitPct / pow10(sf) + 1e-9);
      }
      case "A": {
        const amps = Math.max(0, watts) / (encoding.phases * encoding.volts);
        return Math.floor(amps / encoding.unitA + 1e-9);
      }
    }
  }

  onPollDone(poller: BlockPoller): void {
    const n = this.numbers;
    const b = this.base;
    const okAtMs = n[this.map.power.block];
    if (okAtMs > n[b + ACTUAL_AT_MS]) {
      const w = poller.value(this.map.power) * this.map.powerSign;
      if (w === w) {
        n[b + ACTUAL_W] = w;
        n[b + ACTUAL_AT_MS] = okAtMs;
      }
    }
    if (this.map.soc) {
      const soc = poller.value(this.map.soc);
      if (soc === soc) n[b + SOC_PCT] = soc;
    }
    this.listener.onDeviceRead(this, n[b + ACTUAL_W], n[b + ACTUAL_AT_MS], n[b + SOC_PCT]);
  }

  onModbusDone(tx: ModbusTransaction): void {
    if (tx !== this.commandTx) return;
    const ok = tx.status === TxStatus.Ok;
    const n = this.numbers;
    const b = this.base;
    if (ok) {
      n[b + ACKED_W] = n[b + SENT_W];
      n[b + ACKED_AT_MS] = tx.doneAtMs;
    } else {
      n[b + COMMAND_FAILURES]++;
    }
    this.listener.onDeviceCommandDone(this, ok);
  }
}
