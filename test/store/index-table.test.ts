/** The index's open addressing with backward-shift deletion, against a Map, under heavy collisions. */
import test from "ava";
import { SeededRandom } from "../../hal/sim/random";
import { IndexTable, NO_ENTRY, type KeyMatcher } from "../../src/store/index-table";

test("insert/find/remove agree with a Map over 200,000 random operations, colliding hashes included", (t) => {
  const index = new IndexTable(64);
  // Keys are numbers stored as "locations"; the matcher compares them. Hashes collide on purpose (16 values).
  const matcher: KeyMatcher = { keyMatches: (location, key) => location === key[0] * 256 + key[1] };
  const model = new Map<number, number>();
  const random = new SeededRandom(12);
  const key = new Uint8Array(2);
  for (let step = 0; step < 200_000; step++) {
    const k = random.nextInt(100);
    key[0] = k >> 8;
    key[1] = k & 0xff;
    const hash = (k * 2654435761) % 16;
    const entry = index.find(1, hash, key, 0, 2, matcher);
    t.is(entry !== NO_ENTRY, model.has(k));
    if (entry === NO_ENTRY) {
      if (model.size < 64) {
        t.not(index.insert(1, hash, 2, k, k), NO_ENTRY);
        model.set(k, k);
      } else t.is(index.insert(1, hash, 2, k, k), NO_ENTRY, "full");
    } else if (random.nextInt(2) === 0) {
      index.remove(entry);
      model.delete(k);
    }
    if (step % 10_000 === 0) t.is(index.used, model.size);
  }
  t.is(index.countByCollection[1], model.size);
});
