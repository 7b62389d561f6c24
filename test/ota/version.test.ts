import test from "ava";
import { compareVersions, isVersion } from "../../src/ota/version";
import { SeededRandom } from "../../hal/sim/random";

/** The rule isVersion implements without a RegExp (a preloaded RegExp is unsafe to exec on the device: docs/ota.md). */
const RULE = /^(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8})){0,3}$/;

test("isVersion accepts exactly 1 to 4 dot-separated numbers without leading zeros, up to 9 digits each", (t) => {
  for (const ok of ["0", "1", "10", "0.1.0", "1.2.3.4", "2024.6.1.7", "123456789", "0.0", "9.9.9.9"]) t.true(isVersion(ok), ok);
  for (const bad of ["", "01", "1.02", "1..2", ".1", "1.", "1.2.3.4.5", "1234567890", "a", "1.a", " 1", "1 ", "-1", "1e3", "v1.0"]) t.false(isVersion(bad), bad);
  t.false(isVersion(12));
  t.false(isVersion(null));
  // Agrees with the rule on random strings over the characters that matter.
  const random = new SeededRandom(12);
  const alphabet = "0123456789.a";
  for (let n = 0; n < 20_000; n++) {
    let text = "";
    for (let i = random.nextInt(14); i > 0; i--) text += alphabet[random.nextInt(alphabet.length)];
    if (isVersion(text) !== RULE.test(text)) t.fail(`"${text}": ${isVersion(text)}, the rule says ${RULE.test(text)}`);
  }
  t.is(compareVersions("1.2", "1.2.0"), 0);
  t.true(compareVersions("1.10", "1.9") > 0);
});
