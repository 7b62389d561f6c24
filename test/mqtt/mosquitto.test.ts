/**
 * The session against mosquitto (Debian package), started by each test on a free loopback port with a generated
 * config. CI installs it (`apt-get install -y mosquitto`): there a missing mosquitto is a failure. Elsewhere the
 * scenarios run whenever `which mosquitto` finds it.
 */
import test from "ava";
import { mosquittoPath, startMosquitto } from "./helpers/real-broker";
import { registerBrokerScenarios } from "./helpers/real-scenarios";
import { toolMissing } from "../helpers/tool-gate";

const binary = mosquittoPath();
if (binary !== null) {
  registerBrokerScenarios(test, () => startMosquitto());
} else {
  toolMissing(test, "mosquitto", "apt-get install -y mosquitto", "the session against mosquitto");
}
