/**
 * Scheduled actions and trigger values on the site's real devices (docs/points.md).
 *
 * - Addressing: spec 003's `addr` "PORT_UNIT" / `groupid` resolve through the site's `points.devices` (the gateway
 *   config, src/config/point-devices.ts) to a device, its model's point table (src/devices/point-tables.ts) and its
 *   link (the RS-485 bus or Modbus TCP), on the transports the control loop already owns.
 * - Actions (`operate`, `operate_raw`, `transport`) become Modbus requests served between control cycles: the
 *   control loop calls `serveCycle` after it started a cycle, and each bus takes at most what is left of the period
 *   after the cycle's own planned traffic. `done` reports success only when the device acknowledged the write (or
 *   answered the raw PDU); otherwise a numeric errcode of src/schedule/codes.ts with the detail.
 * - `ess_setpoint_kw` is not a register: it is the ESS base setpoint the control loop starts from (discharge > 0),
 *   which anti-backflow and demand control then constrain: the grid constraints always win, and the event says so.
 *   It is persisted (store meta) before it is reported, so a reboot keeps it (item 4).
 * - Trigger properties (Ua, Ia, P, SoC, ...) are read by this object on the same buses, each at most every
 *   `pollMs`; a value older than `staleMs` reads as NaN (unknown: EX false, NEX true).
 *
 * Steady state (serveCycle, read, essBaseW) allocates nothing: one preallocated transaction for actions, one for
 * trigger reads, typed-array columns for properties and setpoints. Work at fire rate (execute) may allocate.
 */
import { LogLevel, type Clock, type Log } from "../../hal/types";
import type { PointDeviceConfig, PointsConfig } from "../config/point-devices";
import { parseAddr } from "../config/point-devices";
import type { Counters } from "../core/counters";
import type { BaseSetpointSource, LinkSpec, StrategySettings } from "../control/strategy-input";
import { findPoint, findPointTable, type PointDef, type PointTable } from "../devices/point-tables";
import { newFloatScratch, pointWords, pow10, readPoint, writePoint } from "../devices/points";
import { exceptionName } from "../modbus/pdu";
import { rtuRequestBytes, rtuResponseBytes, rtuTransactionMs } from "../modbus/timing";
import { ModbusTransaction, TxStatus, type ModbusListener, type ModbusTransport } from "../modbus/transaction";
import { decodeRequestPdu, responseHex } from "../modbus/pdu-hex";
import {
  ERR_ACTION_PAYLOAD,
  ERR_BAD_PDU,
  ERR_BAD_RESPONSE,
  ERR_BUS_BUSY,
  ERR_CAPACITY,
  ERR_DEVICE_TIMEOUT,
  ERR_MODBUS_EXCEPTION_BASE,
  ERR_OUT_OF_RANGE,
  ERR_SAFETY,
  ERR_STORAGE,
  ERR_UNKNOWN_DEVICE,
  ERR_UNKNOWN_POINT,
} from "../schedule/codes";
import type { ActionMethod, DeviceActions, PropertySource } from "../schedule/ports";

/** The point the control loop reads as an ESS's scheduled base setpoint, in kW (discharge > 0). */
export const ESS_SETPOINT_POINT = "ess_setpoint_kw";
/** Largest |base setpoint| accepted, kW (the control loop clamps to the device's rating anyway). */
const MAX_SETPOINT_KW = 100_000;

/** A transport the control loop owns, with the bus time its cycle needs (RTU; 0 for TCP). */
export interface PointLink {
  readonly transport: ModbusTransport;
  readonly plannedMs: number;
  /** RTU baud; 0 for TCP (no bus budget). */
  readonly baud: number;
}

/** What this object needs of the control loop (ControlLoop implements it). */
export interface PointBus {
  readonly config: { readonly options: { readonly periodMs: number }; readonly rtu: { readonly turnaroundMs: number } };
  /** The transport of `link`, opened when no strategy uses it yet; a string says why it cannot be. */
  linkTransport(link: LinkSpec): PointLink | string;
  /** The control groups, to tell whether an ESS is controlled and under which grid constraints. */
  readonly groups: readonly { readonly devices: readonly { readonly id: number }[]; readonly strategies: readonly StrategySettings[]; readonly core: { readonly meterId: number } }[];
}

