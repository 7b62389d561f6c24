import type { Hal } from "../types";
import type { GatewayConfig } from "../../src/config/gateway-config";

// Placeholder until the adapters land (in progress in the same change): fails loudly rather than pretending.
export function createModdableHal(_config: GatewayConfig): Hal {
  throw new Error("hal/moddable: adapters not written yet");
}
