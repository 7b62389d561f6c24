/**
 * Modbus faces of the simulated PCS, PV inverters and chargers: register layouts as the devices document them
 * (SunSpec models with their scale factors, or a vendor's single registers), written independently of the drivers'
 * maps in src/devices. Writes reach the physical model; `refresh` copies the model's state into the registers.
 */
import { SimModbusSlave, type SlaveWriteListener } from "./modbus-slave";
import type { SimBattery, SimCharger, SimPv } from "./physics";
import { getI16, getI32, getU32, putI16, putU16 } from "./registers";

export interface SimFrontEnd {
  readonly slave: SimModbusSlave;
  /** Copy the model's state into the registers; run revert timers. */
  refresh(nowMs: number): void;
}

const SUNS = [0x5375, 0x6e53];

function header(regs: Uint16Array, at: number, id: number, length: number): void {
  regs[at] = id;
  regs[at + 1] = length;
}

/** SunSpec storage PCS: 701 at 40070, 704 at 40200, 713 at 40300 (holding registers). */
export class SimSunSpecPcs implements SimFrontEnd, SlaveWriteListener {
  static readonly BASE = 40000;
  static readonly M701 = 40070;
  static readonly M704 = 40200;
  static readonly M713 = 40300;
  /** Model 703 (Enter Service): ES at +2, 1 in service (the default), 0 cease to energize. */
  static readonly M703 = 40270;
  /** Model 702 (DER Capacity): WMax at +26 with W_SF at +45 (the rating a gateway reads when none is configured). */
  static readonly M702 = 40310;
  static readonly W_SF = 1;
  static readonly PCT_SF = -1;
  readonly slave: SimModbusSlave;
  /** Times the device's revert timer expired and it fell back to WSetRvrt. */
  reverts = 0;
  private readonly regs: Uint16Array;
  private lastWriteMs = 0;
  private nowMs = 0;

  constructor(
    unit: number,
    readonly battery: SimBattery,
  ) {
    this.slave = new SimModbusSlave(unit);
    this.slave.writeListener = this;
    const b = SimSunSpecPcs.BASE;
    const r = (this.regs = this.slave.holding.add(b, 370));
    r[0] = SUNS[0];
    r[1] = SUNS[1];
    header(r, 2, 1, 66);
    header(r, SimSunSpecPcs.M701 - b, 701, 153);
    header(r, SimSunSpecPcs.M704 - b, 704, 65);
    header(r, SimSunSpecPcs.M713 - b, 713, 7);
    header(r, SimSunSpecPcs.M703 - b, 703, 17);
    r[SimSunSpecPcs.M703 - b + 2] = 1;
    header(r, SimSunSpecPcs.M702 - b, 702, 50);
    putU16(r, SimSunSpecPcs.M702 - b + 26, battery.options.maxDischargeW / 10 ** SimSunSpecPcs.W_SF);
    putI16(r, SimSunSpecPcs.M702 - b + 45, SimSunSpecPcs.W_SF);
    r[SimSunSpecPcs.M713 - b + 9] = 0xffff;
    putI16(r, SimSunSpecPcs.M701 - b + 116, SimSunSpecPcs.W_SF);
    putI16(r, SimSunSpecPcs.M704 - b + 55, 0);
    putI16(r, SimSunSpecPcs.M713 - b + 8, SimSunSpecPcs.PCT_SF);
  }

  onRegistersWritten(_slave: SimModbusSlave, address: number, count: number): void {
    const es = SimSunSpecPcs.M703 + 2;
    if (address <= es && address + count > es) {
      this.apply();
      return;
    }
    const m704 = SimSunSpecPcs.M704;
    if (address > m704 + 32 || address + count <= m704 + 22) return;
    this.lastWriteMs = this.nowMs;
    this.apply();
  }

  private apply(): void {
    const at = SimSunSpecPcs.M704 - SimSunSpecPcs.BASE;
    const r = this.regs;
    const enabled = r[at + 22] === 1 && r[at + 23] === 1;
    // Out of service (703.ES = 0): the PCS ceases to energize whatever its setpoint.
    const inService = r[SimSunSpecPcs.M703 - SimSunSpecPcs.BASE + 2] !== 0;
    this.battery.command(enabled && inService ? getI32(r, at + 24) : 0);
  }

  refresh(nowMs: number): void {
    this.nowMs = nowMs;
    const b = SimSunSpecPcs.BASE;
    const r = this.regs;
    const at704 = SimSunSpecPcs.M704 - b;
    const revertS = getU32(r, at704 + 31);
    if (r[at704 + 22] === 1 && revertS > 0 && nowMs - this.lastWriteMs > revertS * 1000) {
      // The gateway went quiet: fall back to WSetRvrt with WSetEnaRvrt, as the model prescribes.
      this.reverts++;
      r[at704 + 22] = r[at704 + 30];
      r[at704 + 24] = r[at704 + 26];
      r[at704 + 25] = r[at704 + 27];
      this.apply();
    }
    putI16(r, SimSunSpecPcs.M701 - b + 10, this.battery.actualW / 10 ** SimSunSpecPcs.W_SF);
    putU16(r, SimSunSpecPcs.M713 - b + 4, this.battery.socPct / 10 ** SimSunSpecPcs.PCT_SF);
  }
}

/** Vendor PCS: command int16 in 100 W at holding 0x1000 (FC06); power int16 100 W and SoC 0.1 % at input 0x2000. */
export class SimGenericPcs implements SimFrontEnd, SlaveWriteListener {
  readonly slave: SimModbusSlave;
  private readonly command: Uint16Array;
  private readonly status: Uint16Array;

