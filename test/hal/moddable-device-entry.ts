/**
 * The device bundle's entry as mcconfig would run it: `start()` from src/app/device.ts, with mc/config and every
 * Moddable module replaced by what stands in for it on one platform (test/hal/moddable-fakes/bundle.ts: "esp32" or
 * "lin"), in the real XS engine. Driven by test/hal/moddable-device.test.ts through `globalThis.deviceTest`.
 */
import { start } from "../../src/app/device";
import type { Firmware } from "../../src/app/firmware";
import { world } from "./moddable-fakes/world";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

let firmware: Firmware | null = null;

const deviceTest = {
  start(): void {
    world.now = 1000;
    firmware = start();
  },
  run(ms: number): void {
    world.run(ms);
  },
  status(): void {
    if (!firmware) throw new Error("deviceTest: start first");
    const status = firmware.gateway.status();
    issueCommand(new TextEncoder().encode(JSON.stringify({ status, mqtt: firmware.link.session.status().state })).buffer as ArrayBuffer);
  },
  /** start() keeps no "already started" state (src/app/device.ts): a second call builds a second HAL. */
  secondStart(): void {
    let error = "no error";
    try {
      start();
    } catch (caught) {
      error = (caught as Error).message;
    }
    issueCommand(new TextEncoder().encode(JSON.stringify({ error })).buffer as ArrayBuffer);
  },
};

(globalThis as unknown as { deviceTest: typeof deviceTest }).deviceTest = deviceTest;
