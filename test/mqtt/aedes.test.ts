/** The session against aedes, an MQTT 3.1.1 broker running in this process. */
import test from "ava";
import { startAedes } from "./helpers/real-broker";
import { registerBrokerScenarios } from "./helpers/real-scenarios";

registerBrokerScenarios(test, () => startAedes());
