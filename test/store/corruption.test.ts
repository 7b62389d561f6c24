/**
 * Bit flips and garbage: every record is CRC-checked, a damaged one is skipped (the parser resynchronises on the next
 * intact record), and nothing outside the damaged bytes is lost.
 */
import test from "ava";
import { SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { isStoreError } from "../../src/store/errors";
import { SECTOR_HEADER_BYTES } from "../../src/store/format";
import { RecordStore, type RecordStoreOptions } from "../../src/store/record-store";
import { dump, hex, type Model } from "./helpers";

const OPTIONS: RecordStoreOptions = { collections: [{ id: 2, name: "docs", capacity: 300 }], maxValueBytes: 400 };
const key = (i: number): Uint8Array => Uint8Array.of(0x6b, i >> 8, i & 0xff);

/** 200 keys written once each (no older versions anywhere), values of 40..240 bytes. */
function filled(seed: number): { chip: SimNorFlash; store: RecordStore; model: Model; where: Map<string, number> } {
  const chip = new SimNorFlash({ sectorCount: 16, seed });
  const store = RecordStore.open(chip, OPTIONS);
  const random = new SeededRandom(seed);
  for (let i = 0; i < 200; i++) {
    const value = new Uint8Array(40 + random.nextInt(200));
    random.fill(value, 0, value.length);
    store.put(2, key(i), 0, 3, value, 0, value.length);
  }
  const where = new Map<string, number>();
  for (let i = 0; i < 200; i++) where.set(`2/${hex(key(i))}`, store.recordLocation(2, key(i), 0, 3));
  return { chip, store, model: dump(store, [2]), where };
}

/** Keys whose record covers any of the damaged offsets. */
function hitKeys(where: Map<string, number>, model: Model, damaged: number[]): Set<string> {
  const hit = new Set<string>();
  for (const [k, location] of where) {
    const size = 16 + 3 + (model.get(k)!.length >> 1);
    for (const offset of damaged) if (offset >= location && offset < location + size) hit.add(k);
  }
  return hit;
}

function checkSurvivors(t: import("ava").ExecutionContext, state: Model, model: Model, hit: Set<string>): void {
  for (const [k, value] of model) {
    if (hit.has(k)) t.false(state.has(k), `${k} was damaged and must not come back wrong`);
    else t.is(state.get(k), value, `${k} untouched`);
  }
  t.is(state.size, model.size - hit.size);
}

test("flipped bits in records: exactly the damaged records are skipped, every other one is intact", (t) => {
  const { chip, model, where } = filled(1);
  const random = new SeededRandom(11);
  const damaged: number[] = [];
  const locations = [...where.values()];
  for (let i = 0; i < 12; i++) {
    // Hit headers, keys and values of random records.
    const location = locations[random.nextInt(locations.length)];
    const offset = location + random.nextInt(60);
    chip.corrupt(offset, 1 << random.nextInt(8));
    damaged.push(offset);
  }
  const hit = hitKeys(where, model, damaged);
  const store = RecordStore.open(chip, OPTIONS);
  t.true(store.recovery.corruptRegions >= 1);
  t.true(store.counters.value("store_corrupt_regions") >= 1);
  checkSurvivors(t, dump(store, [2]), model, hit);
  // It keeps working: overwrite everything, reopen, all readable.
  for (let i = 0; i < 200; i++) store.put(2, key(i), 0, 3, Uint8Array.of(i), 0, 1);
  const state = dump(RecordStore.open(chip, OPTIONS), [2]);
  t.is(state.size, 200);
  for (let i = 0; i < 200; i++) t.is(state.get(`2/${hex(key(i))}`), hex(Uint8Array.of(i)));
});

test("a sector of garbage loses only its own records; the ring later erases it", (t) => {
  const { chip, store: before, model, where } = filled(2);
  const stats = before.stats();
  const victim = (stats.headSector + chip.sectorCount - 3) % chip.sectorCount; // a live sector, not the head
  const random = new SeededRandom(5);
  const start = victim * chip.sectorSize;
  for (let i = SECTOR_HEADER_BYTES; i < chip.sectorSize; i++) chip.cells[start + i] = random.nextU32() & 0xff;
  const damaged: number[] = [];
  for (let i = SECTOR_HEADER_BYTES; i < chip.sectorSize; i++) damaged.push(start + i);
  const hit = hitKeys(where, model, damaged);
  t.true(hit.size >= 5, `${hit.size} records lived in the sector`);
  const store = RecordStore.open(chip, OPTIONS);
  checkSurvivors(t, dump(store, [2]), model, hit);
  // Writing on: the garbage sector comes round, is collected (nothing to copy) and erased.
  for (let i = 0; i < 3000; i++) store.put(2, key(i % 150), 0, 3, Uint8Array.of(i & 0xff, 1, 2), 0, 3);
  const again = RecordStore.open(chip, OPTIONS);
  t.is(again.recovery.corruptRegions, 0, "the garbage is gone");
  t.is(again.count(2), 150 + [...model.keys()].filter((k) => Number.parseInt(k.slice(4), 16) >= 150 && !hit.has(k)).length);
});

test("one damaged header copy is enough: the other copy keeps the sector", (t) => {
  const { chip, model } = filled(3);
  for (let s = 0; s < chip.sectorCount; s++) chip.corrupt(s * chip.sectorSize + 5, 0x10); // copy A's sequence
  const store = RecordStore.open(chip, OPTIONS);
  t.deepEqual(dump(store, [2]), model);
});

test("a flipped commit record: the next transaction's back reference still proves the commit", (t) => {
  const chip = new SimNorFlash({ sectorCount: 6 });
  const store = RecordStore.open(chip, OPTIONS);
  const put = (tx: ReturnType<RecordStore["begin"]>, i: number, fill: number): void => tx.put(2, key(i), 0, 3, new Uint8Array(20).fill(fill), 0, 20);
  store.transaction((tx) => {
    put(tx, 1, 1);
    put(tx, 2, 1);
    put(tx, 3, 1);
  });
  const commitRecord = store.recordLocation(2, key(3), 0, 3);
  store.transaction((tx) => put(tx, 4, 1));
  chip.corrupt(commitRecord + 30, 0x04);
  const recovered = dump(RecordStore.open(chip, OPTIONS), [2]);
  t.deepEqual([...recovered.keys()].sort(), ["2/6b0001", "2/6b0002", "2/6b0004"], "records 1 and 2 of the transaction stay; only the damaged one is lost");
});

test("the last transaction's flipped commit record makes it not committed (documented limit)", (t) => {
  const chip = new SimNorFlash({ sectorCount: 6 });
  const store = RecordStore.open(chip, OPTIONS);
  store.transaction((tx) => {
    tx.put(2, key(1), 0, 3, Uint8Array.of(1), 0, 1);
    tx.put(2, key(2), 0, 3, Uint8Array.of(2), 0, 1);
  });
  chip.corrupt(store.recordLocation(2, key(2), 0, 3) + 17, 0x01);
  const recovered = RecordStore.open(chip, OPTIONS);
  t.is(recovered.count(2), 0);
  t.is(recovered.recovery.abandonedTransactions, 1);
});

test("a record damaged after boot: reads fail with CORRUPT, GC drops it and counts the loss", (t) => {
  const { chip, store, model } = filled(4);
  const location = store.recordLocation(2, key(10), 0, 3);
  chip.corrupt(location + 25, 0x80);
  const out = new Uint8Array(400);
  const error = t.throws(() => store.get(2, key(10), 0, 3, out, 0));
  t.true(isStoreError(error, "CORRUPT"));
  t.is(store.counters.value("store_corrupt_reads"), 1);
  t.is(store.get(2, key(11), 0, 3, out, 0), model.get("2/6b000b")!.length / 2, "neighbours read fine");
  // Enough writes for the ring to come round to the damaged record's sector.
  for (let i = 0; i < 3000; i++) store.put(2, key(200 + (i % 50)), 0, 3, Uint8Array.of(i & 0xff), 0, 1);
  t.false(store.has(2, key(10), 0, 3));
  t.is(store.counters.value("store_records_lost"), 1);
  t.is(RecordStore.open(chip, OPTIONS).count(2), 249);
});