  constructor(
    unit: number,
    readonly battery: SimBattery,
  ) {
    this.slave = new SimModbusSlave(unit);
    this.slave.writeListener = this;
    // 0x1000 the power command, 0x1001 on/off (1 on, the default), 0x1002 the rated power in 100 W.
    this.command = this.slave.holding.add(0x1000, 3);
    this.command[1] = 1;
    putU16(this.command, 2, battery.options.maxDischargeW / 100);
    this.status = this.slave.input.add(0x2000, 2);
  }

  onRegistersWritten(): void {
    this.battery.command(this.command[1] !== 0 ? getI16(this.command, 0) * 100 : 0);
  }

  refresh(): void {
    putI16(this.status, 0, this.battery.actualW / 100);
    putU16(this.status, 1, this.battery.socPct * 10);
  }
}

/** SunSpec PV inverter: 103 at 40069 (W, W_SF=1), 123 at 40121 (WMaxLimPct with WMaxLimPct_SF=-1). */
export class SimSunSpecPv implements SimFrontEnd, SlaveWriteListener {
  static readonly BASE = 40000;
  static readonly M103 = 40069;
  static readonly M123 = 40121;
  /** Model 121 (Basic Settings): WMax at +2 with WMax_SF at +22. */
  static readonly M121 = 40147;
  readonly slave: SimModbusSlave;
  reverts = 0;
  private readonly regs: Uint16Array;
  private lastWriteMs = 0;
  private nowMs = 0;

  constructor(
    unit: number,
    readonly pv: SimPv,
  ) {
    this.slave = new SimModbusSlave(unit);
    this.slave.writeListener = this;
    const b = SimSunSpecPv.BASE;
    const r = (this.regs = this.slave.holding.add(b, 180));
    r[0] = SUNS[0];
    r[1] = SUNS[1];
    header(r, SimSunSpecPv.M103 - b, 103, 50);
    header(r, SimSunSpecPv.M123 - b, 123, 24);
    putI16(r, SimSunSpecPv.M103 - b + 15, 1);
    putI16(r, SimSunSpecPv.M123 - b + 23, -1);
    putU16(r, SimSunSpecPv.M123 - b + 5, 1000);
    putU16(r, SimSunSpecPv.M123 - b + 4, 1); // Conn: connected
    header(r, SimSunSpecPv.M121 - b, 121, 30);
    putU16(r, SimSunSpecPv.M121 - b + 2, pv.ratedW / 10);
    putI16(r, SimSunSpecPv.M121 - b + 22, 1);
  }

  onRegistersWritten(_slave: SimModbusSlave, address: number, count: number): void {
    const m123 = SimSunSpecPv.M123;
    if (address > m123 + 9 || address + count <= m123 + 4) return;
    this.lastWriteMs = this.nowMs;
    this.apply();
  }

  private apply(): void {
    const at = SimSunSpecPv.M123 - SimSunSpecPv.BASE;
    const r = this.regs;
    const pct = r[at + 9] === 1 ? r[at + 5] / 10 : 100;
    // Disconnected (123.Conn = 0): no production.
    this.pv.command(r[at + 4] === 0 ? 0 : (pct / 100) * this.pv.ratedW);
  }

  refresh(nowMs: number): void {
    this.nowMs = nowMs;
    const b = SimSunSpecPv.BASE;
    const r = this.regs;
    const at123 = SimSunSpecPv.M123 - b;
    const revertS = r[at123 + 7];
    if (r[at123 + 9] === 1 && revertS > 0 && nowMs - this.lastWriteMs > revertS * 1000) {
      this.reverts++;
      r[at123 + 9] = 0;
      this.apply();
    }
    putI16(r, SimSunSpecPv.M103 - b + 14, this.pv.actualW / 10);
  }
}

/** Vendor single-register device: limit uint16 in 100 W at `commandAddress`, power int16 100 W at input `powerAddress`. */
export class SimGenericLimited implements SimFrontEnd, SlaveWriteListener {
  readonly slave: SimModbusSlave;
  private readonly limit: Uint16Array;
  private readonly current: Uint16Array | null;
  private readonly power: Uint16Array;

  constructor(
    unit: number,
    readonly device: SimPv | SimCharger,
    commandAddress: number,
    powerAddress: number,
    /** Charger only: a current-limit register (0.1 A per phase at 230 V, 3 phases). */
    private readonly currentAddress = -1,
  ) {
    this.slave = new SimModbusSlave(unit);
    this.slave.writeListener = this;
    // commandAddress the limit, +1 on/off (1 on, the default), +2 the rated power in 100 W.
    this.limit = this.slave.holding.add(commandAddress, 3);
    this.limit[1] = 1;
    putU16(this.limit, 2, device.ratedW / 100);
    if (currentAddress >= 0) {
      // A charger: its maximum current per phase (0.1 A) and nominal voltage (0.1 V) at 0x4020, 3 phases.
      const rating = this.slave.holding.add(0x4020, 2);
      putU16(rating, 0, (device.ratedW / 3 / 230) * 10);
      putU16(rating, 1, 2300);
    }
    this.current = currentAddress >= 0 ? this.slave.holding.add(currentAddress, 1) : null;
    this.power = this.slave.input.add(powerAddress, 1);
    putU16(this.limit, 0, device.ratedW / 100);
  }

  onRegistersWritten(_slave: SimModbusSlave, address: number): void {
    if (this.current && address === this.currentAddress) {
      this.device.command((this.current[0] / 10) * 3 * 230);
      return;
    }
    this.device.command(this.limit[1] !== 0 ? this.limit[0] * 100 : 0);
  }

  refresh(): void {
    putI16(this.power, 0, this.device.actualW / 100);
  }
}
