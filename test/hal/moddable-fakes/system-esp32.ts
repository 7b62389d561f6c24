/**
 * `system` on ESP32 (modules/io/system/system.js, preloaded by modules/io/manifests/esp32/manifest.json): the
 * module exports nothing. Its body installs the global `System` (deepSleep, restart, resolve and the four timer
 * shorthands) and the global `device`, the host provider's default export deep-frozen (`Object.freeze(device,
 * true)`), which freezes the provider's objects and the IO classes it holds as well. bundle.ts runs this body
 * before the entry, as the preload does at build time.
 */
import device from "embedded:provider/builtin";
import Timer from "timer";
import { world } from "./world";

class System {
  static deepSleep(): void {
    throw new Error("fake System: deepSleep is not modelled (the HAL does not use it)");
  }
  static restart(): void {
    world.restarts++;
  }
  /** xs_system_resolve: lwIP DNS with the servers DHCP gave; the callback comes later, address undefined on failure. */
  static resolve(name: string, callback: (name: string, address: string | undefined) => void): void {
    world.post(() => callback(name, world.dns[name]));
  }
  static setTimeout(callback: () => void, delay: number): unknown {
    return Timer.set(callback, delay);
  }
  static clearTimeout(id: never): void {
    Timer.clear(id);
  }
  static setInterval(callback: () => void, delay: number): unknown {
    return Timer.repeat(callback, delay);
  }
  static clearInterval(id: never): void {
    Timer.clear(id);
  }
}

const host = globalThis as unknown as { System: typeof System; device: typeof device };
host.System = System;
host.device = (Object.freeze as (o: object, deep: boolean) => typeof device)(device, true);
