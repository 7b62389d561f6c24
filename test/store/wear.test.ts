/**
 * Wear levelling: the ring erases every sector once per trip, static data included (it is copied forward), so after
 * 100,000 updates of one small record, with strategies and tasks sitting still next to it, erase counts are level.
 */
import test from "ava";
import { SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { GatewayStore } from "../../src/store/index";
import { realisticStrategy, realisticTask } from "./fixtures";

test("100,000 updates: the most-erased sector has at most twice the erases of the least-erased", (t) => {
  const chip = new SimNorFlash({ sectorSize: 4096, sectorCount: 16 });
  const db = GatewayStore.open(chip, { maxStrategies: 64, maxTasks: 256 });
  const random = new SeededRandom(7);
  // Static data that a naive store would leave pinned to its sectors forever.
  for (let i = 0; i < 32; i++) db.transaction((tx) => tx.strategies.create(realisticStrategy(random, i + 1)));
  for (let i = 0; i < 128; i++) db.transaction((tx) => tx.tasks.put(String(i), realisticTask(random, String(i))));
  const programsBefore = chip.programs + chip.erases;
  for (let i = 0; i < 100_000; i++) db.peak.set(202400 + (i % 12), i * 0.5);
  const counts = [...chip.eraseCounts];
  const max = chip.maxEraseCount();
  const min = chip.minEraseCount();
  t.log(`erase counts after 100,000 updates: ${counts.join(" ")} (min ${min}, max ${max}); flash ops per update ${((chip.programs + chip.erases - programsBefore) / 100_000).toFixed(3)}`);
  t.true(min > 0);
  t.true(max <= 2 * min, `max ${max} <= 2 x min ${min}`);
  t.true(max - min <= 1, "the ring keeps them within one erase");
  const reopened = GatewayStore.open(chip, { maxStrategies: 64, maxTasks: 256 });
  t.deepEqual([reopened.peak.month, reopened.peak.value], [202400 + (99_999 % 12), 99_999 * 0.5]);
  t.is(reopened.strategies.size, 32);
  t.is(reopened.tasks.size, 128);
});
