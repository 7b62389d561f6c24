import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";

test("NOR rules: erased reads 0xFF, program only clears bits, erase restores 0xFF and counts wear", (t) => {
  const flash = new SimNorFlash({ sectorCount: 2 });
  const out = new Uint8Array(4);
  flash.read(0, out, 0, 4);
  t.deepEqual([...out], [0xff, 0xff, 0xff, 0xff]);
  flash.program(0, Uint8Array.of(0xf0, 0x0f), 0, 2);
  flash.program(0, Uint8Array.of(0xaa, 0xff), 0, 2);
  flash.read(0, out, 0, 2);
  t.deepEqual([out[0], out[1]], [0xa0, 0x0f]);
  flash.eraseSector(0);
  flash.read(0, out, 0, 2);
  t.deepEqual([out[0], out[1]], [0xff, 0xff]);
  t.is(flash.eraseCounts[0], 1);
  t.is(flash.eraseCounts[1], 0);
});

test("out-of-range access is refused with the range named", (t) => {
  const flash = new SimNorFlash({ sectorCount: 1 });
  t.throws(() => flash.read(4090, new Uint8Array(10), 0, 10), { message: /4090\+10/ });
  t.throws(() => flash.eraseSector(1), { message: /sector 1/ });
});

test("a power cut tears the scheduled operation and refuses everything after it until power-on", (t) => {
  const flash = new SimNorFlash({ sectorCount: 1, seed: 3 });
  flash.cutAfter(2);
  const data = new Uint8Array(64).fill(0x00);
  flash.program(0, data, 0, 64);
  const error = t.throws(() => flash.program(64, data, 0, 64));
  t.true(error instanceof PowerCut);
  t.throws(() => flash.program(0, data, 0, 1), { instanceOf: PowerCut }, "the chip is off after the cut");
  const out = new Uint8Array(64);
  flash.powerOn();
  flash.read(64, out, 0, 64);
  // Torn: a prefix programmed, the rest still erased (only bits could have been cleared).
  let firstErased = out.indexOf(0xff);
  if (firstErased < 0) firstErased = 64;
  t.true(out.subarray(0, Math.max(0, firstErased - 1)).every((byte) => byte === 0));
});

test("a torn erase leaves arbitrary content, not a clean sector", (t) => {
  const flash = new SimNorFlash({ sectorCount: 1, seed: 9 });
  flash.program(0, new Uint8Array(4096), 0, 4096);
  flash.cutAfter(1);
  t.throws(() => flash.eraseSector(0), { instanceOf: PowerCut });
  flash.powerOn();
  const out = new Uint8Array(4096);
  flash.read(0, out, 0, 4096);
  const erased = out.filter((byte) => byte === 0xff).length;
  t.true(erased > 0 && erased < 4096);
});

test("the seeded PRNG replays exactly and spreads values", (t) => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const seqA = Array.from({ length: 100 }, () => a.nextU32());
  const seqB = Array.from({ length: 100 }, () => b.nextU32());
  const seqC = Array.from({ length: 100 }, () => c.nextU32());
  t.deepEqual(seqA, seqB);
  t.notDeepEqual(seqA, seqC);
  const buckets = new Array(8).fill(0);
  for (let i = 0; i < 8000; i++) buckets[a.nextInt(8)]++;
  t.true(buckets.every((count) => count > 800 && count < 1200), `buckets ${buckets}`);
});
