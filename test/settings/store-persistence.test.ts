import test, { type ExecutionContext } from "ava";
import { SimNorFlash } from "../../hal/sim/flash";
import { ChangeSet, NO_VERSION } from "../../src/settings/change-set";
import { PersistUncertainError } from "../../src/settings/persistence";
import { propertyIndex } from "../../src/settings/registry";
import { isProblem } from "../../src/settings/settings";
import { StoreSettingsPersistence } from "../../src/settings/store-persistence";
import { GatewayStore } from "../../src/store/index";
import { makeSettings } from "./helpers";

function open(flash: SimNorFlash, maxSettings = 64) {
  return makeSettings(new StoreSettingsPersistence(GatewayStore.open(flash, { maxStrategies: 4, maxTasks: 4, maxSettings })));
}

test("values and versions survive a reopen of the store on the same flash", (t) => {
  const flash = new SimNorFlash({ sectorCount: 8 });
  const first = open(flash);
  const change = new ChangeSet();
  first.settings.stage(change, "timezone", "CET-1CEST,M3.5.0,M10.5.0/3", 4, "");
  first.settings.stage(change, "dst_enable", 0, NO_VERSION, "");
  first.settings.stage(change, "ramp_rate_kw_per_s", "2.5", 9, "");
  t.false(isProblem(first.settings.commit(change)));
  const second = open(flash);
  t.is(second.settings.values.timezone, "CET-1CEST,M3.5.0,M10.5.0/3");
  t.is(second.settings.values.dst_enable, false);
  t.is(second.settings.values.ramp_rate_kw_per_s, 2.5);
  t.is(second.settings.appliedVersion(propertyIndex("timezone")), 4);
  t.is(second.settings.appliedVersion(propertyIndex("ramp_rate_kw_per_s")), 9);
  t.is(second.settings.appliedVersion(propertyIndex("dst_enable")), NO_VERSION);
  t.is(second.counters.value("settings_persisted_invalid"), 0);
});

test("a full collection refuses the commit: nothing changed in RAM or on flash", (t) => {
  const flash = new SimNorFlash({ sectorCount: 8 });
  const { settings, counters } = open(flash, 2);
  const change = new ChangeSet();
  for (const [name, value] of [["report_interval_s", 30], ["log_level", 3], ["soc_min_pct", 20]] as const) settings.stage(change, name, value, NO_VERSION, "");
  const outcome = settings.commit(change);
  t.true(isProblem(outcome));
  t.regex(isProblem(outcome) ? outcome.message : "", /COLLECTION_FULL.*nothing changed/);
  t.is(counters.value("settings_persist_failures"), 1);
  t.is(settings.values.report_interval_s, 60);
  t.is(open(flash, 2).settings.values.report_interval_s, 60);
});

/** Cut the power at every flash operation of one commit on a copy of `base`; check all-or-nothing after each. */
function cutCampaign(t: ExecutionContext, base: SimNorFlash, label: string, expectedLatitude: number): { cuts: number; erases: number } {
  let cuts = 0;
  let erases = 0;
  for (let cut = 1; ; cut++) {
    const flash = base.clone(cut);
    const before = open(flash);
    const change = new ChangeSet();
    before.settings.stage(change, "report_interval_s", 30, 1_000, "");
    before.settings.stage(change, "soc_max_pct", 80, 1_001, "");
    const erasesBefore = flash.erases;
    flash.cutAfter(cut);
    const outcome = before.settings.commit(change);
    if (flash.isPowered) {
      t.false(isProblem(outcome));
      return { cuts, erases };
    }
    cuts++;
    erases += flash.erases - erasesBefore;
    const where = `${label} cut ${cut}`;
    t.true(isProblem(outcome), where);
    flash.powerOn();
    const after = open(flash).settings;
    const applied = after.values.report_interval_s === 30;
    t.is(after.values.soc_max_pct, applied ? 80 : 95, where);
    t.is(after.appliedVersion(propertyIndex("report_interval_s")), applied ? 1_000 : NO_VERSION, where);
    t.is(after.appliedVersion(propertyIndex("soc_max_pct")), applied ? 1_001 : NO_VERSION, where);
    t.is(after.values.site_latitude, expectedLatitude, where);
  }
}

test("a power cut at every flash operation of a commit leaves all of it or none of it (sector collection included)", (t) => {
  const chip = new SimNorFlash({ sectorCount: 4, seed: 3 });
  const warm = open(chip);
  let total = cutCampaign(t, chip, "fresh", 31.23);
  let collecting = 0;
  for (let i = 0; i < 600 && collecting < 3; i++) {
    const snapshot = chip.clone(i + 100);
    const erasesBefore = chip.erases;
    const change = new ChangeSet();
    warm.settings.stage(change, "report_interval_s", 100 + (i % 50), NO_VERSION, "");
    warm.settings.stage(change, "site_latitude", i % 90, i, "");
    t.false(isProblem(warm.settings.commit(change)));
    if (chip.erases > erasesBefore) {
      // This commit collected a sector: cut the same commit at each of its operations on the snapshot.
      collecting++;
      const result = cutCampaign(t, snapshot, `commit ${i}`, i === 0 ? 31.23 : (i - 1) % 90);
      total = { cuts: total.cuts + result.cuts, erases: total.erases + result.erases };
    }
  }
  t.log(`${total.cuts} cut points, ${total.erases} of them erases`);
  t.is(collecting, 3, "the warm-up reached sector collection");
  t.true(total.erases > 0);
});

test("PersistUncertainError makes the refusal say the outcome is unknown", (t) => {
  const { settings } = makeSettings({
    load: () => ({ values: {}, versions: {} }),
    commit: () => {
      throw new PersistUncertainError("STORE_FAILED: program did not read back");
    },
  });
  const change = new ChangeSet();
  settings.stage(change, "log_level", 0, NO_VERSION, "");
  const outcome = settings.commit(change);
  t.regex(isProblem(outcome) ? outcome.message : "", /the store failed while writing the settings \(STORE_FAILED: .*\); the outcome shows after it is reopened/);
});