/** Where ESS base setpoints persist (the store's meta numbers in the firmware). */
export interface SetpointPersistence {
  /** Every stored setpoint as [spec 000 device id, kW] (boot). */
  load(): [number, number][];
  /** Durable when it returns; throws when the store refuses. */
  save(deviceId: number, kw: number): void;
}

export interface DevicePointsOptions {
  clock: Clock;
  log: Log;
  counters: Counters;
  points: PointsConfig;
  /** The board's RS-485 port (addr "PORT_UNIT" with this PORT and no tcp link is on the bus). */
  rs485Port: string | number;
  persistence?: SetpointPersistence | null;
  /** Trigger properties (default 32) and ESS base setpoints (default 8) kept. */
  propertyCapacity?: number;
  setpointCapacity?: number;
}

type Done = (errcode: string | null, msg?: string) => void;

/** Action states. */
const IDLE = 0;
/** Waiting for room on its bus (served by the next cycles, up to busWaitMs). */
const WAIT_BUS = 1;
/** Submitted: the transport calls back. */
const ON_BUS = 2;

/** Transaction tags. */
const TAG_ACTION = 1;
const TAG_POLL = 2;

/** Per device in DevicePoints.num: spec 000 id (-1 none), pt, ct, link retry time. */
const DEV = 4;
const D_ID = 0;
const D_PT = 1;
const D_CT = 2;
const D_RETRY = 3;
/** Per property, columns of DevicePoints.num: device (-1 unknown), point index, value, read at, 10^sf (NaN until read), next read. */
const P_DEVICE = 0;
const P_POINT = 1;
const P_VALUE = 2;
const P_AT = 3;
const P_SF = 4;
const P_NEXT = 5;
const P_COLUMNS = 6;

/** The action under way: made at the first action, reused for every later one. */
class PointAction {
  state = IDLE;
  done: Done | null = null;
  deadlineMs = 0;
  /** Devices the action writes, in turn (a group has several); empty for a raw PDU. */
  devices: number[] = [];
  step = 0;
  point: PointDef | null = null;
  value = 0;
  link: LinkSpec | null = null;
  /** The raw PDU's transport, resolved at its first serve (no key building while it waits). */
  transport: PointLink | null = null;
  what = "";
  log = "";
  raw = false;
  /** A raw PDU may read 125 registers or write 123. */
  readonly tx: ModbusTransaction;

  constructor(listener: ModbusListener) {
    this.tx = new ModbusTransaction(125, listener);
    this.tx.tag = TAG_ACTION;
  }
}

/** A device's groups as one string, each name between separators: "\u0000a\u0000b\u0000" ("" for none). */
function groupKey(groupid: PointDeviceConfig["groupid"]): string {
  if (groupid === undefined) return "";
  const names = Array.isArray(groupid) ? groupid : [groupid];
  return `\u0000${names.map(String).join("\u0000")}\u0000`;
}

/** Whether a device whose groupKey is `key` is in group `id`. */
function inGroup(key: string, id: string): boolean {
  return key !== "" && key.indexOf(`\u0000${id}\u0000`) >= 0;
}

export class DevicePoints implements DeviceActions, PropertySource, BaseSetpointSource, ModbusListener {
  // --- the site's devices (from config, fixed at boot)
  private readonly addrs: string[] = [];
  private readonly groupIds: string[] = [];
  private readonly tables: PointTable[] = [];
  private readonly links: LinkSpec[] = [];
  private readonly linkCache: (PointLink | null)[] = [];
  /**
   * Every number in one Float64Array (each typed array costs XS slots; the instance's fields too): per device i at
   * DEV * i + D_*, per property handle h at pBase + P_* x capacity + h, per ESS setpoint j at sBase + 2j (id, kW).
   */
  private readonly num: Float64Array;
  private readonly pBase: number;
  private readonly sBase: number;
  private readonly capacity: number;

  // --- trigger properties (rows of `num`, keys interned here)
  private readonly keys: string[] = [];
  private pollCursor = 0;
  private pollHandle = -1;
  private pollSf = false;
  /** Made at the first trigger read (a gateway without trigger properties never pays for it). */
  private pollTxOrNull: ModbusTransaction | null = null;
  private setpointCount = 0;
  private readonly setpointCapacity: number;

