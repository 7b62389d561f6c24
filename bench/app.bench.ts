/** Foundation figures: bundle size and the idle tick's cost in the real XS engine. */
import { statSync } from "node:fs";
import { startXsWithScript } from "../test/helpers/xs";

export default async function appBench(): Promise<Record<string, number>> {
  const { xs } = await startXsWithScript("dist/xs/app.js");
  try {
    // Live slots the booted gateway keeps (after a collection), the figure that counts against the device budget.
    const beforeBoot = (await xs.run("gc()")).heapSlots;
    await xs.run(`harness.boot("{}", 1, false)`);
    const afterBoot = (await xs.run("gc()")).heapSlots;
    const ticks = await xs.measure("harness.ticks(0)", "harness.ticks(1000)");
    await xs.close();
    const firmware = await startXsWithScript("dist/xs/app.js");
    const beforeFirmware = (await firmware.xs.run("gc()")).heapSlots;
    await firmware.xs.run(`harness.bootFirmware("{}", 1, false)`);
    const afterFirmware = (await firmware.xs.run("gc()")).heapSlots;
    await firmware.xs.run("harness.runFor(10000)");
    const firmwareTicks = await firmware.xs.measure("harness.ticks(0)", "harness.ticks(1000)");
    await firmware.xs.close();
    return {
      bundle_bytes: statSync("dist/device/gateway.js").size,
      xs_steps_idle_tick: ticks.steps / 1000,
      xs_heap_slots_per_1000_idle_ticks: ticks.heapSlots,
      xs_heap_slots_after_boot: afterBoot - beforeBoot,
      xs_heap_slots_after_firmware_boot: afterFirmware - beforeFirmware,
      xs_steps_firmware_tick: firmwareTicks.steps / 1000,
      xs_heap_slots_per_1000_firmware_ticks: firmwareTicks.heapSlots,
    };
  } catch (error) {
    await xs.close();
    throw error;
  }
}
