/** Spec 000 end to end through aedes, an MQTT 3.1.1 broker in this process. */
import test from "ava";
import { startAedes } from "../mqtt/helpers/real-broker";
import { registerOverdemandBrokerTests } from "./broker-e2e";

registerOverdemandBrokerTests(test, "aedes", () => startAedes());
