/**
 * Power cut at every flash operation of a seeded workload (the littlefs / ESP-IDF NVS method, fork style): before
 * each program or erase of the main run, the chip is cloned, that one operation tears on the clone (prefix, scattered
 * bits, partial or noisy erase), and the clone is recovered. The recovered state must equal exactly the state before
 * or after the transaction in flight (all-or-nothing; everything committed earlier present), the store must keep
 * working (two more transactions, checked), and a second recovery must agree. The main run also suffers real cuts now
 * and then, so cleanup after recovery (dirty sectors, dropped heads) is itself cut at every operation.
 *
 * Default: >= 10,000 cut points in two geometries. STORE_CUTS=100000 for a long run.
 */
import test from "ava";
import { PowerCut, SimNorFlash } from "../../hal/sim/flash";
import { SeededRandom } from "../../hal/sim/random";
import { RecordStore, type RecordStoreOptions } from "../../src/store/record-store";
import { ProbeFlash, Workload, applyOps, describeDiff, dump, replay, runOps, sameModel, type Model, type WorkloadShape } from "./helpers";

const TOTAL_CUTS = Number(process.env.STORE_CUTS ?? 11_000);

interface Campaign {
  sectorSize: number;
  sectorCount: number;
  options: RecordStoreOptions;
  shape: WorkloadShape;
  seed: number;
  cuts: number;
  /** Percent of steps that also get a real cut on the main chip. */
  realCutPercent: number;
}

interface CampaignResult {
  cutPoints: number;
  steps: number;
  committed: number;
  refused: number;
  realCuts: number;
  forkStats: { droppedHeads: number; abandoned: number; before: number; after: number };
  counters: Record<string, number>;
  failures: string[];
}

function campaign(config: Campaign): CampaignResult {
  const collections = config.options.collections.map((c) => c.id);
  const chip = new SimNorFlash({ sectorSize: config.sectorSize, sectorCount: config.sectorCount, tearMode: "mixed", seed: config.seed });
  const probe = new ProbeFlash(chip);
  let store = RecordStore.open(probe, config.options);
  let model: Model = new Map();
  const work = new Workload(config.seed, config.shape);
  const side = new SeededRandom(config.seed ^ 0x5bd1e995);
  const result: CampaignResult = {
    cutPoints: 0,
    steps: 0,
    committed: 0,
    refused: 0,
    realCuts: 0,
    forkStats: { droppedHeads: 0, abandoned: 0, before: 0, after: 0 },
    counters: {},
    failures: [],
  };
  let before: Model = model;
  let after: Model = model;
  const fail = (message: string): void => {
    if (result.failures.length < 10) result.failures.push(message);
  };

  probe.beforeMutation = (op) => {
    const cut = ++result.cutPoints;
    const fork = chip.clone(cut * 7919 + config.seed);
    fork.cutAfter(1);
    try {
      replay(fork, op);
      fail(`cut ${cut}: the fork did not tear`);
      return;
    } catch (error) {
      if (!(error instanceof PowerCut)) throw error;
    }
    fork.powerOn();
    const recovered = RecordStore.open(fork, config.options);
    if (recovered.recovery.droppedHead) result.forkStats.droppedHeads++;
    result.forkStats.abandoned += recovered.recovery.abandonedTransactions;
    const state = dump(recovered, collections);
    let expected: Model;
    if (sameModel(state, after)) {
      expected = after;
      result.forkStats.after++;
    } else if (sameModel(state, before)) {
      expected = before;
      result.forkStats.before++;
    } else {
      fail(`cut ${cut} (${op.kind}): neither before nor after: vs after ${describeDiff(state, after)} | vs before ${describeDiff(state, before)}`);
      return;
    }
    // The recovered store keeps working (its first writes also clean up what the cut left).
    const follow = new Workload(cut, config.shape);
    let m = expected;
    for (let i = 0; i < 2; i++) {
      const ops = follow.step();
      if (runOps(recovered, ops)) m = applyOps(m, ops);
    }
    const afterFollow = dump(recovered, collections);
    if (!sameModel(afterFollow, m)) fail(`cut ${cut}: after follow-up writes: ${describeDiff(afterFollow, m)}`);
    if (cut % 3 === 0) {
      const again = dump(RecordStore.open(fork, config.options), collections);
      if (!sameModel(again, m)) fail(`cut ${cut}: second recovery: ${describeDiff(again, m)}`);
    }
    if (fork.bitSetAttempts !== 0) fail(`cut ${cut}: the store programmed over programmed bits`);
  };

  while (result.cutPoints < config.cuts) {
    const ops = work.step();
    before = model;
    after = applyOps(model, ops);
    if (side.nextInt(100) < config.realCutPercent) chip.cutAfter(1 + side.nextInt(4));
    try {
      if (runOps(store, ops)) {
        model = after;
        result.committed++;
      } else {
        after = before;
        result.refused++;
      }
    } catch (error) {
      if (!(error instanceof PowerCut)) throw error;
      result.realCuts++;
      chip.powerOn();
      store = RecordStore.open(probe, config.options);
      const state = dump(store, collections);
      if (sameModel(state, after)) model = after;
      else if (!sameModel(state, before)) fail(`real cut at step ${result.steps}: ${describeDiff(state, after)}`);
    }
    chip.cancelCut();
    result.steps++;
  }
  probe.beforeMutation = null;
  const final = dump(RecordStore.open(probe, config.options), collections);
  if (!sameModel(final, model)) fail(`final recovery: ${describeDiff(final, model)}`);
  if (chip.bitSetAttempts !== 0) fail("the main run programmed over programmed bits");
  result.counters = store.counters.nonZero();
  return result;
}

