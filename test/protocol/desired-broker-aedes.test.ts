/** Spec 004 end to end through aedes, an MQTT 3.1.1 broker in this process. */
import test from "ava";
import { startAedes } from "../mqtt/helpers/real-broker";
import { registerDesiredBrokerScenarios } from "./desired-broker";

registerDesiredBrokerScenarios(test, () => startAedes());
