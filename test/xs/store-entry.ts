/**
 * The store in the real XS engine: `globalThis.storeHarness` drives the deterministic scenario and the measured
 * loops (steady-state updates, boot recovery of a full 64 KiB partition). Results go back with issueCommand as JSON.
 */
import { SimNorFlash } from "../../hal/sim/flash";
import { GatewayStore } from "../../src/store/index";
import { XS_OPTIONS, loadedStore, scenario } from "../store/xs-scenario";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

let chip: SimNorFlash | null = null;
let db: GatewayStore | null = null;
const scratch = new Uint8Array(4096);

function need(): { chip: SimNorFlash; db: GatewayStore } {
  if (!chip || !db) throw new Error("storeHarness: load first");
  return { chip, db };
}

const storeHarness = {
  scenario(seed: number): void {
    reply(scenario(seed));
  },
  /** A loaded store (64 strategies, 256 tasks) for the measurements below. */
  load(seed: number): void {
    const loaded = loadedStore(seed);
    chip = loaded.chip;
    db = loaded.db;
  },
  /** `count` updates of the month's peak demand: the steady-state write path (must not allocate). */
  peakUpdates(count: number): void {
    const { db } = need();
    for (let i = 0; i < count; i++) db.peak.set(202400 + (i % 12), i * 0.5);
  },
  /** Boot recovery `count` times on the loaded partition. */
  recover(count: number): void {
    const { chip } = need();
    for (let i = 0; i < count; i++) GatewayStore.open(chip, XS_OPTIONS);
  },
  /** Read the whole partition through the simulated flash (the part of recovery that is the simulator's cost). */
  readAll(count: number): void {
    const { chip } = need();
    for (let n = 0; n < count; n++) for (let at = 0; at < chip.byteLength; at += 4096) chip.read(at, scratch, 0, 4096);
  },
  counts(): void {
    const { chip, db } = need();
    reply({ programs: chip.programs, erases: chip.erases, operations: chip.operations, sectorsUsed: db.records.stats().headSequence, stats: db.records.stats() });
  },
};

(globalThis as unknown as { storeHarness: typeof storeHarness }).storeHarness = storeHarness;
