/**
 * The device bundle's entry: `start()` boots the gateway on Moddable XS (ESP32). Nothing runs at module top level
 * (a preloaded module that calls native code at its top level fails to link on Moddable); `device/main.js` calls
 * `start()`.
 */
import config from "mc/config";
import { createModdableHal } from "../../hal/moddable/index";
import { resolveConfig } from "../config/gateway-config";
import { bootGateway, type Gateway } from "./gateway";

let gateway: Gateway | null = null;

export function start(): Gateway {
  if (gateway) return gateway;
  const resolved = resolveConfig(config);
  gateway = bootGateway(createModdableHal(resolved), resolved);
  return gateway;
}
