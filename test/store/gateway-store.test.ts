import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { GatewayStore, isStoreError, type GatewayStoreOptions } from "../../src/store/index";
import { realisticStrategy, realisticTask } from "./fixtures";
import { ProbeFlash, replay } from "./helpers";

const OPTIONS: GatewayStoreOptions = { maxStrategies: 8, maxTasks: 16, maxReplies: 4 };

function open(chip: SimNorFlash, options = OPTIONS): GatewayStore {
  return GatewayStore.open(chip, options);
}

test("strategy ids: assigned in order, never reused after delete, across reboots", (t) => {
  const chip = new SimNorFlash({ sectorCount: 8 });
  let db = open(chip);
  t.is(db.nextStrategyId(), 1);
  const ids = [1, 2, 3].map((n) => db.transaction((tx) => tx.strategies.create({ n })));
  t.deepEqual(ids, [1, 2, 3]);
  db.transaction((tx) => tx.strategies.delete(3));
  t.is(db.transaction((tx) => tx.strategies.create({ n: 4 })), 4);
  db = open(chip);
  t.is(db.nextStrategyId(), 5);
  t.deepEqual(db.strategies.keys().sort(), [1, 2, 4]);
  t.deepEqual(db.strategies.get(4), { n: 4 });
  db.transaction((tx) => tx.strategies.clear());
  t.is(db.strategies.size, 0);
  t.is(db.transaction((tx) => tx.strategies.create({ n: 5 })), 5, "clear keeps the counter");
  // Two creates in one transaction, and an explicit id past the counter moves the counter.
  t.deepEqual(db.transaction((tx) => [tx.strategies.create({}), tx.strategies.create({})]), [6, 7]);
  db.transaction((tx) => tx.strategies.put(20, { n: 20 }));
  t.is(db.nextStrategyId(), 21);
  const error = t.throws(() => db.transaction((tx) => tx.strategies.setNextId(10)));
  t.true(isStoreError(error, "VALUE_INVALID"));
  t.regex(error!.message, /never reused/);
  t.is(open(chip).nextStrategyId(), 21);
});

test("JSON text comes back byte-identical; tasks, settings, desired versions, meta and OTA state round-trip", (t) => {
  const chip = new SimNorFlash({ sectorCount: 8 });
  const db = open(chip);
  const random = new SeededRandom(1);
  const strategy = JSON.stringify(realisticStrategy(random, 1));
  const task = JSON.stringify(realisticTask(random, "123"));
  db.transaction((tx) => {
    tx.strategies.putJson(1, strategy);
    tx.tasks.putJson("123", task);
    tx.tasks.put("124", { taskId: "124", enable: 0 });
    tx.settings.set("timezone", "CST-8");
    tx.settings.set("report_interval_s", 60);
    tx.desired.set("power", 7);
    tx.meta.set("desired.idBlock", 42);
    tx.ota.set({ state: "downloading", offset: 65536, url: "https://x/fw.bin" });
  });
  const db2 = open(chip);
  t.is(db2.strategies.getJson(1), strategy);
  t.is(db2.tasks.getJson("123"), task);
  t.deepEqual(db2.tasks.keys().sort(), ["123", "124"]);
  t.true(db2.tasks.has("124"));
  t.is(db2.tasks.get("999"), undefined);
  t.is(db2.settings.get("timezone"), "CST-8");
  t.deepEqual(db2.desired.entries(), { power: 7 });
  t.is(db2.meta.get("desired.idBlock"), 42);
  t.deepEqual(db2.otaState(), { state: "downloading", offset: 65536, url: "https://x/fw.bin" });
  db2.transaction((tx) => tx.ota.clear());
  t.is(open(chip).otaState(), undefined);
});

