/**
 * A deterministic store workload that runs unchanged in Node and in XS (no Node APIs): fill a 64 KiB partition with
 * 64 strategies and 256 tasks, churn, reboot, and cut the power at each flash operation of a replace-all command.
 * Node and XS must produce the identical summary (state digest, flash operation counts, cut outcomes).
 */
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { CRC32_INIT, crc32Final, crc32Update } from "../../src/store/crc32";
import { GatewayStore, type GatewayStoreOptions } from "../../src/store/index";
import { realisticStrategy, realisticTask } from "./fixtures";

export const XS_OPTIONS: GatewayStoreOptions = { maxStrategies: 64, maxTasks: 256 };

export interface ScenarioSummary {
  digest: string;
  strategies: number;
  tasks: number;
  nextId: number;
  peak: [number, number];
  programs: number;
  erases: number;
  liveBytes: number;
  /** One letter per cut point: B = state before the command, A = after, X = neither (a failure). */
  cuts: string;
  recoveredAfterReboot: boolean;
  /** The command without a cut really changes the state (so "B" and "A" are distinguishable). */
  setChangesState: boolean;
}

/** CRC of every collection's content in a fixed order: equal digests mean equal stores. */
export function digest(db: GatewayStore): string {
  const parts: string[] = [];
  for (const id of db.strategies.keys().sort((a, b) => a - b)) parts.push(`s${id}=${db.strategies.getJson(id)}`);
  for (const id of db.tasks.keys().sort()) parts.push(`t${id}=${db.tasks.getJson(id)}`);
  for (const name of db.settings.keys().sort()) parts.push(`c${name}=${JSON.stringify(db.settings.get(name))}`);
  const desired = db.desired.entries();
  for (const name of Object.keys(desired).sort()) parts.push(`d${name}=${desired[name]}`);
  parts.push(`n=${db.nextStrategyId()} p=${db.peak.month}/${db.peak.value}`);
  // Part by part with the native encoder: XS indexes non-ASCII strings in O(n), so one big string would be slow.
  const encoder = new TextEncoder();
  let crc = CRC32_INIT;
  for (const part of parts) {
    const bytes = encoder.encode(part + "\n");
    crc = crc32Update(crc, bytes, 0, bytes.length);
  }
  return crc32Final(crc).toString(16);
}

/** A store loaded like a busy gateway: 64 strategies, 256 tasks, replies, settings. */
export function loadedStore(seed: number): { chip: SimNorFlash; db: GatewayStore; random: SeededRandom } {
  const chip = new SimNorFlash({ sectorSize: 4096, sectorCount: 16, tearMode: "mixed", seed });
  const db = GatewayStore.open(chip, XS_OPTIONS);
  const random = new SeededRandom(seed);
  let mid = 0;
  for (let i = 0; i < 64; i++) {
    db.transaction((tx) => {
      tx.strategies.create(realisticStrategy(random, tx.strategies.nextId()));
      tx.replies.put(`mid-${mid++}`, '{"code":200}');
    });
  }
  for (let batch = 0; batch < 16; batch++) {
    db.transaction((tx) => {
      for (let i = 0; i < 16; i++) {
        const taskId = String(1000 + batch * 16 + i);
        tx.tasks.put(taskId, realisticTask(random, taskId));
      }
      tx.replies.put(`mid-${mid++}`, '{"res":1}');
    });
  }
  db.transaction((tx) => {
    tx.settings.set("timezone", "CST-8");
    tx.desired.set("timezone", 3);
  });
  return { chip, db, random };
}

export function scenario(seed: number): ScenarioSummary {
  const { chip, db, random } = loadedStore(seed);
  for (let i = 0; i < 300; i++) {
    const r = random.nextInt(4);
    if (r === 0) db.transaction((tx) => tx.strategies.put(1 + random.nextInt(64), realisticStrategy(random, 0)));
    else if (r === 1) {
      const taskId = String(1000 + random.nextInt(256));
      db.transaction((tx) => tx.tasks.put(taskId, realisticTask(random, taskId)));
    } else if (r === 2) db.peak.set(202400 + random.nextInt(12), random.nextInt(100000) / 10);
    else db.transaction((tx) => tx.desired.set(`p${random.nextInt(8)}`, i));
  }
  const expected = digest(db);
  const rebooted = GatewayStore.open(chip, XS_OPTIONS);
  const recoveredAfterReboot = digest(rebooted) === expected;

  // A replace-all SET (clear + 16 tasks + reply), cut at each of its flash operations in turn.
  const setTasks = (target: GatewayStore): void =>
    target.transaction((tx) => {
      tx.tasks.clear();
      for (let i = 0; i < 16; i++) tx.tasks.put(`set-${i}`, realisticTask(new SeededRandom(i), `set-${i}`));
      tx.replies.put("mid-set", '{"res":1}');
    });
  const probe = chip.clone(1);
  const operations = probe.operations;
  setTasks(GatewayStore.open(probe, XS_OPTIONS));
  const after = digest(GatewayStore.open(probe, XS_OPTIONS));
  const total = probe.operations - operations;
  let cuts = "";
  for (let cut = 1; cut <= total; cut++) {
    const fork = chip.clone(100 + cut);
    const store = GatewayStore.open(fork, XS_OPTIONS);
    fork.cutAfter(cut);
    try {
      setTasks(store);
    } catch (error) {
      if (!(error instanceof PowerCut)) throw error;
    }
    fork.powerOn();
    const state = digest(GatewayStore.open(fork, XS_OPTIONS));
    cuts += state === expected ? "B" : state === after ? "A" : "X";
  }
  const stats = db.records.stats();
  return {
    digest: expected,
    strategies: db.strategies.size,
    tasks: db.tasks.size,
    nextId: db.nextStrategyId(),
    peak: [db.peak.month, db.peak.value],
    programs: chip.programs,
    erases: chip.erases,
    liveBytes: stats.liveBytes,
    cuts,
    recoveredAfterReboot,
    setChangesState: after !== expected,
  };
}
