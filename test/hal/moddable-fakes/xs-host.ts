/**
 * What the SDK's XS (17.x) has and the older XS inside @agoric/xsnap lacks, for modules of ours that run as they
 * are in the fake world (boards/sim/modules/ota-state.js calls ArrayBuffer.fromString). bundle.ts runs this first.
 */
const AB = ArrayBuffer as unknown as { fromString?: (text: string) => ArrayBuffer };
if (typeof AB.fromString !== "function") {
  AB.fromString = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer as ArrayBuffer;
}
