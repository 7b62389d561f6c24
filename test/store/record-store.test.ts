import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { Counters } from "../../src/core/counters";
import { isStoreError, StoreError, type StoreErrorCode } from "../../src/store/errors";
import { RecordStore, type RecordStoreOptions } from "../../src/store/record-store";
import { dump, hex } from "./helpers";

const OPTIONS: RecordStoreOptions = {
  collections: [
    { id: 1, name: "alpha", capacity: 8 },
    { id: 2, name: "beta", capacity: 200 },
  ],
  maxKeyBytes: 16,
  maxValueBytes: 600,
  maxTxRecords: 32,
  maxTxBytes: 4096,
};

const k = (text: string): Uint8Array => new TextEncoder().encode(text);
const v = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);

function get(store: RecordStore, c: number, key: string): string | null {
  const out = new Uint8Array(4096);
  const bytes = k(key);
  const n = store.get(c, bytes, 0, bytes.length, out, 0);
  return n < 0 ? null : hex(out, 0, n);
}

function put(store: RecordStore, c: number, key: string, value: Uint8Array): void {
  const bytes = k(key);
  store.put(c, bytes, 0, bytes.length, value, 0, value.length);
}

function expectRefusal(t: import("ava").ExecutionContext, chip: SimNorFlash, store: RecordStore, code: StoreErrorCode, action: () => void): void {
  const cells = chip.cells.slice();
  const ops = chip.operations;
  const before = dump(store, [1, 2]);
  const error = t.throws(action);
  t.true(isStoreError(error, code), `${code}: got ${String(error)}`);
  t.is(chip.operations, ops, `${code}: no flash operation`);
  t.deepEqual(chip.cells, cells, `${code}: flash unchanged`);
  t.deepEqual(dump(store, [1, 2]), before, `${code}: contents unchanged`);
  const tx = store.begin();
  t.true(tx.isOpen, "the store still takes transactions");
  tx.abort();
}

test("put, get, overwrite, delete, has, count, forEachKey, and all of it after a reopen", (t) => {
  const chip = new SimNorFlash({ sectorCount: 6 });
  const store = RecordStore.open(chip, OPTIONS);
  t.is(get(store, 1, "a"), null);
  put(store, 1, "a", v(10, 1));
  put(store, 1, "b", v(0, 0));
  put(store, 2, "a", v(600, 2));
  put(store, 1, "a", v(3, 9));
  t.is(get(store, 1, "a"), "090909");
  t.is(get(store, 1, "b"), "");
  t.is(get(store, 2, "a"), "02".repeat(600));
  t.true(store.has(1, k("b"), 0, 1));
  t.is(store.count(1), 2);
  t.is(store.valueLength(2, k("a"), 0, 1), 600);
  t.true(store.delete(1, k("b"), 0, 1));
  t.false(store.delete(1, k("b"), 0, 1), "deleting an absent key reports it");
  const keys: string[] = [];
  store.forEachKey(1, (key, n) => keys.push(new TextDecoder().decode(key.subarray(0, n))));
  t.deepEqual(keys, ["a"]);
  const reopened = RecordStore.open(chip, OPTIONS);
  t.deepEqual(dump(reopened, [1, 2]), dump(store, [1, 2]));
  t.is(reopened.recovery.abandonedTransactions, 0);
  t.is(chip.bitSetAttempts, 0);
});

test("a transaction applies in order: clear then puts, duplicate keys (last wins), delete of an absent key writes nothing", (t) => {
  const chip = new SimNorFlash({ sectorCount: 6 });
  const store = RecordStore.open(chip, OPTIONS);
  for (let i = 0; i < 5; i++) put(store, 2, `old${i}`, v(20, i));
  const programs = chip.programs;
  store.transaction((tx) => {
    tx.clear(2);
    tx.put(2, k("x"), 0, 1, v(4, 1), 0, 4);
    tx.put(2, k("x"), 0, 1, v(4, 2), 0, 4);
    tx.put(2, k("y"), 0, 1, v(4, 3), 0, 4);
    tx.delete(2, k("y"), 0, 1);
    tx.delete(2, k("never"), 0, 5);
  });
  t.is(chip.programs - programs, 5, "clear + 3 puts + 1 delete; the absent delete writes nothing");
  t.deepEqual([...dump(store, [2]).entries()], [["2/78", "02020202"]]);
  t.deepEqual(dump(RecordStore.open(chip, OPTIONS), [2]), dump(store, [2]));
  const before = chip.operations;
  store.transaction((tx) => tx.delete(2, k("nothing"), 0, 7));
  t.is(chip.operations, before, "a transaction of no-op deletes touches no flash");
});

