import test from "ava";
import { ChangeSet, NO_VERSION } from "../../src/settings/change-set";
import { MemorySettingsPersistence, type PersistedSettings, type SettingsPersistence } from "../../src/settings/persistence";
import { propertyIndex, type SettingValue } from "../../src/settings/registry";
import { isProblem } from "../../src/settings/settings";
import { makeSettings } from "./helpers";

test("a valid set is persisted, then made current, then the listener hears the changed names only", (t) => {
  const order: string[] = [];
  const memory = new MemorySettingsPersistence();
  const persistence: SettingsPersistence = {
    load: () => memory.load(),
    commit(values, versions) {
      order.push(`commit ${Object.keys(values).join(",")}`);
      memory.commit(values, versions);
    },
  };
  const { settings, listener } = makeSettings(persistence);
  settings.setListener({
    settingsChanged(values, changed) {
      order.push(`listener ${changed.join(",")} period=${values.control_period_ms}`);
      listener.settingsChanged(values, changed);
    },
  });
  const change = new ChangeSet();
  t.is(settings.stage(change, "control_period_ms", 500, NO_VERSION, "params."), null);
  t.is(settings.stage(change, "report_interval_s", "60", NO_VERSION, "params."), null); // equal to the default
  const outcome = settings.commit(change);
  t.false(isProblem(outcome));
  t.deepEqual(order, ["commit control_period_ms", "listener control_period_ms period=500"]);
  t.is(settings.values.control_period_ms, 500);
  t.deepEqual(memory.values, { control_period_ms: 500 });
});

test("one bad or unknown property refuses the whole set and changes nothing", (t) => {
  const memory = new MemorySettingsPersistence();
  const { settings, listener } = makeSettings(memory);
  const change = new ChangeSet();
  t.is(settings.stage(change, "report_interval_s", 30, NO_VERSION, "params."), null);
  t.deepEqual(settings.stage(change, "colour", "red", NO_VERSION, "params."), { refusal: "unknown", message: "params.colour: unknown property" });
  const bad = settings.stage(change, "log_level", "loud", NO_VERSION, "params.");
  t.is(bad?.refusal, "invalid");
  t.regex(bad?.message ?? "", /^params\.log_level: must be one of/);
  // The caller refuses on the first problem; nothing was committed.
  t.is(memory.commits, 0);
  t.is(settings.values.report_interval_s, 60);
  t.is(listener.calls.length, 0);
});

test("a whole-set rule is judged on the candidate: both sides of a rule may change in one set", (t) => {
  const memory = new MemorySettingsPersistence();
  const { settings, counters } = makeSettings(memory);
  const alone = new ChangeSet();
  settings.stage(alone, "control_period_ms", 1500, NO_VERSION, "");
  const refused = settings.commit(alone);
  t.true(isProblem(refused));
  t.regex(isProblem(refused) ? refused.message : "", /meter_silence_timeout_ms \(2000\) must be at least 2 x control_period_ms \(1500\)/);
  t.is(memory.commits, 0);
  t.is(counters.value("settings_refused"), 1);

  const both = new ChangeSet();
  settings.stage(both, "control_period_ms", 1500, NO_VERSION, "");
  settings.stage(both, "meter_silence_timeout_ms", 3000, NO_VERSION, "");
  const outcome = settings.commit(both);
  t.false(isProblem(outcome));
  t.is(settings.values.control_period_ms, 1500);
  t.is(settings.values.meter_silence_timeout_ms, 3000);
});

test("a store failure refuses the set: memory, versions and listener untouched", (t) => {
  const memory = new MemorySettingsPersistence();
  const { settings, listener, counters } = makeSettings(memory);
  memory.failNext = "store full";
  const change = new ChangeSet();
  settings.stage(change, "site_latitude", 10, 4, "");
  const outcome = settings.commit(change);
  t.true(isProblem(outcome));
  t.is(isProblem(outcome) ? outcome.refusal : "", "persist");
  t.regex(isProblem(outcome) ? outcome.message : "", /store full/);
  t.is(settings.values.site_latitude, 31.23);
  t.is(settings.appliedVersion(propertyIndex("site_latitude")), NO_VERSION);
  t.is(listener.calls.length, 0);
  t.is(counters.value("settings_persist_failures"), 1);
});

test("versions: a newer version is stored even when the value is unchanged; the listener is not called", (t) => {
  const memory = new MemorySettingsPersistence();
  const { settings, listener } = makeSettings(memory);
  const change = new ChangeSet();
  settings.stage(change, "report_interval_s", 60, 3, "");
  const outcome = settings.commit(change);
  t.deepEqual(outcome, { changed: [], versioned: ["report_interval_s"] });
  t.deepEqual(memory.versions, { report_interval_s: 3 });
  t.deepEqual(memory.values, {});
  t.is(settings.appliedVersion(propertyIndex("report_interval_s")), 3);
  t.is(listener.calls.length, 0);
  // Nothing new: no store write at all.
  const again = new ChangeSet();
  settings.stage(again, "report_interval_s", 60, 3, "");
  t.deepEqual(settings.commit(again), { changed: [], versioned: [] });
  t.is(memory.commits, 1);
});

test("load: persisted values and versions come back; bad ones fall back to defaults and are counted", (t) => {
  const memory = new MemorySettingsPersistence();
  memory.values = { control_period_ms: 500, log_level: 9, removed_in_v2: 1, timezone: "CET-1CEST,M3.5.0,M10.5.0/3" };
  memory.versions = { control_period_ms: 7, log_level: 2.5, timezone: -1 };
  const { settings, counters, log } = makeSettings(memory);
  t.is(settings.values.control_period_ms, 500);
  t.is(settings.values.log_level, 2);
  t.is(settings.values.timezone, "CET-1CEST,M3.5.0,M10.5.0/3");
  t.is(settings.appliedVersion(propertyIndex("control_period_ms")), 7);
  t.is(settings.appliedVersion(propertyIndex("log_level")), NO_VERSION);
  t.is(settings.appliedVersion(propertyIndex("timezone")), NO_VERSION);
  t.is(counters.value("settings_persisted_invalid"), 1);
  t.true(log.lines.some((line) => line.includes("stored log_level")));
});

test("load: a persisted set that breaks a whole-set rule falls back to defaults but keeps versions", (t) => {
  const stored: PersistedSettings = { values: { soc_min_pct: 80, soc_max_pct: 50 }, versions: { soc_min_pct: 4 } };
  const { settings, counters } = makeSettings({ load: () => stored, commit: (_v: Record<string, SettingValue>) => undefined });
  t.is(settings.values.soc_min_pct, 10);
  t.is(settings.values.soc_max_pct, 95);
  t.is(settings.appliedVersion(propertyIndex("soc_min_pct")), 4);
  t.is(counters.value("settings_persisted_invalid"), 1);
});

test("a throwing listener is counted; the committed values stay", (t) => {
  const memory = new MemorySettingsPersistence();
  const { settings, counters } = makeSettings(memory);
  settings.setListener({
    settingsChanged() {
      throw new Error("boom");
    },
  });
  const change = new ChangeSet();
  settings.stage(change, "report_interval_s", 30, NO_VERSION, "");
  t.false(isProblem(settings.commit(change)));
  t.is(settings.values.report_interval_s, 30);
  t.is(counters.value("settings_listener_errors"), 1);
});
