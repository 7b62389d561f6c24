/**
 * Store figures (docs/store.md). "Loaded" = a 64 KiB partition holding 64 strategies and 256 tasks of realistic size
 * (~83% of what the ring can hold), the worst case for garbage collection. Updates are of the month's peak demand
 * (one small record), the steady-state write. XS step counts include the simulated flash's byte-by-byte copies
 * (25 steps/byte read, 56 programmed); on the device those are native calls.
 */
import { SimNorFlash } from "../hal/sim/flash";
import { GatewayStore } from "../src/store/index";
import { startXsWithEntry } from "../test/helpers/xs";
import { loadedStore } from "../test/store/xs-scenario";

function flashOpsPerUpdate(chip: SimNorFlash, db: GatewayStore, count: number): number {
  const before = chip.programs + chip.erases;
  for (let i = 0; i < count; i++) db.peak.set(202400 + (i % 12), i * 0.5);
  return (chip.programs + chip.erases - before) / count;
}

export default async function storeBench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};

  const empty = new SimNorFlash({ sectorSize: 4096, sectorCount: 16 });
  const emptyDb = GatewayStore.open(empty, { maxStrategies: 64, maxTasks: 256 });
  flashOpsPerUpdate(empty, emptyDb, 1000);
  figures.flash_ops_per_update_empty_store = flashOpsPerUpdate(empty, emptyDb, 20_000);

  const loaded = loadedStore(9);
  figures.store_live_bytes_64_strategies_256_tasks = loaded.db.records.stats().liveBytes;
  flashOpsPerUpdate(loaded.chip, loaded.db, 2000);
  figures.flash_ops_per_update = flashOpsPerUpdate(loaded.chip, loaded.db, 20_000);

  const { xs } = await startXsWithEntry("test/xs/store-entry.ts");
  try {
    await xs.run("storeHarness.load(9)");
    await xs.run("storeHarness.peakUpdates(2000)");
    const updates = await xs.measure("storeHarness.peakUpdates(0)", "storeHarness.peakUpdates(1000)");
    figures.xs_steps_per_update = updates.steps / 1000;
    figures.xs_heap_slots_per_1000_updates = updates.heapSlots;
    // Spread: a plain append vs one that rotates the ring (collects a sector) in this nearly full store.
    let min = Infinity;
    let max = 0;
    const idle = (await xs.run("0")).compute;
    for (let i = 0; i < 200; i++) {
      const steps = (await xs.run("storeHarness.peakUpdates(1)")).compute - idle;
      if (steps < min) min = steps;
      if (steps > max) max = steps;
    }
    figures.xs_steps_update_append = min;
    figures.xs_steps_update_with_gc_max = max;
    const recover = await xs.measure("storeHarness.recover(0)", "storeHarness.recover(1)");
    figures.xs_steps_recover_64k = recover.steps;
    figures.xs_steps_sim_read_64k = (await xs.measure("storeHarness.readAll(0)", "storeHarness.readAll(1)")).steps;
  } finally {
    await xs.close();
  }
  return figures;
}
