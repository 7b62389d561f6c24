/** The NOR model's additions for the store (issue 4): mixed tears, clone, wear limit, impossible-program counter. */
import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";

function tornProgram(seed: number): Uint8Array {
  const flash = new SimNorFlash({ sectorCount: 1, seed, tearMode: "mixed" });
  flash.cutAfter(1);
  expectCut(() => flash.program(0, new Uint8Array(256), 0, 256));
  flash.powerOn();
  return flash.cells.slice(0, 256);
}

function expectCut(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof PowerCut) return;
    throw error;
  }
  throw new Error("expected a power cut");
}

test("mixed tears: a cut program leaves a programmed prefix, or bits cleared anywhere in the range", (t) => {
  let prefixShaped = 0;
  let scattered = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const cells = tornProgram(seed);
    const firstNonZero = cells.findIndex((b) => b !== 0);
    const tail = firstNonZero < 0 ? [] : [...cells.subarray(firstNonZero + 1)];
    if (tail.every((b) => b === 0xff)) prefixShaped++;
    else scattered++;
    t.true(cells.every((b) => (b & ~0xff) === 0));
  }
  t.true(prefixShaped > 5 && scattered > 5, `${prefixShaped} prefix-shaped, ${scattered} scattered`);
});

test("mixed tears: a cut erase leaves noise, a partly erased sector with old data after it, or old data with bits raised", (t) => {
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 40; seed++) {
    const flash = new SimNorFlash({ sectorCount: 1, seed, tearMode: "mixed" });
    flash.program(0, new Uint8Array(4096).fill(0x00), 0, 4096);
    flash.cutAfter(1);
    expectCut(() => flash.eraseSector(0));
    const cells = flash.cells;
    const ff = cells.filter((b) => b === 0xff).length;
    const zero = cells.filter((b) => b === 0).length;
    t.true(ff < 4096, "never a clean erase");
    if (zero + ff === 4096 && cells.indexOf(0) === ff) outcomes.add("prefix erased, old data after");
    else if (zero > 0 && ff > 0 && ff + zero < 4096) outcomes.add("noise or raised bits");
    else outcomes.add("other");
    t.is(flash.eraseCounts[0], 1, "a torn erase still wears the sector");
  }
  t.true(outcomes.has("prefix erased, old data after") && outcomes.has("noise or raised bits"), [...outcomes].join(", "));
});

test("clone forks content, wear and operation count; the fork tears on its own", (t) => {
  const flash = new SimNorFlash({ sectorCount: 2, seed: 4, tearMode: "mixed" });
  flash.program(0, Uint8Array.of(1, 2, 3), 0, 3);
  flash.eraseSector(1);
  const fork = flash.clone(99);
  t.deepEqual(fork.cells, flash.cells);
  t.deepEqual([...fork.eraseCounts], [0, 1]);
  t.is(fork.operations, flash.operations);
  fork.cutAfter(1);
  expectCut(() => fork.eraseSector(0));
  t.false(fork.isPowered);
  t.true(flash.isPowered, "the original is untouched");
  t.deepEqual([...flash.cells.subarray(0, 3)], [1, 2, 3]);
  flash.cutAfter(1);
  flash.cancelCut();
  flash.program(8, Uint8Array.of(0), 0, 1);
  t.is(flash.cells[8], 0, "a cancelled cut does not happen");
});

test("programs that would need to set a bit are counted; past the endurance, programs fail to clear bits", (t) => {
  const flash = new SimNorFlash({ sectorCount: 1, endurance: 2, seed: 1 });
  flash.program(0, Uint8Array.of(0x0f), 0, 1);
  flash.program(0, Uint8Array.of(0xf0), 0, 1);
  t.is(flash.bitSetAttempts, 1);
  t.is(flash.cells[0], 0x00);
  for (let i = 0; i < 3; i++) flash.eraseSector(0);
  flash.program(0, new Uint8Array(64), 0, 64);
  t.true(flash.cells.subarray(0, 64).some((b) => b !== 0), "a worn sector leaves bits set");
  t.is(flash.maxEraseCount(), 3);
});
