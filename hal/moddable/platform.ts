/**
 * The SDK's `System` global. The `system` module (modules/io/system, preloaded by the SDK's IO manifest) exports
 * nothing: it installs `globalThis.System`, so importing a default from "system" fails to link (xsl: "import default
 * not found"). Its shape differs by platform: ESP32 has `resolve` and `restart`; the Linux simulator's
 * (modules/io/manifests/lin/system.js) has `resolve` and no `restart`. It is looked up at call time, never at module
 * top level, so nothing of it is captured while the gateway module is preloaded.
 */
export interface SdkSystem {
  /** DNS lookup; `address` is undefined when the name does not resolve. */
  resolve(name: string, callback: (name: string, address: string | undefined) => void): void;
  /** esp_restart() on ESP32; absent on the Linux simulator. */
  restart?: () => void;
}

export function sdkSystem(): SdkSystem {
  const found = (globalThis as { System?: SdkSystem }).System;
  if (found === undefined || typeof found.resolve !== "function") {
    throw new Error("the SDK's System global is missing: the build must include $(MODDABLE)/modules/io/manifest.json");
  }
  return found;
}
