import type Digital from "embedded:io/digital";
import device, { type BoardSerial } from "embedded:provider/builtin";

/**
 * The board's pins come from its ECMA-419 host provider (boards/<board>/host/provider.js, `embedded:provider/builtin`),
 * the SDK's place for them: `device.Serial.<name>` per UART (with our RS-485 fields) and `device.pin.<name>`.
 */
export function boardSerial(port: string | number): BoardSerial {
  const ports = device.Serial;
  if (!ports) throw new Error("board: its host provider defines no Serial ports");
  if (typeof port === "string") {
    const named = ports[port];
    if (!named) throw new Error(`board: no serial port "${port}" in the host provider (have: ${Object.keys(ports).join(", ")})`);
    return named;
  }
  for (const name of Object.keys(ports)) {
    const candidate = ports[name];
    if (candidate && candidate.port === port) return candidate;
  }
  throw new Error(`board: no serial port on UART ${port} in the host provider (have: ${Object.keys(ports).join(", ")})`);
}

/** A named GPIO of the board, or undefined when it has none. */
export function boardPin(name: string): number | undefined {
  return device.pin?.[name];
}

/** The board's digital IO class (`device.io.Digital`), or undefined on a board without GPIO (the simulator). */
export function boardDigital(): typeof Digital | undefined {
  return device.io?.Digital;
}