function check(t: import("ava").ExecutionContext, result: CampaignResult, cuts: number): void {
  t.log(
    `${result.cutPoints} cut points, ${result.steps} transactions (${result.committed} committed, ${result.refused} refused), ` +
      `${result.realCuts} real cuts; forks: ${result.forkStats.before} before / ${result.forkStats.after} after, ` +
      `${result.forkStats.droppedHeads} dropped heads, ${result.forkStats.abandoned} abandoned tx; main counters ${JSON.stringify(result.counters)}`,
  );
  t.deepEqual(result.failures, []);
  t.true(result.cutPoints >= cuts);
  // The interesting paths were really exercised.
  t.true(result.forkStats.before > 0, "cuts landed inside transactions");
  t.true(result.forkStats.droppedHeads > 0, "cuts during garbage collection");
  t.true(result.forkStats.abandoned > 0, "cuts inside multi-record transactions");
  t.true(result.realCuts > 0);
  t.true(result.refused > 0, "full stores refused transactions");
}

test("power cut at every flash operation: small sectors (8 x 1 KiB), GC every few transactions", (t) => {
  const cuts = Math.round(TOTAL_CUTS * 0.75);
  const result = campaign({
    sectorSize: 1024,
    sectorCount: 8,
    options: {
      collections: [
        { id: 1, name: "alpha", capacity: 24 },
        { id: 2, name: "beta", capacity: 12 },
        { id: 3, name: "gamma", capacity: 5 },
      ],
      maxKeyBytes: 16,
      maxValueBytes: 200,
      maxTxRecords: 16,
      maxTxBytes: 4096,
    },
    shape: { keySpace: { 1: 24, 2: 12, 3: 7 }, maxValue: 190, maxOps: 8 },
    seed: 1001,
    cuts,
    realCutPercent: 2,
  });
  check(t, result, cuts);
  t.true((result.counters.store_gc_conditional_copies ?? 0) > 0, "GC moved keys a transaction in flight was changing");
});

test("power cut at every flash operation: production geometry (16 x 4 KiB)", (t) => {
  const cuts = Math.round(TOTAL_CUTS * 0.25);
  const result = campaign({
    sectorSize: 4096,
    sectorCount: 16,
    options: {
      collections: [
        { id: 2, name: "strategies", capacity: 64 },
        { id: 3, name: "tasks", capacity: 80 },
      ],
      maxValueBytes: 1200,
      maxTxRecords: 24,
      maxTxBytes: 16384,
    },
    shape: { keySpace: { 2: 64, 3: 80 }, maxValue: 1150, maxOps: 12, clearPercent: 1 },
    seed: 2002,
    cuts,
    realCutPercent: 8,
  });
  check(t, result, cuts);
});
