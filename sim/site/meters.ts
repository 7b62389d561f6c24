/**
 * Simulated grid meters answering Modbus with the register layouts of their datasheets. The site hands them the
 * primary-side measurements; they store what the real meter would: secondary values (primary / (pt x ct)), with
 * the sign flipped when the meter is installed reversed.
 */
import { SimModbusSlave } from "./modbus-slave";
import { putF32, putI32, putU16, putU32 } from "./registers";

export interface SimMeterInstall {
  unit: number;
  /** Transformer ratios the installation has (the meter reads secondary values). */
  pt: number;
  ct: number;
  /** Installed the wrong way round: the meter's import is the site's export. */
  reversed: boolean;
}

export interface MeterSample {
  /** Primary-side per-phase active power, W, import positive. */
  phaseW: Float64Array;
  voltageV: Float64Array;
  currentA: Float64Array;
  importKwh: number;
  exportKwh: number;
  /** Present 15-minute forward demand, W. */
  demandW: number;
}

export interface SimMeter {
  readonly slave: SimModbusSlave;
  update(sample: MeterSample): void;
}

/** Acrel ADW300: holding registers; powers int32 W, voltages 0.1 V, currents 0.01 A, energies uint32 0.01 kWh. */
export class SimAdw300 implements SimMeter {
  readonly slave: SimModbusSlave;
  private readonly low: Uint16Array;
  private readonly demand: Uint16Array;

  constructor(readonly install: SimMeterInstall) {
    this.slave = new SimModbusSlave(install.unit);
    this.low = this.slave.holding.add(0x0000, 0x0070);
    this.demand = this.slave.holding.add(0x0150, 0x0010);
    putU16(this.low, 0x0001, 4);
    putU16(this.low, 0x000e, install.pt);
    putU16(this.low, 0x000f, install.ct);
    // The relay output (DO) at 0x0060: 1 closed (the default), 0 open; the gateway's point table names it Switch.
    putU16(this.low, 0x0060, 1);
  }

  /** The relay output as last written (Switch / ForceSwitch). */
  get relayClosed(): boolean {
    return this.low[0x0060] !== 0;
  }

  /** Open or close the relay from the site's side (a test that must see a Switch act). */
  set relayClosed(closed: boolean) {
    putU16(this.low, 0x0060, closed ? 1 : 0);
  }

  update(s: MeterSample): void {
    const ratio = this.install.pt * this.install.ct;
    const sign = this.install.reversed ? -1 : 1;
    const r = this.low;
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const w = (sign * s.phaseW[i]) / ratio;
      total += w;
      putI32(r, 0x001e + 2 * i, w);
      putU16(r, 0x0014 + i, (s.voltageV[i] / this.install.pt) * 10);
      putU16(r, 0x001a + i, (s.currentA[i] / this.install.ct) * 100);
    }
    putI32(r, 0x0024, total);
    const imported = this.install.reversed ? s.exportKwh : s.importKwh;
    const exported = this.install.reversed ? s.importKwh : s.exportKwh;
    putU32(r, 0x003e, (imported / ratio) * 100);
    putU32(r, 0x0040, (exported / ratio) * 100);
    putU32(this.demand, 0x015a - 0x0150, this.install.reversed ? 0 : s.demandW / ratio);
  }
}

/** Eastron SDM630: input registers, IEEE-754 float, high word first. */
export class SimSdm630 implements SimMeter {
  readonly slave: SimModbusSlave;
  private readonly regs: Uint16Array;

  constructor(readonly install: SimMeterInstall) {
    this.slave = new SimModbusSlave(install.unit);
    this.regs = this.slave.input.add(0x0000, 0x0060);
  }

  update(s: MeterSample): void {
    const ratio = this.install.pt * this.install.ct;
    const sign = this.install.reversed ? -1 : 1;
    const r = this.regs;
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const w = (sign * s.phaseW[i]) / ratio;
      total += w;
      putF32(r, 12 + 2 * i, w);
      putF32(r, 2 * i, s.voltageV[i] / this.install.pt);
      putF32(r, 6 + 2 * i, s.currentA[i] / this.install.ct);
    }
    putF32(r, 0x34, total);
    putF32(r, 0x48, (this.install.reversed ? s.exportKwh : s.importKwh) / ratio);
    putF32(r, 0x4a, (this.install.reversed ? s.importKwh : s.exportKwh) / ratio);
    putF32(r, 0x54, this.install.reversed ? 0 : s.demandW / ratio);
  }
}

export function createSimMeter(model: string, install: SimMeterInstall): SimMeter {
  const m = model.toLowerCase();
  if (m.includes("adw300")) return new SimAdw300(install);
  if (m.includes("sdm630")) return new SimSdm630(install);
  throw new Error(`sim meter: unknown model "${model}" (known: Acrel-ADW300, Eastron-SDM630)`);
}
