import test from "ava";
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from "../../src/config/gateway-config";

test("no layers gives the documented defaults", (t) => {
  t.deepEqual(resolveConfig(), DEFAULT_CONFIG);
});

test("layers merge section by section, later layers win", (t) => {
  const config = resolveConfig({ device: { uid: "A" } }, { device: { topicScheme: "user" }, control: { periodMs: 500 } });
  t.is(config.device.uid, "A");
  t.is(config.device.topicScheme, "user");
  t.is(config.control.periodMs, 500);
  t.is(config.control.tickBudgetMs, DEFAULT_CONFIG.control.tickBudgetMs);
});

const bad: Array<[string, unknown, RegExp]> = [
  ["unknown key", { control: { period: 5 } }, /config control\.period: unknown key/],
  ["wrong type", { control: { periodMs: "250" } }, /config control\.periodMs: must be a number/],
  ["section not an object", { site: 5 }, /config site: must be an object/],
  ["out of range", { site: { latitude: 91 } }, /config site\.latitude: must be between -90 and 90/],
  ["budget above period", { control: { periodMs: 100, tickBudgetMs: 200 } }, /control\.tickBudgetMs/],
  ["bad scheme", { device: { topicScheme: "other" } }, /device\.topicScheme/],
  ["empty uid", { device: { uid: "" } }, /device\.uid: must not be empty/],
];

for (const [name, layer, message] of bad) {
  test(`a bad config is refused with the field named: ${name}`, (t) => {
    const error = t.throws(() => resolveConfig(layer), { instanceOf: ConfigError });
    t.regex(error!.message, message);
  });
}
