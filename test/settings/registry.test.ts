import test from "ava";
import { DEFAULT_CONFIG, resolveConfig } from "../../src/config/gateway-config";
import {
  PROPERTIES,
  checkWhole,
  contextFromConfig,
  defaultSettings,
  parseValue,
  propertyIndex,
  type SettingValue,
} from "../../src/settings/registry";
import { checkTimezone } from "../../src/settings/timezone";

const config = resolveConfig(DEFAULT_CONFIG);
const context = contextFromConfig(config, checkTimezone);

function parse(name: string, raw: unknown): { value?: SettingValue; problem?: string } {
  const out: SettingValue[] = [0];
  const problem = parseValue(propertyIndex(name), raw, context, out);
  return problem === null ? { value: out[0] } : { problem };
}

test("every registry row is complete and its default is valid and in range", (t) => {
  const defaults = defaultSettings(config) as unknown as Record<string, SettingValue>;
  const seen = new Set<string>();
  for (const p of PROPERTIES) {
    t.false(seen.has(p.name), `duplicate ${p.name}`);
    seen.add(p.name);
    t.true(p.description.length > 10, p.name);
    t.true(p.name in defaults, `default for ${p.name}`);
    t.is(parse(p.name, defaults[p.name]).problem, undefined, `default of ${p.name} parses`);
  }
  t.is(Object.keys(defaults).length, PROPERTIES.length);
  t.is(checkWhole(defaultSettings(config), context), null);
});

test("the required properties exist", (t) => {
  for (const name of [
    "control_period_ms",
    "ramp_rate_kw_per_s",
    "meter_silence_timeout_ms",
    "report_interval_s",
    "timezone",
    "site_latitude",
    "site_longitude",
    "log_level",
  ]) {
    t.true(propertyIndex(name) >= 0, name);
  }
  t.is(propertyIndex("no_such"), -1);
});

test("numbers: JSON numbers and decimal strings, ranges and integer-ness enforced", (t) => {
  t.deepEqual(parse("control_period_ms", 500), { value: 500 });
  t.deepEqual(parse("control_period_ms", "500"), { value: 500 });
  t.regex(parse("control_period_ms", 500.5).problem ?? "", /integer in 50\.\.10000 ms, got 500\.5/);
  t.regex(parse("control_period_ms", 49).problem ?? "", /got 49/);
  t.regex(parse("control_period_ms", "5e2").problem ?? "", /must be a number, got "5e2"/);
  t.regex(parse("control_period_ms", "").problem ?? "", /must be a number/);
  t.regex(parse("control_period_ms", null).problem ?? "", /got null/);
  t.regex(parse("control_period_ms", [500]).problem ?? "", /got an array/);
  t.regex(parse("control_period_ms", { value: 500 }).problem ?? "", /got an object/);
  t.deepEqual(parse("site_latitude", "-33.87"), { value: -33.87 });
  t.regex(parse("site_latitude", 90.01).problem ?? "", /-90\.\.90/);
  t.regex(parse("site_longitude", Number.NaN).problem ?? "", /-180\.\.180/);
  t.deepEqual(parse("ramp_rate_kw_per_s", 0.5), { value: 0.5 });
});

test("bools, enums and text", (t) => {
  t.deepEqual(parse("dst_enable", 1), { value: true });
  t.deepEqual(parse("dst_enable", "false"), { value: false });
  t.regex(parse("dst_enable", 2).problem ?? "", /true\/false or 1\/0, got 2/);
  t.deepEqual(parse("log_level", "debug"), { value: 3 });
  t.deepEqual(parse("log_level", 0), { value: 0 });
  t.deepEqual(parse("log_level", "1"), { value: 1 });
  t.regex(parse("log_level", 4).problem ?? "", /one of 0\/error, 1\/warn, 2\/info, 3\/debug, got 4/);
  t.regex(parse("log_level", "verbose").problem ?? "", /got "verbose"/);
  t.deepEqual(parse("timezone", "CET-1CEST,M3.5.0,M10.5.0/3"), { value: "CET-1CEST,M3.5.0,M10.5.0/3" });
  t.regex(parse("timezone", "Europe/Berlin").problem ?? "", /not a valid POSIX TZ string/);
  t.regex(parse("timezone", 8).problem ?? "", /must be a string, got 8/);
  t.regex(parse("timezone", "X".repeat(65)).problem ?? "", /at most 64 characters, got 65/);
});

test("whole-set rules name every property involved", (t) => {
  const v = defaultSettings(config);
  t.regex(checkWhole({ ...v, control_period_ms: 10 }, context) ?? "", /control_period_ms: must be at least the board's tick budget \(20 ms\)/);
  t.regex(checkWhole({ ...v, control_period_ms: 3000 }, context) ?? "", /watchdog \(5000 ms\)/);
  const silence = checkWhole({ ...v, control_period_ms: 1500, meter_silence_timeout_ms: 2000 }, context) ?? "";
  t.regex(silence, /meter_silence_timeout_ms \(2000\)/);
  t.regex(silence, /control_period_ms \(1500\)/);
  t.regex(checkWhole({ ...v, soc_min_pct: 90, soc_max_pct: 90 }, context) ?? "", /soc_min_pct \(90\) must be below soc_max_pct \(90\)/);
});

test("defaults follow the board config", (t) => {
  const other = resolveConfig({ control: { periodMs: 1500, watchdogMs: 10_000 }, site: { timezone: "EST5EDT,M3.2.0,M11.1.0", latitude: 40.7, longitude: -74 } });
  const d = defaultSettings(other);
  t.is(d.control_period_ms, 1500);
  t.is(d.meter_silence_timeout_ms, 3000);
  t.is(d.timezone, "EST5EDT,M3.2.0,M11.1.0");
  t.is(d.site_longitude, -74);
  t.is(checkWhole(d, contextFromConfig(other, checkTimezone)), null);
});

test("timezone: checked by the time code's POSIX TZ parser, its reason in the message", (t) => {
  for (const tz of ["CST-8", "UTC0", "<+0330>-3:30", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "IST-1GMT0,M10.5.0,M3.5.0/1", "EST5EDT"]) {
    t.deepEqual(parse("timezone", tz), { value: tz }, tz);
  }
  for (const tz of ["", "Europe/Berlin", "CST-25", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0"]) {
    const problem = parse("timezone", tz).problem ?? "accepted";
    t.regex(problem, /^not a valid POSIX TZ string \(at \d+: .+\), got ".*"$/, tz);
  }
});
