/**
 * The site's addressable devices for spec 003 (`points` in the gateway config): which device an `addr` or
 * `groupid` names, its model (the point table of src/devices/point-tables.ts) and how to reach it. Checked at boot:
 * a wrong entry stops the boot with its path named, like every other config error.
 *
 * Address grammar (docs/points.md): `addr` is "PORT_UNIT", the form of the spec's own examples ("1_1" with
 * portid "1", meteraddr "1"): PORT the gateway's port id (the RS-485 port of `rs485.port`, or any id the entry
 * gives a `tcp` link), UNIT the Modbus unit (slave) address 1..247. `groupid` is a name several devices may share
 * (the spec's "3_1" or 1): an action on a group acts on each member, a trigger reads its first member.
 */
import { ConfigError } from "./config-error";
import { findPointTable } from "../devices/point-tables";
import { deepFreeze } from "../core/freeze";

export interface PointDeviceConfig {
  addr: string;
  model: string;
  /** The group (or groups: a list) the device is in; spec 003 names groups by string or number ("3_1", 1). */
  groupid?: string | number | (string | number)[];
  /**
   * The spec 000 device id of this device when a strategy controls it (for the ESS base setpoint). A strategy that
   * lists no devices (the spec's own create example) controls the site's devices of its device_type that have one.
   */
  deviceId?: number;
  /**
   * Meters: the spec 000 ele_meter_id of this meter. A strategy that names the meter by id only, without an
   * ele_meter object (the spec's own create example), is controlled through this entry.
   */
  meterId?: number;
  /** Modbus TCP instead of the RS-485 bus; the unit stays the addr's. */
  tcp?: { host: string; port: number };
  /** Meter transformer ratios (the meter reads secondary values). */
  pt?: number;
  ct?: number;
}

export interface PointsConfig {
  devices: PointDeviceConfig[];
  /** Each trigger property is read at most this often (ms). */
  pollMs: number;
  /** A value older than this is unknown: EX false, NEX true, every comparison false (ms). */
  staleMs: number;
  /** How long an action waits for room on its bus before failing with "bus busy" (ms). */
  busWaitMs: number;
}

export const MAX_POINT_DEVICES = 16;

/** "PORT_UNIT" -> [port, unit], or null. */
export function parseAddr(addr: string): [string, number] | null {
  const match = /^([A-Za-z0-9]+)_(\d{1,3})$/.exec(addr);
  if (!match) return null;
  const unit = Number(match[2]);
  return unit >= 1 && unit <= 247 ? [match[1], unit] : null;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const KEYS: readonly string[] = deepFreeze(["addr", "model", "groupid", "deviceId", "meterId", "tcp", "pt", "ct"]);

/** Throws ConfigError naming the first wrong entry. `rs485Port`: the board's bus, the only port without `tcp`. */
export function checkPointsConfig(points: PointsConfig, rs485Port: string | number): void {
  const list = points.devices as unknown;
  if (!Array.isArray(list)) throw new ConfigError("points.devices", "must be an array");
  if (list.length > MAX_POINT_DEVICES) throw new ConfigError("points.devices", `at most ${MAX_POINT_DEVICES} devices, got ${list.length}`);
  const seen: string[] = [];
  const meterIds: number[] = [];
  list.forEach((entry: unknown, i) => {
    const at = `points.devices[${i}]`;
    if (!isPlain(entry)) throw new ConfigError(at, "must be an object");
    for (const key of Object.keys(entry)) if (!KEYS.includes(key)) throw new ConfigError(`${at}.${key}`, "unknown key");
    const addr = entry.addr;
    const parsed = typeof addr === "string" ? parseAddr(addr) : null;
    if (parsed === null) throw new ConfigError(`${at}.addr`, 'must be "PORT_UNIT" with UNIT 1..247, e.g. "1_1"');
    if (seen.includes(addr as string)) throw new ConfigError(`${at}.addr`, `"${String(addr)}" is listed twice`);
    seen.push(addr as string);
    if (typeof entry.model !== "string" || findPointTable(entry.model) === null) throw new ConfigError(`${at}.model`, `no point table for "${String(entry.model)}" (src/devices/point-tables.ts)`);
    const g = entry.groupid;
    const groupName = (name: unknown) => (typeof name === "string" && name.length > 0 && name.indexOf("\u0000") < 0) || (typeof name === "number" && Number.isFinite(name));
    if (g !== undefined && !(Array.isArray(g) ? g.length > 0 && g.every(groupName) : groupName(g))) throw new ConfigError(`${at}.groupid`, "must be a non-empty string, a number, or a list of them");
    const id = entry.deviceId;
    if (id !== undefined && !(typeof id === "number" && Number.isInteger(id) && id >= 0)) throw new ConfigError(`${at}.deviceId`, "must be a spec 000 device id (integer >= 0)");
    const meterId = entry.meterId;
    if (meterId !== undefined) {
      if (!(typeof meterId === "number" && Number.isInteger(meterId) && meterId >= 0)) throw new ConfigError(`${at}.meterId`, "must be a spec 000 ele_meter_id (integer >= 0)");
      if (findPointTable(entry.model as string)?.kind !== "meter") throw new ConfigError(`${at}.meterId`, `only a meter has one; "${String(entry.model)}" is not a meter model`);
      if (meterIds.includes(meterId)) throw new ConfigError(`${at}.meterId`, `meter ${meterId} is listed twice`);
      meterIds.push(meterId);
    }
    for (const key of ["pt", "ct"] as const) {
      const ratio = entry[key];
      if (ratio !== undefined && !(typeof ratio === "number" && ratio > 0 && ratio <= 100_000)) throw new ConfigError(`${at}.${key}`, "must be a ratio > 0");
    }
    const tcp = entry.tcp;
    if (tcp !== undefined) {
      if (!isPlain(tcp) || typeof tcp.host !== "string" || tcp.host.length === 0) throw new ConfigError(`${at}.tcp.host`, "must be a host name");
      if (!(typeof tcp.port === "number" && Number.isInteger(tcp.port) && tcp.port >= 1 && tcp.port <= 65535)) throw new ConfigError(`${at}.tcp.port`, "must be 1..65535");
    } else if (parsed[0] !== String(rs485Port)) {
      throw new ConfigError(`${at}.addr`, `port "${parsed[0]}" is not the RS-485 port "${String(rs485Port)}"; give the entry a tcp link`);
    }
  });
  for (const key of ["pollMs", "staleMs", "busWaitMs"] as const) {
    const v = points[key];
    if (!(Number.isFinite(v) && v >= 100 && v <= 600_000)) throw new ConfigError(`points.${key}`, `must be between 100 and 600000, got ${v}`);
  }
  if (points.staleMs < points.pollMs) throw new ConfigError("points.staleMs", `must be at least points.pollMs (${points.pollMs})`);
}
