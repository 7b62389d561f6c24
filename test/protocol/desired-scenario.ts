/**
 * One deterministic spec-004 story (offline desired values, an online set, a stale push, malformed input, a reboot
 * between apply and delete), summarised as plain JSON: run in Node and in XS, the summaries must be identical.
 */
import { MemorySettingsPersistence } from "../../src/settings/persistence";
import { Rig } from "./desired-rig";

export function desiredScenario(): Record<string, unknown> {
  const persistence = new MemorySettingsPersistence();
  const rig = new Rig(persistence);
  rig.platform.setDesired("report_interval_s", 30);
  rig.platform.setDesired("timezone", "CET-1CEST,M3.5.0,M10.5.0/3");
  rig.connect();
  rig.pump();
  rig.platform.sendSet({ control_period_ms: "500", dst_enable: 0 });
  rig.platform.sendSet({ report_interval_s: { value: 99, version: 0 } });
  rig.platform.sendSet({ colour: "red" });
  rig.platform.sendRaw("{oops");
  rig.pump();
  const v = rig.platform.setDesired("ramp_rate_kw_per_s", 2.5);
  rig.disconnect();
  rig.connect();
  rig.deliverToPlatform();
  rig.deliverToDevice(); // applied and committed; the delete is lost with the power
  rig.reboot();
  rig.connect();
  rig.pump();
  rig.runFor(30_000);
  return {
    values: rig.device.settings.values,
    persisted: persistence.values,
    versions: persistence.versions,
    rampVersion: v,
    setReplies: rig.platform.setReplies,
    deletes: rig.platform.deletes.map((d) => d.params),
    posts: rig.platform.posts.map((p) => p.params),
    desiredLeft: rig.platform.desired.size,
    ids: rig.deviceIds,
    counters: rig.device.counters.nonZero(),
  };
}