  /** The one action under way (the runner runs one at a time); made at the first action. */
  private act: PointAction | null = null;
  /** The bus of this cycle's action request and its bus time (at most an action and a trigger read per cycle). */
  private cycleBus: ModbusTransport | null = null;
  private cycleBusMs = 0;

  private floatScratchOrNull: DataView | null = null;
  private bus: PointBus | null = null;
  private readonly cBusBusy: number;
  private readonly cPollFailures: number;
  private readonly cActionFailures: number;
  private readonly cFull: number;

  constructor(private readonly o: DevicePointsOptions) {
    const devices = o.points.devices;
    const n = devices.length;
    const pc = o.propertyCapacity ?? 32;
    const sc = o.setpointCapacity ?? 8;
    this.capacity = pc;
    this.setpointCapacity = sc;
    this.pBase = DEV * n;
    this.sBase = this.pBase + P_COLUMNS * pc;
    const num = (this.num = new Float64Array(this.sBase + 2 * sc));
    num.fill(NaN, this.pBase + P_VALUE * pc, this.pBase + (P_SF + 1) * pc); // value, at and sf unknown
    num.fill(-Infinity, this.pBase + P_AT * pc, this.pBase + (P_AT + 1) * pc);
    devices.forEach((d: PointDeviceConfig, i) => {
      const [, unit] = parseAddr(d.addr) as [string, number];
      this.addrs.push(d.addr);
      this.groupIds.push(groupKey(d.groupid));
      this.tables.push(findPointTable(d.model) as PointTable);
      this.links.push(d.tcp ? { proto: "tcp", unit, host: d.tcp.host, port: d.tcp.port } : { proto: "rtu", unit, serialPort: o.rs485Port });
      this.linkCache.push(null);
      num[DEV * i + D_ID] = d.deviceId ?? -1;
      num[DEV * i + D_PT] = d.pt ?? 1;
      num[DEV * i + D_CT] = d.ct ?? 1;
      num[DEV * i + D_RETRY] = 0;
    });
    const c = o.counters;
    this.cBusBusy = c.register("points_bus_busy");
    this.cPollFailures = c.register("points_poll_failures");
    this.cActionFailures = c.register("points_action_failures");
    this.cFull = c.register("points_table_full");
    for (const [id, kw] of o.persistence?.load() ?? []) this.putSetpoint(id, kw);
  }

  private get pollTx(): ModbusTransaction {
    if (this.pollTxOrNull === null) {
      this.pollTxOrNull = new ModbusTransaction(2, this);
      this.pollTxOrNull.tag = TAG_POLL;
    }
    return this.pollTxOrNull;
  }

  private get actionTx(): ModbusTransaction {
    return this.a.tx;
  }

  private get floatScratch(): DataView {
    if (this.floatScratchOrNull === null) this.floatScratchOrNull = newFloatScratch();
    return this.floatScratchOrNull;
  }

  /** The action record, made at the first action. */
  private get a(): PointAction {
    if (this.act === null) this.act = new PointAction(this);
    return this.act;
  }

  /** Index in `num` of property column `column` of `handle`. */
  private pi(column: number, handle: number): number {
    return this.pBase + column * this.capacity + handle;
  }

  /** The control loop whose buses this object uses; it calls `serveCycle` every cycle. */
  attach(bus: PointBus): void {
    this.bus = bus;
  }

  // ------------------------------------------------------------------ PropertySource (triggers)

  /** A handle for (target, id, property), interned; -1 when the table is full (counted). Unknown points read NaN. */
  resolve(target: "addr" | "groupid", id: string, property: string): number {
    const key = `${target === "groupid" ? "g" : "a"}:${id}:${property}`;
    const index = this.keys.indexOf(key);
    if (index >= 0) return index;
    if (this.keys.length === this.capacity) {
      this.o.counters.add(this.cFull);
      return -1;
    }
    const handle = this.keys.push(key) - 1;
    const device = this.findDevice(target, id);
    const point = device < 0 ? -1 : findPoint(this.tables[device], property);
    this.num[this.pi(P_DEVICE, handle)] = point < 0 ? -1 : device;
    this.num[this.pi(P_POINT, handle)] = point;
    if (point < 0) {
      const why = device < 0 ? `no device ${target} ${id} in points.devices` : `model ${this.tables[device].model} has no point ${property}`;
      this.o.log.write(LogLevel.Warn, "points", `trigger property ${target} ${id} ${property}: ${why}; it stays unknown (NEX true)`);
    } else {
      this.num[this.pi(P_SF, handle)] = this.tables[device].points[point].sfAddress < 0 ? 1 : NaN;
    }
    return handle;
  }

