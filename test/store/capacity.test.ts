/**
 * Capacity: a 64 KiB partition (16 x 4 KiB, the default board layout) holds 64 strategies and 256 tasks of realistic
 * size (strategy JSON ~1 KB on average, task ~0.43 KB) and still has room to collect: thousands of updates later,
 * including replace-all commands, nothing was refused.
 */
import test from "ava";
import { SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { GatewayStore, type GatewayStoreOptions } from "../../src/store/index";
import { jsonBytes, realisticStrategy, realisticTask } from "./fixtures";

const OPTIONS: GatewayStoreOptions = { maxStrategies: 64, maxTasks: 256 };
/** Tasks per command: what fits one 8 KiB MQTT packet (config.limits.maxPacketBytes) at ~0.45 KB per task. */
const TASKS_PER_COMMAND = 16;

test("64 KiB holds 64 strategies and 256 tasks of realistic size, with room to collect", (t) => {
  const chip = new SimNorFlash({ sectorSize: 4096, sectorCount: 16 });
  const db = GatewayStore.open(chip, OPTIONS);
  const random = new SeededRandom(2024);
  const strategies = new Map<number, string>();
  const tasks = new Map<string, string>();
  let jsonTotal = 0;
  let mid = 0;

  for (let i = 0; i < 64; i++) {
    db.transaction((tx) => {
      const id = tx.strategies.nextId();
      const text = JSON.stringify(realisticStrategy(random, id));
      jsonTotal += jsonBytes(JSON.parse(text));
      tx.strategies.putJson(id, text);
      strategies.set(id, text);
      tx.replies.put(`mid-${mid++}`, `{"code":200,"id":${id}}`);
    });
  }
  for (let batch = 0; batch < 256 / TASKS_PER_COMMAND; batch++) {
    db.transaction((tx) => {
      for (let i = 0; i < TASKS_PER_COMMAND; i++) {
        const taskId = String(1000 + batch * TASKS_PER_COMMAND + i);
        const text = JSON.stringify(realisticTask(random, taskId));
        jsonTotal += jsonBytes(JSON.parse(text));
        tx.tasks.putJson(taskId, text);
        tasks.set(taskId, text);
      }
      tx.replies.put(`mid-${mid++}`, '{"res":1}');
    });
  }
  const full = db.records.stats();
  t.log(
    `64 strategies + 256 tasks: ${jsonTotal} B of JSON -> ${full.liveBytes} B live on flash (${full.liveRecords} records) ` +
      `of ~${full.capacityBytes} B; ${(full.capacityBytes - full.liveBytes) / 1024} KiB left to collect into`,
  );
  t.is(db.strategies.size, 64);
  t.is(db.tasks.size, 256);
  t.true(full.liveBytes < 0.9 * full.capacityBytes, "at least 10% of the partition stays free for collection");

  // Room to collect: 3,000 more commands (updates of strategies and tasks, deletes and re-adds, replace-all SETs).
  let refused = 0;
  for (let n = 0; n < 3000; n++) {
    const r = random.nextInt(10);
    try {
      if (r < 4) {
        const id = 1 + random.nextInt(64);
        const text = JSON.stringify(realisticStrategy(random, id));
        db.transaction((tx) => {
          tx.strategies.putJson(id, text);
          tx.replies.put(`mid-${mid++}`, "ok");
        });
        strategies.set(id, text);
      } else if (r < 9) {
        const taskId = String(1000 + random.nextInt(256));
        const text = JSON.stringify(realisticTask(random, taskId));
        db.transaction((tx) => tx.tasks.putJson(taskId, text));
        tasks.set(taskId, text);
      } else {
        // SET: replace everything with one command's worth, then ADD the rest back.
        const ids = [...tasks.keys()];
        db.transaction((tx) => {
          tx.tasks.clear();
          for (const taskId of ids.slice(0, TASKS_PER_COMMAND)) tx.tasks.putJson(taskId, tasks.get(taskId)!);
        });
        for (let from = TASKS_PER_COMMAND; from < ids.length; from += TASKS_PER_COMMAND) {
          db.transaction((tx) => {
            for (const taskId of ids.slice(from, from + TASKS_PER_COMMAND)) tx.tasks.putJson(taskId, tasks.get(taskId)!);
          });
        }
      }
    } catch (error) {
      refused++;
      t.log(String(error));
    }
  }
  t.is(refused, 0);
  const reopened = GatewayStore.open(chip, OPTIONS);
  t.is(reopened.strategies.size, 64);
  t.is(reopened.tasks.size, 256);
  for (const [id, text] of strategies) t.is(reopened.strategies.getJson(id), text);
  for (const [taskId, text] of tasks) t.is(reopened.tasks.getJson(taskId), text);
  t.is(chip.bitSetAttempts, 0);
});

test("a store too full for a change refuses it with STORE_FULL and keeps the old data", (t) => {
  const chip = new SimNorFlash({ sectorSize: 4096, sectorCount: 16 });
  const db = GatewayStore.open(chip, { maxStrategies: 64, maxTasks: 256, maxSettings: 64 });
  let stored = 0;
  let error: unknown = null;
  for (let i = 0; i < 64 && error === null; i++) {
    try {
      db.transaction((tx) => tx.settings.set(`blob${i}`, "x".repeat(1400)));
      stored++;
    } catch (caught) {
      error = caught;
    }
  }
  t.regex(String(error), /STORE_FULL: the transaction needs \d+ bytes of flash/);
  // Records do not span sectors: two 1.4 KB records per 4 KiB sector, 15 sectors in use.
  t.is(stored, 30);
  const reopened = GatewayStore.open(chip, { maxStrategies: 64, maxTasks: 256, maxSettings: 64 });
  t.is(reopened.settings.size, stored);
  t.is(reopened.settings.get("blob0"), "x".repeat(1400));
  // Deleting always fits, and frees room.
  reopened.transaction((tx) => tx.settings.delete("blob0"));
  reopened.transaction((tx) => tx.settings.set("small", 1));
  t.is(GatewayStore.open(chip, { maxStrategies: 64, maxTasks: 256, maxSettings: 64 }).settings.get("small"), 1);
});
