/**
 * Spec 004 end to end through mosquitto (Debian package) on a free loopback port. CI installs it
 * (`apt-get install -y mosquitto`), where a missing mosquitto is a failure; elsewhere the scenarios run whenever
 * `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "../mqtt/helpers/real-broker";
import { registerDesiredBrokerScenarios } from "./desired-broker";

const binary = mosquittoPath();
if (binary !== null) {
  registerDesiredBrokerScenarios(test, () => startMosquitto());
} else if (process.env.CI === "true") {
  test("mosquitto must be installed in CI", (t) => {
    t.fail("`which mosquitto` found nothing: CI has to run `apt-get install -y mosquitto`");
  });
} else {
  test("mosquitto is not installed here: the spec-004 broker scenarios did not run on it", (t) => {
    t.log("install it with `apt-get install -y mosquitto` to run them");
    t.is(binary, null);
  });
}
