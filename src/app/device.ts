/**
 * The device bundle's entry: `start()` boots the gateway on Moddable XS (ESP32). Nothing runs at module top level
 * (a preloaded module that calls native code at its top level fails to link on Moddable); `device/main.js` calls
 * `start()`, once.
 *
 * The module keeps no state (no "already started" guard): it is preloaded into flash, where a module variable
 * would cost a RAM alias and be the one piece of mutable module state in the firmware. Calling `start()` again
 * boots a second firmware over the same hardware; only `main` calls it, at boot.
 */
import config from "mc/config";
import { createModdableHal } from "../../hal/moddable/index";
import { DEFAULT_CONFIG, resolveConfig } from "../config/gateway-config";
import { bootFirmware, type Firmware } from "./firmware";

export function start(): Firmware {
  // mc/config also carries the SDK's own keys (sntp, tls, ssid, password): pass on only the gateway's sections,
  // since resolveConfig refuses unknown keys.
  const layer: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG)) if (key in config) layer[key] = config[key];
  const resolved = resolveConfig(layer);
  return bootFirmware(createModdableHal(resolved), resolved);
}
