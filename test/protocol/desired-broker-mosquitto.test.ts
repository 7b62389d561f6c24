/**
 * Spec 004 end to end through mosquitto (Debian package) on a free loopback port. CI installs it
 * (`apt-get install -y mosquitto`), where a missing mosquitto is a failure; elsewhere the scenarios run whenever
 * `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "../mqtt/helpers/real-broker";
import { registerDesiredBrokerScenarios } from "./desired-broker";
import { toolMissing } from "../helpers/tool-gate";

const binary = mosquittoPath();
if (binary !== null) {
  registerDesiredBrokerScenarios(test, () => startMosquitto());
} else {
  toolMissing(test, "mosquitto", "apt-get install -y mosquitto", "spec 004 end to end through mosquitto");
}