test("refusals change nothing, in RAM or on flash, and name the problem", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4 });
  const store = RecordStore.open(chip, OPTIONS);
  for (let i = 0; i < 8; i++) put(store, 1, `k${i}`, v(8, i));
  expectRefusal(t, chip, store, "COLLECTION_FULL", () => put(store, 1, "k8", v(1, 1)));
  t.throws(() => put(store, 1, "k9", v(1, 1)), { message: /alpha would hold 9 records, capacity 8/ });
  expectRefusal(t, chip, store, "RECORD_TOO_LARGE", () => put(store, 2, "x", v(601, 1)));
  expectRefusal(t, chip, store, "KEY_INVALID", () => put(store, 2, "x".repeat(17), v(1, 1)));
  expectRefusal(t, chip, store, "KEY_INVALID", () => store.put(2, k(""), 0, 0, v(1, 1), 0, 1));
  expectRefusal(t, chip, store, "UNKNOWN_COLLECTION", () => put(store, 3, "x", v(1, 1)));
  expectRefusal(t, chip, store, "TX_TOO_LARGE", () =>
    store.transaction((tx) => {
      for (let i = 0; i < 33; i++) tx.put(2, k(`m${i}`), 0, 3, v(1, 1), 0, 1);
    }),
  );
  expectRefusal(t, chip, store, "TX_TOO_LARGE", () =>
    store.transaction((tx) => {
      for (let i = 0; i < 8; i++) tx.put(2, k(`big${i}`), 0, 4, v(600, 1), 0, 600);
    }),
  );
  // A swap within a full collection is fine: capacity is checked on the result.
  store.transaction((tx) => {
    tx.delete(1, k("k0"), 0, 2);
    tx.put(1, k("k8"), 0, 2, v(1, 8), 0, 1);
  });
  t.is(store.count(1), 8);
  // Fill the flash: 4 sectors hold ~2 x 4056 bytes of live records.
  let i = 0;
  try {
    for (; i < 100; i++) put(store, 2, `fill${i}`, v(500, i));
  } catch (error) {
    t.true(isStoreError(error, "STORE_FULL"), String(error));
  }
  t.true(i > 5 && i < 30, `${i} records of 520 bytes fit`);
  expectRefusal(t, chip, store, "STORE_FULL", () => put(store, 2, "more", v(500, 1)));
  // The reserve left by every put lets a delete through, which then makes room again.
  t.true(store.delete(2, k("fill0"), 0, 5));
  put(store, 2, "more", v(400, 1));
  t.is(chip.bitSetAttempts, 0);
});

test("a failed step aborts the transaction: later steps and commit say why", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4 });
  const store = RecordStore.open(chip, OPTIONS);
  const tx = store.begin();
  tx.put(2, k("a"), 0, 1, v(1, 1), 0, 1);
  t.throws(() => store.begin(), { message: /TX_STATE: a transaction is already open/ });
  t.throws(() => tx.put(2, k("b"), 0, 1, v(700, 1), 0, 700), { message: /RECORD_TOO_LARGE/ });
  t.throws(() => tx.commit(), { message: /TX_STATE: no transaction is open/ });
  t.is(get(store, 2, "a"), null);
  t.throws(() => store.transaction(() => {
    throw new Error("handler bug");
  }), { message: "handler bug" });
  const tx2 = store.begin();
  t.true(tx2.isOpen);
  tx2.abort();
  put(store, 2, "a", v(1, 5));
  t.is(get(store, 2, "a"), "05");
});

test("worn flash is detected by read-back, the store fails loudly, and a reopen recovers the committed state", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4, endurance: 3, seed: 5 });
  const counters = new Counters();
  const options = { ...OPTIONS, counters };
  let store = RecordStore.open(chip, options);
  let failure: unknown = null;
  let committed = -1;
  for (let i = 0; i < 2000 && failure === null; i++) {
    try {
      put(store, 2, "hot", v(300, i & 0xff));
      committed = i;
    } catch (error) {
      failure = error;
    }
  }
  t.true(isStoreError(failure, "FLASH_FAILURE"), String(failure));
  t.true(store.failed);
  t.throws(() => get(store, 2, "hot"), { message: /STORE_FAILED/ });
  t.throws(() => store.begin(), { message: /STORE_FAILED/ });
  store = RecordStore.open(chip, options);
  t.true(committed > 10);
  t.is(get(store, 2, "hot"), (committed & 0xff).toString(16).padStart(2, "0").repeat(300), "the last committed value survives");
});

