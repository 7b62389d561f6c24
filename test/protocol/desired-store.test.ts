/**
 * Spec 004 on the real flash store (src/store on a SimNorFlash), reopened at every reboot as on the device.
 */
import test from "ava";
import { SimNorFlash } from "../../hal/sim/flash";
import { StoreIdBlocks } from "../../src/protocol/desired/store-ids";
import { StoreSettingsPersistence } from "../../src/settings/store-persistence";
import { GatewayStore } from "../../src/store/index";
import { DEFAULT_DESIRED_OPTIONS } from "../../src/protocol/desired/session";
import { Rig } from "./desired-rig";

function rigOnFlash(flash: SimNorFlash): Rig {
  const reopen = () => {
    const store = GatewayStore.open(flash, { maxStrategies: 4, maxTasks: 4 });
    return { persistence: new StoreSettingsPersistence(store), idBlocks: new StoreIdBlocks(store) };
  };
  const first = reopen();
  const rig = new Rig(first.persistence, first.idBlocks, DEFAULT_DESIRED_OPTIONS, reopen);
  rig.alive = () => flash.isPowered;
  return rig;
}

test("reboot between apply and delete, store reopened on the same flash: applied once, deleted after reconnect", (t) => {
  const flash = new SimNorFlash({ sectorCount: 8 });
  const rig = rigOnFlash(flash);
  const v = rig.platform.setDesired("meter_silence_timeout_ms", 4000);
  rig.platform.setDesired("timezone", "<+0330>-3:30");
  rig.connect();
  rig.deliverToPlatform();
  rig.deliverToDevice(); // applied and committed; the delete is still queued
  t.is(rig.device.listener.calls.length, 1);
  rig.reboot();
  t.is(rig.device.settings.values.meter_silence_timeout_ms, 4000);
  t.is(rig.device.settings.values.timezone, "<+0330>-3:30");
  rig.connect();
  rig.pump();
  t.is(rig.device.listener.calls.length, 0);
  t.deepEqual(rig.platform.deletes[0].params, { meter_silence_timeout_ms: { version: v }, timezone: { version: 0 } });
  t.is(rig.platform.desired.size, 0);
  t.is(new Set(rig.deviceIds).size, rig.deviceIds.length, "no message id reused across the reboot");
});

test("a power cut at every flash operation of the desired sync: after the reboot the state is applied exactly once", (t) => {
  let cuts = 0;
  for (let cut = 1; cut < 200; cut++) {
    const flash = new SimNorFlash({ sectorCount: 8, seed: cut });
    const rig = rigOnFlash(flash);
    rig.platform.setDesired("report_interval_s", 45);
    const v = rig.platform.setDesired("report_interval_s", 30);
    rig.platform.setDesired("log_level", "debug");
    flash.cutAfter(cut);
    rig.connect();
    rig.pump();
    if (flash.isPowered) {
      t.true(cut > 1);
      break;
    }
    cuts++;
    const calls = rig.device.listener.calls.length;
    flash.powerOn();
    rig.reboot();
    rig.connect();
    rig.pump();
    const where = `cut ${cut}`;
    t.is(rig.device.settings.values.report_interval_s, 30, where);
    t.is(rig.device.settings.values.log_level, 3, where);
    t.true(calls + rig.device.listener.calls.length <= 1, `${where}: the listener heard the change at most once`);
    t.is(rig.platform.desired.size, 0, where);
    t.deepEqual(rig.platform.deletes.at(-1)?.params, { report_interval_s: { version: v }, log_level: { version: 0 } }, where);
    t.is(new Set(rig.deviceIds).size, rig.deviceIds.length, `${where}: ids unique`);
  }
  t.true(cuts >= 3, `${cuts} cut points`);
  t.log(`${cuts} cut points`);
});

test("a power cut at every flash operation of an online set: a 200 reply implies the value survives", (t) => {
  let cuts = 0;
  for (let cut = 1; cut < 200; cut++) {
    const flash = new SimNorFlash({ sectorCount: 8, seed: cut });
    const rig = rigOnFlash(flash);
    rig.connect();
    rig.pump();
    flash.cutAfter(cut);
    rig.platform.sendSet({ control_period_ms: 400, meter_silence_timeout_ms: 3000 });
    rig.pump();
    const replied = rig.platform.setReplies.some((reply) => reply.code === 200);
    if (flash.isPowered) {
      t.true(replied);
      break;
    }
    cuts++;
    t.false(replied, `cut ${cut}: no reply from a device that lost power before its commit completed`);
    flash.powerOn();
    rig.reboot();
    const values = rig.device.settings.values;
    const applied = values.control_period_ms === 400;
    t.is(values.meter_silence_timeout_ms, applied ? 3000 : 2000, `cut ${cut}: all or nothing`);
  }
  t.true(cuts >= 2, `${cuts} cut points`);
});
