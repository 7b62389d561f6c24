/**
 * Spec 000 end to end through mosquitto (Debian package) on a free loopback port. CI installs it
 * (`apt-get install -y mosquitto`): there a missing mosquitto is a failure; elsewhere the test runs when
 * `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "../mqtt/helpers/real-broker";
import { registerOverdemandBrokerTests } from "./broker-e2e";
import { toolMissing } from "../helpers/tool-gate";

const binary = mosquittoPath();
if (binary !== null) {
  registerOverdemandBrokerTests(test, "mosquitto", () => startMosquitto());
} else {
  toolMissing(test, "mosquitto", "apt-get install -y mosquitto", "spec 000 end to end through mosquitto");
}