test("a power cut mid-commit fails the store until it is reopened", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4, seed: 2 });
  const store = RecordStore.open(chip, OPTIONS);
  put(store, 2, "a", v(10, 1));
  chip.cutAfter(1);
  t.throws(() => put(store, 2, "a", v(10, 2)), { instanceOf: PowerCut });
  chip.powerOn();
  t.throws(() => get(store, 2, "a"), { message: /STORE_FAILED: reopen the store: PowerCut/ });
  const reopened = RecordStore.open(chip, OPTIONS);
  t.true(["01".repeat(10), "02".repeat(10)].includes(get(reopened, 2, "a") ?? ""));
});

test("options that cannot work are refused up front", (t) => {
  const bad: [SimNorFlash, Partial<RecordStoreOptions>, RegExp][] = [
    [new SimNorFlash({ sectorCount: 2 }), {}, /need >= 3 sectors/],
    [new SimNorFlash({ sectorCount: 4, sectorSize: 256 }), {}, /512\.\.65536/],
    [new SimNorFlash({ sectorCount: 4 }), { maxKeyBytes: 300 }, /maxKeyBytes 300/],
    [new SimNorFlash({ sectorCount: 4 }), { maxValueBytes: 5000 }, /must fit a 4056-byte sector payload/],
    [new SimNorFlash({ sectorCount: 4 }), { maxTxBytes: 10 }, /maxTxBytes 10/],
    [new SimNorFlash({ sectorCount: 4 }), { collections: [{ id: 0, name: "zero", capacity: 1 }] }, /collection id 0/],
    [new SimNorFlash({ sectorCount: 4 }), { collections: [{ id: 1, name: "a", capacity: 1 }, { id: 1, name: "b", capacity: 1 }] }, /unique/],
    [new SimNorFlash({ sectorCount: 4 }), { collections: [{ id: 1, name: "a", capacity: 0 }] }, /capacity 0/],
  ];
  for (const [chip, override, pattern] of bad) {
    const error = t.throws(() => RecordStore.open(chip, { ...OPTIONS, ...override }));
    t.true(error instanceof StoreError && error.code === "OPTIONS_INVALID");
    t.regex(error!.message, pattern);
  }
});

test("opening never writes, even on garbage; the first commit cleans up", (t) => {
  const chip = new SimNorFlash({ sectorCount: 5, seed: 9 });
  for (let i = 0; i < chip.cells.length; i++) chip.cells[i] = (i * 2654435761) >>> 24;
  const store = RecordStore.open(chip, OPTIONS);
  t.is(chip.operations, 0);
  t.is(store.count(2), 0);
  put(store, 2, "a", v(5, 5));
  t.is(get(RecordStore.open(chip, OPTIONS), 2, "a"), "0505050505");
  t.is(chip.bitSetAttempts, 0);
});

test("records of a collection this build does not know are kept, not collected away", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4 });
  const wide = RecordStore.open(chip, { ...OPTIONS, collections: [...OPTIONS.collections, { id: 9, name: "future", capacity: 4 }] });
  wide.put(9, k("f"), 0, 1, v(30, 7), 0, 30);
  const narrow = RecordStore.open(chip, OPTIONS);
  for (let i = 0; i < 200; i++) put(narrow, 2, `n${i % 10}`, v(200, i));
  const again = RecordStore.open(chip, { ...OPTIONS, collections: [...OPTIONS.collections, { id: 9, name: "future", capacity: 4 }] });
  t.is(get(again, 9, "f"), "07".repeat(30));
  t.throws(() => get(narrow, 9, "f"), { message: /UNKNOWN_COLLECTION/ });
});

test("the record buffer is the store's largest record: a larger record written with a larger maxValueBytes reads as damaged, the rest survives", (t) => {
  const chip = new SimNorFlash({ sectorCount: 6 });
  const wide = RecordStore.open(chip, { ...OPTIONS, maxValueBytes: 1200 });
  put(wide, 1, "small", v(100, 3));
  put(wide, 1, "large", v(1100, 4));
  put(wide, 1, "after", v(50, 5));
  // Reopened by a firmware whose records are at most 600 bytes of value: its buffer cannot hold the 1100-byte one.
  const narrow = RecordStore.open(chip, OPTIONS);
  t.is(get(narrow, 1, "small"), "03".repeat(100));
  t.is(get(narrow, 1, "large"), null, "the oversized record is not read");
  t.is(get(narrow, 1, "after"), "05".repeat(50), "records after it are found again (the parser resynchronises)");
  t.true(narrow.recovery.corruptRegions >= 1, "and it is counted as damage, not hidden");
  // The same flash opened with the larger limit again still has it: nothing was erased by the narrow open.
  t.is(get(RecordStore.open(chip, { ...OPTIONS, maxValueBytes: 1200 }), 1, "large"), "04".repeat(1100));
});