test("typed refusals name the problem and change nothing", (t) => {
  const chip = new SimNorFlash({ sectorCount: 8 });
  const db = open(chip);
  db.transaction((tx) => tx.tasks.put("keep", { a: 1 }));
  const cells = chip.cells.slice();
  const cases: [string, (tx: Parameters<Parameters<GatewayStore["transaction"]>[0]>[0]) => void, string, RegExp][] = [
    ["bad JSON", (tx) => tx.tasks.putJson("t1", "{nope"), "VALUE_INVALID", /tasks t1: not JSON/],
    ["NaN", (tx) => tx.tasks.put("t1", { x: NaN }), "VALUE_INVALID", /tasks t1: \$\.x: NaN/],
    ["empty key", (tx) => tx.tasks.put("", {}), "KEY_INVALID", /non-empty string/],
    ["long key", (tx) => tx.tasks.put("x".repeat(65), {}), "KEY_INVALID", /at most 64 UTF-8 bytes/],
    ["bad id", (tx) => tx.strategies.put(0, {}), "KEY_INVALID", /id 0/],
    ["too large", (tx) => tx.settings.set("blob", "x".repeat(2000)), "RECORD_TOO_LARGE", /settings blob/],
    ["non-finite version", (tx) => tx.desired.set("p", Infinity), "VALUE_INVALID", /Infinity/],
    ["peak month", (tx) => tx.peak.set(-1, 5), "VALUE_INVALID", /peak month key/],
    [
      "too many tasks",
      (tx) => {
        for (let i = 0; i < 17; i++) tx.tasks.put(`n${i}`, {});
      },
      "COLLECTION_FULL",
      /tasks would hold 18 records, capacity 16/,
    ],
  ];
  for (const [what, body, code, pattern] of cases) {
    const error = t.throws(() =>
      db.transaction((tx) => {
        tx.strategies.create({ first: true });
        tx.replies.put(`mid-${what}`, "ok");
        body(tx);
      }),
    );
    t.true(isStoreError(error), what);
    t.is((error as { code?: string }).code, code, what);
    t.regex(error!.message, pattern, what);
    t.deepEqual(chip.cells, cells, `${what}: flash unchanged`);
    t.is(db.nextStrategyId(), 1, `${what}: counter unchanged`);
    t.is(db.replies.get(`mid-${what}`), null, `${what}: no reply remembered`);
    t.is(db.peak.month, -1);
  }
  t.deepEqual(db.tasks.keys(), ["keep"]);
});

test("recent replies: capacity N, the oldest evicted in the same transaction, evictions counted, order kept across reboots", (t) => {
  const chip = new SimNorFlash({ sectorCount: 8 });
  let db = open(chip);
  for (let i = 1; i <= 4; i++) db.transaction((tx) => tx.replies.put(`m${i}`, `reply ${i}`));
  db.transaction((tx) => tx.replies.put("m2", "reply 2 again"));
  t.is(db.counters.value("store_replies_evicted"), 0, "replacing a mid evicts nothing");
  db = open(chip);
  db.transaction((tx) => tx.replies.put("m5", "reply 5"));
  t.is(db.replies.get("m1"), null, "m1 was the oldest");
  t.is(db.replies.get("m2"), "reply 2 again");
  db.transaction((tx) => {
    tx.replies.put("m6", "reply 6");
    tx.replies.put("m7", "reply 7");
  });
  t.is(db.replies.get("m3"), null);
  t.is(db.replies.get("m4"), null, "m2 was refreshed after m3 and m4");
  t.deepEqual(["m2", "m5", "m6", "m7"].map((m) => db.replies.get(m)), ["reply 2 again", "reply 5", "reply 6", "reply 7"]);
  t.is(db.counters.value("store_replies_evicted"), 3);
  t.is(db.replies.size, 4);
  t.throws(() => db.transaction((tx) => tx.replies.put("big", "x".repeat(1600))), { message: /RECORD_TOO_LARGE: recent replies big/ });
  t.is(open(chip).replies.size, 4);
});

