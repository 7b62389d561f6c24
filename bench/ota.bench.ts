/**
 * OTA figures: what a signature check and a download tick cost in the real XS engine (deterministic steps and heap
 * slots), the live memory the OTA parts take, and a whole update on the simulated HAL in XS.
 */
import { startXsWithEntry } from "../test/helpers/xs";
import { fixedScenarioInput } from "../test/ota/fixed-signature";

export default async function otaBench(): Promise<Record<string, number>> {
  const { xs } = await startXsWithEntry(new URL("../test/xs/ota-entry.ts", import.meta.url).pathname);
  try {
    // A fixed key, image and signature: the P-256 step figure is the same on every run (test/ota/fixed-signature.ts).
    const input = fixedScenarioInput(25);
    const verify = await xs.run(`otaXs.verify(${JSON.stringify(input.publicKeyHex)}, ${JSON.stringify(input.sha256)}, ${JSON.stringify(input.signature)}, 32)`);
    const units = (verify.replies[0] as { units: number }).units;
    const beforeBody = (await xs.run("gc()")).heapSlots;
    await xs.run("otaXs.prepareBody()");
    const afterBody = (await xs.run("gc()")).heapSlots;
    await xs.run("otaXs.pump(4)");
    const tick = await xs.measure("otaXs.pump(0)", "otaXs.pump(20)");
    const scenario = await xs.run(`otaXs.scenario(${JSON.stringify(input)})`);
    return {
      ota_xs_steps_p256_verify: verify.compute,
      ota_xs_steps_per_verify_unit: Math.round(verify.compute / units),
      ota_xs_steps_download_tick_4k: Math.round(tick.steps / 20),
      ota_xs_heap_slots_per_20_download_ticks: tick.heapSlots,
      ota_xs_heap_slots_downloader_setup: afterBody - beforeBody,
      ota_xs_steps_sim_update_100k: scenario.compute,
    };
  } finally {
    await xs.close();
  }
}
