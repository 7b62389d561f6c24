/**
 * The session against mosquitto (Debian package), started by each test on a free loopback port with a generated
 * config. CI installs it (`apt-get install -y mosquitto`): there a missing mosquitto is a failure. Elsewhere the
 * scenarios run whenever `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "./helpers/real-broker";
import { registerBrokerScenarios } from "./helpers/real-scenarios";

const binary = mosquittoPath();
if (binary !== null) {
  registerBrokerScenarios(test, () => startMosquitto());
} else if (process.env.CI === "true") {
  test("mosquitto must be installed in CI", (t) => {
    t.fail("`which mosquitto` found nothing: CI has to run `apt-get install -y mosquitto`");
  });
} else {
  test("mosquitto is not installed here: its scenarios did not run", (t) => {
    t.log("install it with `apt-get install -y mosquitto` to run the mosquitto scenarios");
    t.is(binary, null);
  });
}