  /** The current value, NaN when unknown: never read, the device silent, or older than staleMs. */
  read(handle: number): number {
    if (handle < 0 || this.num[this.pi(P_DEVICE, handle)] < 0) return NaN;
    if (this.o.clock.monotonicMs() - this.num[this.pi(P_AT, handle)] > this.o.points.staleMs) return NaN;
    return this.num[this.pi(P_VALUE, handle)];
  }

  // ------------------------------------------------------------------ BaseSetpointSource (control loop, per cycle)

  essBaseW(id: number): number {
    const num = this.num;
    const base = this.sBase;
    for (let i = 0; i < this.setpointCount; i++) if (num[base + 2 * i] === id) return num[base + 2 * i + 1] * 1000;
    return NaN;
  }

  // ------------------------------------------------------------------ DeviceActions (fire rate)

  execute(method: ActionMethod, payload: Record<string, unknown>, done: Done): void {
    if (this.a.state !== IDLE) {
      this.o.counters.add(this.cBusBusy);
      done(ERR_BUS_BUSY, "another action is still on the bus");
      return;
    }
    const problem = method === "transport" ? this.prepareRaw(payload) : method === "operate_raw" ? this.prepareRaw0(payload) : this.prepareOperate(payload);
    if (problem === "setpoint") return this.setpoint(payload, done);
    if (problem !== null) {
      this.o.counters.add(this.cActionFailures);
      done(problem[0], problem[1]);
      return;
    }
    this.a.done = done;
    this.a.step = 0;
    this.a.log = "";
    this.a.deadlineMs = this.o.clock.monotonicMs() + this.o.points.busWaitMs;
    this.a.state = WAIT_BUS;
  }

  /** operate_raw {addr, functionid, value}: one point of one device. */
  private prepareRaw0(payload: Record<string, unknown>): [string, string] | null | "setpoint" {
    const { addr, functionid, value } = payload;
    if (typeof functionid !== "string" || functionid.length === 0) return [ERR_ACTION_PAYLOAD, "operate_raw needs functionid (a point name)"];
    if (functionid === ESS_SETPOINT_POINT) return "setpoint";
    if (typeof addr !== "string") return [ERR_ACTION_PAYLOAD, 'operate_raw needs addr ("PORT_UNIT")'];
    const device = this.findDevice("addr", addr);
    if (device < 0) return [ERR_UNKNOWN_DEVICE, `no device addr ${addr} in points.devices`];
    return this.prepareWrite([device], functionid, value, `addr ${addr}`);
  }

  /** operate {method: NAME, <Name>: value, groupid | addr}: the named operation on a device or a group. */
  private prepareOperate(payload: Record<string, unknown>): [string, string] | null {
    const name = payload.method;
    if (typeof name !== "string" || name.length === 0) return [ERR_ACTION_PAYLOAD, "operate needs method (the operation's name)"];
    // The value is the field named like the method, case aside (FORCESWITCH -> ForceSwitch), as in the spec.
    let field = "";
    for (const key of Object.keys(payload)) if (key !== "method" && key.toLowerCase() === name.toLowerCase()) field = key;
    if (field === "") return [ERR_ACTION_PAYLOAD, `operate ${name} needs its value in a field named ${name} (e.g. ForceSwitch)`];
    const hasGroup = payload.groupid !== undefined;
    const target = hasGroup ? "groupid" : "addr";
    const raw = hasGroup ? payload.groupid : payload.addr;
    if (!(typeof raw === "string" || typeof raw === "number")) return [ERR_ACTION_PAYLOAD, `operate ${name} needs groupid or addr`];
    const id = String(raw);
    const devices: number[] = [];
    for (let i = 0; i < this.addrs.length; i++) if (hasGroup ? inGroup(this.groupIds[i], id) : this.addrs[i] === id) devices.push(i);
    if (devices.length === 0) return [ERR_UNKNOWN_DEVICE, `no device ${target} ${id} in points.devices`];
    return this.prepareWrite(devices, field, payload[field], `${target} ${id}`);
  }

