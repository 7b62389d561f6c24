/**
 * `system` in the SDK's Linux simulator (modules/io/manifests/lin/system.js, preloaded by its manifest): exports
 * nothing; installs a global `System` with `resolve` (Net.resolve), `setInterval` and `clearInterval` only: no
 * `restart`, no `deepSleep`, no `setTimeout`, and no `device` global. bundle.ts runs this body before the entry.
 */
import Timer from "timer";
import { world } from "./world";

class System {
  static resolve: (name: string, callback: (name: string, address: string | undefined) => void) => void;
  static setInterval: typeof Timer.repeat;
  static clearInterval: typeof Timer.clear;
}
System.resolve = (name, callback) => {
  world.post(() => callback(name, world.dns[name]));
};
System.setInterval = Timer.repeat;
System.clearInterval = Timer.clear;

(globalThis as unknown as { System: typeof System }).System = System;
