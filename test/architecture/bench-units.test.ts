/** Every benchmark figure has a unit (bench/units.ts), and changes against the baseline are described. */
import test from "ava";
import { readFileSync } from "node:fs";
import { describeChange, unitOf } from "../../bench/units";

test("every figure of the committed baseline has a unit; a name without one is refused", (t) => {
  const baseline = JSON.parse(readFileSync(new URL("../../bench/results.json", import.meta.url), "utf8")) as Record<string, number>;
  t.true(Object.keys(baseline).length > 100);
  for (const name of Object.keys(baseline)) t.notThrows(() => unitOf(name), name);
  t.is(unitOf("xs_steps_idle_tick").symbol, "XS steps");
  t.is(unitOf("scenario_steady_load_max_export_above_threshold_w").symbol, "W");
  t.is(unitOf("reconnect_after_return_p95_ms").symbol, "ms");
  t.false(unitOf("node_decode_ratio_vs_mqtt_packet").deterministic);
  t.throws(() => unitOf("mystery_figure"), { message: /has no unit/ });
});

test("changes are printed with sign, percentage and the baseline", (t) => {
  t.deepEqual(describeChange("xs_steps_idle_tick", 100, 100), { text: "=", changed: false });
  t.deepEqual(describeChange("xs_steps_idle_tick", 110, 100), { text: "+10 (+10.0 %) vs 100", changed: true });
  t.deepEqual(describeChange("xs_steps_idle_tick", 90, 100), { text: "-10 (-10.0 %) vs 100", changed: true });
  t.deepEqual(describeChange("node_decode_ratio_vs_mqtt_packet", 2.5, 2), { text: "+0.500 (+25.0 %) vs 2", changed: false });
  t.is(describeChange("xs_steps_new", 5, undefined).text, "new");
});