  /** Check the point and value on every device before anything is written. */
  private prepareWrite(devices: number[], name: string, value: unknown, where: string): [string, string] | null {
    const number = typeof value === "boolean" ? Number(value) : typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    let point: PointDef | null = null;
    for (const device of devices) {
      const table = this.tables[device];
      const index = findPoint(table, name);
      if (index < 0) return [ERR_UNKNOWN_POINT, `${where}: model ${table.model} has no point ${name}`];
      const p = table.points[index];
      if (p.owner === "control") return [ERR_SAFETY, `${where}: ${p.name} is the control loop's power command; a scheduled ESS power goes through ${ESS_SETPOINT_POINT}, which the grid constraints then limit`];
      if (p.write === 0) return [ERR_OUT_OF_RANGE, `${where}: ${p.name} is read only`];
      if (typeof number !== "number" || !Number.isFinite(number)) return [ERR_OUT_OF_RANGE, `${where}: ${p.name} needs a number, got ${JSON.stringify(value)}`];
      if (number < p.min || number > p.max) return [ERR_OUT_OF_RANGE, `${where}: ${p.name} must be ${p.min}..${p.max}, got ${number}`];
      if (point !== null && (point.write !== p.write || point.type !== p.type)) return [ERR_UNKNOWN_POINT, `${where}: ${name} differs between the group's models`];
      point = p;
    }
    this.a.raw = false;
    this.a.devices = devices;
    this.a.value = number as number;
    this.a.what = `${name}=${number as number} on ${where}`;
    // Per device the point may sit elsewhere (a group of different models): looked up again at each step.
    this.a.point = point;
    return null;
  }

  /** transport {addr | portid + meteraddr, pdu: hex}: one raw request PDU (FC 3, 4, 6, 16) to a port and unit. */
  private prepareRaw(payload: Record<string, unknown>): [string, string] | null {
    let addr = payload.addr;
    if (addr === undefined && payload.portid !== undefined && payload.meteraddr !== undefined) addr = `${String(payload.portid)}_${String(payload.meteraddr)}`;
    if (typeof addr !== "string") return [ERR_ACTION_PAYLOAD, 'transport needs addr ("PORT_UNIT") or portid and meteraddr'];
    const parsed = parseAddr(addr);
    if (parsed === null) return [ERR_ACTION_PAYLOAD, `transport addr "${addr}" is not "PORT_UNIT" with UNIT 1..247`];
    let link: LinkSpec | null = null;
    const device = this.findDevice("addr", addr);
    if (device >= 0) link = this.links[device];
    else if (parsed[0] === String(this.o.rs485Port)) link = { proto: "rtu", unit: parsed[1], serialPort: this.o.rs485Port };
    else {
      // A TCP port id: the link of any configured device on that port id, with this unit.
      for (let i = 0; i < this.addrs.length && link === null; i++) {
        const l = this.links[i];
        if (l.proto === "tcp" && (parseAddr(this.addrs[i]) as [string, number])[0] === parsed[0]) link = { proto: "tcp", unit: parsed[1], host: l.host, port: l.port };
      }
    }
    if (link === null) return [ERR_UNKNOWN_DEVICE, `port ${parsed[0]} is neither the RS-485 port nor a configured TCP port`];
    const pdu = payload.pdu;
    if (typeof pdu !== "string") return [ERR_ACTION_PAYLOAD, "transport needs pdu (the request PDU in hex, without unit or CRC)"];
    const problem = decodeRequestPdu(pdu, this.actionTx, parsed[1]);
    if (problem !== null) return [ERR_BAD_PDU, problem];
    this.a.raw = true;
    this.a.link = link;
    this.a.devices = [];
    this.a.what = `PDU ${pdu.toLowerCase()} to ${addr}`;
    return null;
  }

