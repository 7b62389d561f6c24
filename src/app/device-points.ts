/**
 * The device layer the scheduler acts on and reads from, until the platform's device model is specified.
 *
 * Spec 003's actions name devices and functions (`operate` {method: "FORCESWITCH", ForceSwitch, groupid},
 * `operate_raw` {addr, functionid, value}) but no document defines what they do on the site. So actions write
 * named points here, triggers read them, and the control loop takes one of them as its ESS base setpoint:
 * point (addr = the ESS device id, `ess_setpoint_kw`) is the battery's scheduled power (discharge > 0), which the
 * anti-backflow and demand controllers then constrain. Everything else is kept and readable, not acted on.
 * `transport` (pass-through bytes to a device) is refused with an error code: no transport is defined.
 */
import type { BaseSetpointSource } from "../control/strategy-input";
import type { ActionMethod, DeviceActions, PropertySource } from "../schedule/ports";

/** The point the control loop reads as an ESS's scheduled setpoint, in kW. */
export const ESS_SETPOINT_POINT = "ess_setpoint_kw";

export class DevicePoints implements DeviceActions, PropertySource, BaseSetpointSource {
  private readonly keys: string[] = [];
  private readonly values: Float64Array;
  /** ESS id -> handle of its setpoint point, so the control loop's per-cycle read builds no key string. */
  private readonly essHandles = new Map<number, number>();
  /** Writes refused because the table was full (counted, reported by the caller's status). */
  refusedFull = 0;

  constructor(readonly capacity = 128) {
    this.values = new Float64Array(capacity).fill(NaN);
  }

  /** A handle for (target, id, property); registers the point (value NaN: absent) if it is new. -1 when full. */
  resolve(target: "addr" | "groupid", id: string, property: string): number {
    const key = `${target === "groupid" ? "g" : "a"}:${id}:${property}`;
    const index = this.keys.indexOf(key);
    if (index >= 0) return index;
    if (this.keys.length === this.capacity) {
      this.refusedFull++;
      return -1;
    }
    this.keys.push(key);
    return this.keys.length - 1;
  }

  read(handle: number): number {
    return handle >= 0 ? this.values[handle] : NaN;
  }

  write(target: "addr" | "groupid", id: string, property: string, value: number): boolean {
    const handle = this.resolve(target, id, property);
    if (handle < 0) return false;
    this.values[handle] = value;
    return true;
  }

  execute(method: ActionMethod, payload: Record<string, unknown>, done: (errcode: string | null) => void): void {
    done(this.apply(method, payload));
  }

  /** Read every control cycle: the first call for an ESS registers its point (absent = NaN), later ones allocate nothing. */
  essBaseW(id: number): number {
    let handle = this.essHandles.get(id);
    if (handle === undefined) {
      handle = this.resolve("addr", String(id), ESS_SETPOINT_POINT);
      this.essHandles.set(id, handle);
    }
    return handle < 0 ? NaN : this.values[handle] * 1000;
  }

  /** null on success, else the error code reported in the run's event. */
  private apply(method: ActionMethod, payload: Record<string, unknown>): string | null {
    if (method === "transport") return "transport_unsupported";
    if (method === "operate_raw") {
      const { addr, functionid, value } = payload;
      if (typeof addr !== "string" || typeof functionid !== "string") return "bad_payload";
      const number = typeof value === "boolean" ? Number(value) : value;
      if (typeof number !== "number" || !Number.isFinite(number)) return "bad_value";
      return this.write("addr", addr, functionid, number) ? null : "points_full";
    }
    // operate: {method: NAME, NAME-cased field: value, groupid | addr}
    const name = payload.method;
    if (typeof name !== "string") return "bad_payload";
    const target = typeof payload.groupid === "string" ? "groupid" : "addr";
    const id = target === "groupid" ? payload.groupid : payload.addr;
    if (typeof id !== "string") return "bad_payload";
    let written = false;
    for (const key of Object.keys(payload)) {
      if (key === "method" || key === "groupid" || key === "addr") continue;
      const value = payload[key];
      const number = typeof value === "boolean" ? Number(value) : value;
      if (typeof number !== "number" || !Number.isFinite(number)) return "bad_value";
      if (!this.write(target, id, key, number)) return "points_full";
      written = true;
    }
    return written ? null : "bad_payload";
  }
}
