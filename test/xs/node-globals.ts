/**
 * The two Node globals the simulated broker (test/mqtt/helpers/sim-broker.ts, on mqtt-packet) needs, for bundles
 * that run it in XS: esbuild's `inject` makes every free `Buffer` and `process` in the bundle refer to these (the
 * browser packages `buffer` and `process`, already in node_modules as mqtt-packet's dependencies). Never in the device
 * bundle: only sim/soak-xs.ts bundles with it.
 */
import { Buffer } from "buffer";
import process from "process";

export { Buffer, process };