  /** ess_setpoint_kw: the ESS base setpoint, persisted, then in force at the next control cycle. */
  private setpoint(payload: Record<string, unknown>, done: Done): void {
    const fail = (code: string, msg: string) => {
      this.o.counters.add(this.cActionFailures);
      done(code, msg);
    };
    const { addr, value } = payload;
    let id = -1;
    // "N": the spec 000 device id itself; "PORT_UNIT": the configured device's deviceId.
    if (typeof addr === "string" && /^\d+$/.test(addr)) id = Number(addr);
    else if (typeof addr === "string") {
      const device = this.findDevice("addr", addr);
      if (device < 0) return fail(ERR_UNKNOWN_DEVICE, `no device addr ${addr} in points.devices`);
      id = this.num[DEV * device + D_ID];
      if (id < 0) return fail(ERR_UNKNOWN_DEVICE, `addr ${addr} has no deviceId: which spec 000 ESS it is is unknown`);
    } else return fail(ERR_ACTION_PAYLOAD, `${ESS_SETPOINT_POINT} needs addr (the ESS's spec 000 id, or "PORT_UNIT")`);
    const kw = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof kw !== "number" || !Number.isFinite(kw) || Math.abs(kw) > MAX_SETPOINT_KW) return fail(ERR_OUT_OF_RANGE, `${ESS_SETPOINT_POINT} must be a number of kW within +-${MAX_SETPOINT_KW}, got ${JSON.stringify(value)}`);
    const constraint = this.constraintsOn(id);
    if (constraint === null) return fail(ERR_SAFETY, `no spec 000 strategy controls ESS ${id}: a base setpoint would act on nothing`);
    if (this.indexOfSetpoint(id) < 0 && this.setpointCount === this.setpointCapacity) return fail(ERR_CAPACITY, `more than ${this.setpointCapacity} ESS base setpoints`);
    try {
      this.o.persistence?.save(id, kw);
    } catch (error) {
      return fail(ERR_STORAGE, `the store refused ESS ${id}'s setpoint: ${String(error)}`);
    }
    this.putSetpoint(id, kw);
    const msg = `ESS ${id} base setpoint ${kw} kW${constraint === "" ? "" : `; ${constraint} take precedence over it`}`;
    this.o.log.write(LogLevel.Info, "points", msg);
    done(null, msg);
  }

  /** null: no group controls ESS `id`; "": controlled, no grid constraint; else the constraints in force. */
  private constraintsOn(id: number): string | null {
    const groups = this.bus?.groups ?? [];
    for (const group of groups) {
      if (!group.devices.some((d) => d.id === id)) continue;
      const rules: string[] = [];
      for (const s of group.strategies) {
        if (s.antiBackflow || s.phaseAntiBackflow) rules.push(`anti-backflow (strategy ${s.id}, meter ${group.core.meterId})`);
        if (s.overDemand) rules.push(`demand control (strategy ${s.id}, meter ${group.core.meterId})`);
      }
      return rules.join(" and ");
    }
    return null;
  }

  private indexOfSetpoint(id: number): number {
    for (let i = 0; i < this.setpointCount; i++) if (this.num[this.sBase + 2 * i] === id) return i;
    return -1;
  }

  private putSetpoint(id: number, kw: number): void {
    let i = this.indexOfSetpoint(id);
    if (i < 0) {
      if (this.setpointCount === this.setpointCapacity) return;
      i = this.setpointCount++;
      this.num[this.sBase + 2 * i] = id;
    }
    this.num[this.sBase + 2 * i + 1] = kw;
  }

  private findDevice(target: "addr" | "groupid", id: string): number {
    for (let i = 0; i < this.addrs.length; i++) if (target === "addr" ? this.addrs[i] === id : inGroup(this.groupIds[i], id)) return i;
    return -1;
  }

  // ------------------------------------------------------------------ the cycle hook (tick rate: no allocation)

  /** Called by the control loop once per cycle, after the cycle's reads were queued. */
  serveCycle(nowMs: number): void {
    const bus = this.bus;
    if (bus === null) return;
    this.cycleBus = null;
    const act = this.act;
    if (act !== null) {
      if (act.state === ON_BUS && this.actionTx.status === TxStatus.Refused) act.state = WAIT_BUS; // cancelled by a reconfiguration
      if (act.state === WAIT_BUS) this.serveAction(bus, nowMs);
    }
    if (this.keys.length === 0) return;
    if (this.pollHandle >= 0 && this.pollTx.status === TxStatus.Refused) this.pollHandle = -1;
    if (this.pollHandle < 0) this.servePoll(bus, nowMs);
  }

  private serveAction(bus: PointBus, nowMs: number): void {
    if (nowMs > this.a.deadlineMs) {
      this.o.counters.add(this.cBusBusy);
      this.finishAction(ERR_BUS_BUSY, `no room on the bus for ${this.o.points.busWaitMs} ms (the control cycle's traffic comes first)`);
      return;
    }
    const tx = this.actionTx;
    let link: PointLink | string;
    if (this.a.raw) {
      link = this.a.transport ?? bus.linkTransport(this.a.link as LinkSpec);
      if (typeof link !== "string") this.a.transport = link;
    } else {
      const device = this.a.devices[this.a.step];
      const table = this.tables[device];
      const p = table.points[findPoint(table, (this.a.point as PointDef).name)];
      const words = pointWords(p.type);
      writePoint(tx.registers, 0, p.type, Math.round(this.a.value / p.scale), this.floatScratch);
      tx.setWrite(this.links[device].unit, p.address, words, p.write === 6);
      link = this.linkOf(bus, device, nowMs);
    }
    if (typeof link === "string") {
      this.finishAction(ERR_BUS_BUSY, link);
      return;
    }
    if (!this.fits(bus, link, tx)) return;
    this.a.state = ON_BUS;
    if (!link.transport.submit(tx)) this.a.state = WAIT_BUS; // queue full: the next cycle tries again, until the deadline
  }

  private servePoll(bus: PointBus, nowMs: number): void {
    const n = this.keys.length;
    for (let k = 0; k < n; k++) {
      const handle = (this.pollCursor + k) % n;
      const device = this.num[this.pi(P_DEVICE, handle)];
      if (device < 0 || this.num[this.pi(P_NEXT, handle)] > nowMs) continue;
      const link = this.linkOf(bus, device, nowMs);
      if (typeof link === "string") continue;
      const p = this.tables[device].points[this.num[this.pi(P_POINT, handle)]];
      const sf = this.num[this.pi(P_SF, handle)] !== this.num[this.pi(P_SF, handle)];
      const tx = this.pollTx;
      tx.setRead(this.links[device].unit, p.fc, sf ? p.sfAddress : p.address, sf ? 1 : pointWords(p.type));
      if (!this.fits(bus, link, tx)) continue;
      this.pollHandle = handle;
      this.pollSf = sf;
      this.pollCursor = (handle + 1) % n;
      if (!link.transport.submit(tx)) {
        this.pollHandle = -1;
        this.num[this.pi(P_NEXT, handle)] = nowMs + this.o.points.pollMs;
      }
      return;
    }
  }

  /** The request fits this cycle's bus budget (RTU: the cycle's planned time plus what was served, within the period). */
  fits(bus: PointBus, link: PointLink, tx: ModbusTransaction): boolean {
    if (link.baud <= 0) return true;
    const ms = rtuTransactionMs(link.baud, rtuRequestBytes(tx), rtuResponseBytes(tx), bus.config.rtu.turnaroundMs);
    // Few point requests a cycle (an action's, a trigger read, a rating read): the first one's bus is tracked and
    // later requests on it add up; a request on another bus is checked against its own plan only.
    const spent = this.cycleBus === link.transport ? this.cycleBusMs : 0;
    if (link.plannedMs + spent + ms > bus.config.options.periodMs) return false;
    if (this.cycleBus === null) {
      this.cycleBus = link.transport;
      this.cycleBusMs = ms;
    } else if (this.cycleBus === link.transport) {
      this.cycleBusMs += ms;
    }
    return true;
  }

  private linkOf(bus: PointBus, device: number, nowMs: number): PointLink | string {
    const cached = this.linkCache[device];
    if (cached !== null) return cached;
    if (nowMs < this.num[DEV * device + D_RETRY]) return "the device's link could not be opened";
    const link = bus.linkTransport(this.links[device]);
    if (typeof link === "string") {
      this.num[DEV * device + D_RETRY] = nowMs + 10_000;
      this.o.log.write(LogLevel.Warn, "points", `${this.addrs[device]}: ${link}`);
      return link;
    }
    this.linkCache[device] = link;
    return link;
  }

  // ------------------------------------------------------------------ answers

  onModbusDone(tx: ModbusTransaction): void {
    if (tx.tag === TAG_POLL) this.pollDone(tx);
    else this.actionAnswered(tx);
  }

  private pollDone(tx: ModbusTransaction): void {
    const handle = this.pollHandle;
    this.pollHandle = -1;
    if (handle < 0) return;
    const now = this.o.clock.monotonicMs();
    if (tx.status !== TxStatus.Ok) {
      this.o.counters.add(this.cPollFailures);
      this.num[this.pi(P_NEXT, handle)] = now + this.o.points.pollMs;
      return;
    }
    const device = this.num[this.pi(P_DEVICE, handle)];
    const p = this.tables[device].points[this.num[this.pi(P_POINT, handle)]];
    if (this.pollSf) {
      // The scale factor first, then the value at once (the next cycle).
      this.num[this.pi(P_SF, handle)] = pow10((tx.registers[0] << 16) >> 16);
      return;
    }
    const ratio = p.xf === 0 ? 1 : p.xf === 1 ? this.num[DEV * device + D_PT] : p.xf === 2 ? this.num[DEV * device + D_CT] : this.num[DEV * device + D_PT] * this.num[DEV * device + D_CT];
    this.num[this.pi(P_VALUE, handle)] = readPoint(tx.registers, 0, p.type, this.floatScratch) * p.scale * this.num[this.pi(P_SF, handle)] * ratio;
    this.num[this.pi(P_AT, handle)] = now;
    this.num[this.pi(P_NEXT, handle)] = now + this.o.points.pollMs;
  }

  private actionAnswered(tx: ModbusTransaction): void {
    if (this.a.state !== ON_BUS) return;
    const step = this.a.raw ? "" : this.addrs[this.a.devices[this.a.step]];
    if (tx.status === TxStatus.Ok) {
      if (this.a.raw) {
        this.finishAction(null, `${this.a.what}: response ${responseHex(tx)}`);
        return;
      }
      this.a.log += `${this.a.log === "" ? "" : ", "}${step} acknowledged`;
      this.a.step++;
      if (this.a.step < this.a.devices.length) {
        this.a.state = WAIT_BUS;
        this.a.deadlineMs = this.o.clock.monotonicMs() + this.o.points.busWaitMs;
        return;
      }
      this.finishAction(null, `${this.a.what}: ${this.a.log}`);
      return;
    }
    const before = this.a.log === "" ? "" : ` (${this.a.log})`;
    const who = this.a.raw ? this.a.what : `${this.a.what}: ${step}`;
    this.o.counters.add(this.cActionFailures);
    if (tx.status === TxStatus.Exception) {
      const extra = this.a.raw ? `, response ${responseHex(tx)}` : "";
      this.finishAction(String(ERR_MODBUS_EXCEPTION_BASE + tx.exceptionCode), `${who} answered Modbus exception ${tx.exceptionCode} (${exceptionName(tx.exceptionCode)})${extra}${before}`);
    } else if (tx.status === TxStatus.Timeout) {
      this.finishAction(ERR_DEVICE_TIMEOUT, `${who} did not answer after ${tx.attempts} attempt(s)${before}`);
    } else {
      this.finishAction(ERR_BAD_RESPONSE, `${who} answered with a malformed frame${before}`);
    }
  }

  private finishAction(errcode: string | null, msg: string): void {
    const done = this.a.done;
    this.a.state = IDLE;
    this.a.done = null;
    this.a.link = null;
    this.a.transport = null;
    // Successes too: a scheduled write to a device is an event worth a line (fire rate).
    this.o.log.write(errcode === null ? LogLevel.Info : LogLevel.Warn, "points", errcode === null ? msg : `${errcode}: ${msg}`);
    if (done) done(errcode, msg);
  }
}
