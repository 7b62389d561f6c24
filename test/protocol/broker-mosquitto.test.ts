/**
 * Spec 000 end to end through mosquitto (Debian package) on a free loopback port. CI installs it
 * (`apt-get install -y mosquitto`): there a missing mosquitto is a failure; elsewhere the test runs when
 * `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "../mqtt/helpers/real-broker";
import { registerOverdemandBrokerTests } from "./broker-e2e";

const binary = mosquittoPath();
if (binary !== null) {
  registerOverdemandBrokerTests(test, "mosquitto", () => startMosquitto());
} else if (process.env.CI === "true") {
  test("mosquitto must be installed in CI", (t) => {
    t.fail("`which mosquitto` found nothing: CI has to run `apt-get install -y mosquitto`");
  });
} else {
  test("mosquitto is not installed here: the spec 000 broker test did not run", (t) => {
    t.log("install it with `apt-get install -y mosquitto`");
    t.is(binary, null);
  });
}