test("peak demand: steady-state set is one record, cached, survives reboots; in a transaction it changes only on commit", (t) => {
  const chip = new SimNorFlash({ sectorCount: 8 });
  let db = open(chip);
  t.is(db.peak.month, -1);
  db.peak.set(202405, 1); // the first write on a blank partition also opens the first sector
  const programs = chip.programs;
  db.peak.set(202406, 1234.5);
  t.is(chip.programs - programs, 1);
  t.is(db.peak.value, 1234.5);
  db = open(chip);
  t.deepEqual([db.peak.month, db.peak.value], [202406, 1234.5]);
  t.throws(() =>
    db.transaction((tx) => {
      tx.peak.set(202407, 10);
      tx.tasks.put("", {});
    }),
  );
  t.deepEqual([db.peak.month, db.peak.value], [202406, 1234.5], "refused: cache unchanged");
  db.transaction((tx) => tx.peak.set(202407, 10));
  t.deepEqual([open(chip).peak.month, db.peak.month, db.peak.value], [202407, 202407, 10]);
});

test("power cut at every flash operation of create-with-reply commands: ids never reused, a reply exists exactly when its change does", (t) => {
  const chip = new SimNorFlash({ sectorSize: 4096, sectorCount: 6, tearMode: "mixed", seed: 3 });
  const probe = new ProbeFlash(chip);
  const options: GatewayStoreOptions = { maxStrategies: 16, maxTasks: 16, maxReplies: 8 };
  const db = GatewayStore.open(probe, options);
  const random = new SeededRandom(8);
  let cuts = 0;
  const problems: string[] = [];
  /** What the transaction in flight may remove, and the reply it writes (null for housekeeping). */
  let context = { mayRemove: 0, mid: null as string | null, committed: new Set<number>(), highest: 0 };
  probe.beforeMutation = (op) => {
    cuts++;
    const fork = chip.clone(cuts);
    fork.cutAfter(1);
    t.throws(() => replay(fork, op), { instanceOf: PowerCut });
    fork.powerOn();
    const recovered = GatewayStore.open(fork, options);
    const ids = recovered.strategies.keys();
    for (const id of context.committed) if (id !== context.mayRemove && !ids.includes(id)) problems.push(`cut ${cuts}: committed strategy ${id} lost`);
    const created = ids.filter((id) => !context.committed.has(id));
    if (context.mid !== null) {
      const reply = recovered.replies.get(context.mid);
      const removed = context.mayRemove !== 0 && !ids.includes(context.mayRemove);
      if (created.length > 1 || (reply === null) !== (created.length === 0) || removed !== (reply !== null && context.mayRemove !== 0)) {
        problems.push(`cut ${cuts}: reply ${reply}, created ${created}, removed ${removed}: half applied`);
      }
    } else if (created.length > 0) problems.push(`cut ${cuts}: housekeeping created ${created}`);
    // The next id handed out after recovery was never used by anything committed.
    const next = recovered.transaction((tx) => tx.strategies.create({ probe: true }));
    if (next <= context.highest || ids.includes(next)) problems.push(`cut ${cuts}: id ${next} reused`);
  };
  let highest = 0;
  for (let step = 0; step < 120; step++) {
    let committed = new Set(db.strategies.keys());
    const victim = step % 4 === 3 && committed.size > 0 ? [...committed][random.nextInt(committed.size)] : 0;
    context = { mayRemove: victim, mid: `m${step}`, committed, highest };
    const id = db.transaction((tx) => {
      if (victim !== 0) tx.strategies.delete(victim);
      const created = tx.strategies.create(realisticStrategy(random, 0));
      tx.replies.put(`m${step}`, `created ${created}`);
      return created;
    });
    highest = Math.max(highest, id);
    committed = new Set(db.strategies.keys());
    if (committed.size >= 12) {
      const oldest = Math.min(...committed);
      context = { mayRemove: oldest, mid: null, committed, highest };
      db.transaction((tx) => tx.strategies.delete(oldest));
    }
  }
  t.deepEqual(problems.slice(0, 5), []);
  t.true(cuts > 150, `${cuts} cut points`);
});
