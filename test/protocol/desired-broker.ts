/**
 * Spec 004 end to end against a real broker: the gateway wired as in production (Gateway tick, MQTT link on the
 * Node HAL's real sockets, the flash store on a SimNorFlash that survives "reboots"), and the scripted platform as
 * an MQTT.js client. The same scenarios run against aedes and mosquitto. Real time only bounds how long we wait.
 */
import type { TestFn } from "ava";
import mqtt, { type MqttClient } from "mqtt";
import { SimFlashProvider, SimNorFlash } from "../../hal/sim/flash";
import { createNodeHal, type NodeHal } from "../../hal/node/index";
import { LogLevel } from "../../hal/types";
import { Gateway } from "../../src/app/gateway";
import { DEFAULT_CONFIG, resolveConfig } from "../../src/config/gateway-config";
import { createMqttLink, type MqttLink } from "../../src/mqtt/index";
import { MessageIds } from "../../src/protocol/desired/message-ids";
import { bindDesired, MqttDesiredUplink } from "../../src/protocol/desired/mqtt-binding";
import { DesiredOut, DesiredSession } from "../../src/protocol/desired/session";
import { StoreIdBlocks } from "../../src/protocol/desired/store-ids";
import { contextFromConfig, defaultSettings } from "../../src/settings/registry";
import { Settings } from "../../src/settings/settings";
import { StoreSettingsPersistence } from "../../src/settings/store-persistence";
import { checkTimezone } from "../../src/settings/timezone";
import { GatewayStore } from "../../src/store/index";
import { until, type BrokerHandle } from "../mqtt/helpers/real-broker";
import { CapturingListener } from "../settings/helpers";
import { ScriptedPlatform } from "./desired-platform";

const config = resolveConfig(DEFAULT_CONFIG);
const WAIT_MS = 8000;

interface BrokerDevice {
  hal: NodeHal;
  gateway: Gateway;
  settings: Settings;
  desired: DesiredSession;
  link: MqttLink;
  listener: CapturingListener;
  log: string[];
  online: number;
  /** Set once the device has lost power (see `dieBeforeDelete`). */
  dead: boolean;
  /** Power off: timers stop, sockets drop without a DISCONNECT, RAM (the MQTT outbox) is lost. */
  powerOff(): void;
}

/**
 * Boot a gateway on `flash` (its store partition). With `dieBeforeDelete` the device loses power at the moment it
 * is about to publish a desired delete: after the apply was committed, before the delete leaves.
 */
function bootDevice(port: number, flash: SimNorFlash, dieBeforeDelete = false): BrokerDevice {
  const log: string[] = [];
  const nodeHal = createNodeHal({ logSink: (line) => log.push(line), logLevel: LogLevel.Debug });
  const hal: NodeHal = { ...nodeHal, flash: new SimFlashProvider({ store: flash }) };
  const gateway = new Gateway(hal, config);
  const store = GatewayStore.open(gateway.storeFlash, { maxStrategies: config.limits.maxStrategies, maxTasks: config.limits.maxTasks, counters: gateway.counters });
  const settings = new Settings(contextFromConfig(config, checkTimezone), defaultSettings(config), new StoreSettingsPersistence(store), gateway.counters, hal.log);
  settings.load();
  const listener = new CapturingListener();
  settings.setListener(listener);
  const device = { hal, gateway, settings, listener, log, online: 0, dead: false } as BrokerDevice;
  device.powerOff = () => {
    device.dead = true;
    gateway.stop();
    nodeHal.close();
  };
  device.link = createMqttLink(hal, config, {
    mqtt: { broker: `mqtt://127.0.0.1:${port}`, keepAliveSec: 30, reconnectMinMs: 100, reconnectMaxMs: 400 },
    counters: gateway.counters,
    events: {
      onOnline: () => {
        device.online++;
        device.desired.connected();
      },
      onOffline: () => device.desired.disconnected(),
    },
  });
  const mqttUplink = new MqttDesiredUplink(device.link.session);
  const uplink = {
    publish(kind: DesiredOut, payload: string): boolean {
      if (device.dead) return false;
      if (dieBeforeDelete && kind === DesiredOut.DesiredDelete) {
        device.powerOff();
        return false;
      }
      return mqttUplink.publish(kind, payload);
    },
  };
  device.desired = new DesiredSession(settings, uplink, new MessageIds(new StoreIdBlocks(store)), hal.clock, gateway.counters, hal.log);
  bindDesired(device.link.dispatcher, device.desired);
  gateway.addService(device.link.session);
  gateway.addService(device.desired);
  device.link.session.start();
  gateway.start();
  return device;
}

interface PlatformClient {
  platform: ScriptedPlatform;
  client: MqttClient;
}

async function startPlatform(port: number): Promise<PlatformClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: "platform-004", clean: true, protocolVersion: 4, reconnectPeriod: 100 });
  const platform = new ScriptedPlatform(config.device.productKey, config.device.deviceName, (topic, payload) => {
    client.publish(topic, payload, { qos: 1 });
  });
  client.on("message", (topic, payload) => platform.receive(topic, payload.toString()));
  const t = platform.topics;
  await client.subscribeAsync([t.setReply, t.desiredGet, t.desiredDelete, t.propertyPost], { qos: 1 });
  return { platform, client };
}

async function withRig(start: () => Promise<BrokerHandle>, body: (broker: BrokerHandle, p: PlatformClient, devices: BrokerDevice[]) => Promise<void>): Promise<void> {
  const broker = await start();
  const p = await startPlatform(broker.port);
  const devices: BrokerDevice[] = [];
  try {
    await body(broker, p, devices);
  } finally {
    for (const device of devices) if (!device.dead) device.powerOff();
    await p.client.endAsync(true);
    await broker.close();
  }
}

export function registerDesiredBrokerScenarios(test: TestFn, start: () => Promise<BrokerHandle>): void {
  test.serial("online set, malformed params and a stale version, through the broker", async (t) => {
    await withRig(start, async (broker, { platform }, devices) => {
      const device = bootDevice(broker.port, new SimNorFlash({ sectorCount: 16 }));
      devices.push(device);
      t.true(await until(() => device.desired.synced && platform.posts.length === 1, WAIT_MS), device.log.join("\n"));
      t.is(platform.gets.length, 1);

      const id = platform.sendSet({ control_period_ms: 500, log_level: "debug" });
      t.true(await until(() => platform.setReplies.length === 1 && platform.posts.length === 2, WAIT_MS));
      t.deepEqual(platform.setReplies[0], { id, code: 200, data: {}, message: "success", version: "1.0" });
      t.deepEqual(platform.posts[1].params, { control_period_ms: 500, log_level: 3 });
      t.is(device.settings.values.control_period_ms, 500);
      t.deepEqual(device.listener.calls.map((c) => c.changed), [["control_period_ms", "log_level"]]);

      platform.sendSet({ colour: "red" });
      platform.sendSet({ report_interval_s: 1 });
      platform.sendRaw("{not json");
      t.true(await until(() => platform.setReplies.length === 4, WAIT_MS));
      t.deepEqual(
        platform.setReplies.slice(1).map((r) => [r.code, r.message]),
        [
          [100001, "params.colour: unknown property"],
          [460, "params.report_interval_s: must be an integer in 5..3600 s, got 1"],
          [460, 'payload: not valid JSON (9 bytes starting "{not json")'],
        ],
      );
      t.is(device.settings.values.report_interval_s, 60);

      platform.sendSet({ report_interval_s: { value: 10, version: 3 } });
      platform.sendSet({ report_interval_s: { value: 20, version: 2 } });
      t.true(await until(() => platform.setReplies.length === 6, WAIT_MS));
      t.true(platform.setReplies.slice(4).every((r) => r.code === 200));
      t.is(device.settings.values.report_interval_s, 10, "version 2 is older than the applied 3");
      t.is(device.gateway.counters.value("desired_stale_ignored"), 1);
      t.is(device.gateway.counters.value("mqtt_no_handler"), 0);
    });
  });

  test.serial("offline desired values: get, apply, delete after connecting", async (t) => {
    await withRig(start, async (broker, { platform }, devices) => {
      platform.setDesired("report_interval_s", 90);
      const v = platform.setDesired("report_interval_s", 120);
      platform.setDesired("timezone", "CET-1CEST,M3.5.0,M10.5.0/3");
      const device = bootDevice(broker.port, new SimNorFlash({ sectorCount: 16 }));
      devices.push(device);
      t.true(await until(() => platform.desired.size === 0 && platform.posts.length === 1, WAIT_MS), device.log.join("\n"));
      t.is(device.settings.values.report_interval_s, 120);
      t.is(device.settings.values.timezone, "CET-1CEST,M3.5.0,M10.5.0/3");
      t.deepEqual(platform.deletes[0].params, { report_interval_s: { version: v }, timezone: { version: 0 } });
      t.is(platform.posts[0].params.report_interval_s, 120);
      t.is(platform.gets.length, 1);
    });
  });

  test.serial("a desired value pushed while the get is in flight wins over the get's older snapshot", async (t) => {
    await withRig(start, async (broker, { platform }, devices) => {
      platform.setDesired("soc_min_pct", 15);
      platform.holdGetReplies = true;
      const device = bootDevice(broker.port, new SimNorFlash({ sectorCount: 16 }));
      devices.push(device);
      t.true(await until(() => platform.heldGetReplies.length === 1, WAIT_MS), device.log.join("\n"));
      platform.setDesired("soc_min_pct", 20);
      platform.pushDesired("soc_min_pct");
      t.true(await until(() => platform.setReplies.length === 1, WAIT_MS));
      t.is(device.settings.values.soc_min_pct, 20);
      platform.releaseGetReplies();
      t.true(await until(() => device.desired.synced, WAIT_MS));
      t.true(await until(() => platform.desired.size === 0, WAIT_MS));
      t.is(device.settings.values.soc_min_pct, 20);
      t.is(device.listener.calls.length, 1);
    });
  });

  test.serial("a reboot between apply and delete: the new boot does not apply again and deletes", async (t) => {
    await withRig(start, async (broker, { platform }, devices) => {
      const flash = new SimNorFlash({ sectorCount: 16 });
      const v = platform.setDesired("meter_silence_timeout_ms", 4000);
      const first = bootDevice(broker.port, flash, true);
      devices.push(first);
      t.true(await until(() => first.dead, WAIT_MS), first.log.join("\n"));
      t.is(first.listener.calls.length, 1, "applied (and committed) before the power went");
      t.is(platform.desired.size, 1, "the delete never left");
      const second = bootDevice(broker.port, flash);
      devices.push(second);
      t.is(second.settings.values.meter_silence_timeout_ms, 4000, "the store kept it");
      t.true(await until(() => platform.desired.size === 0, WAIT_MS), second.log.join("\n"));
      t.deepEqual(platform.deletes.at(-1)?.params, { meter_silence_timeout_ms: { version: v } });
      t.is(second.listener.calls.length, 0, "not applied a second time");
      const ids = platform.received.filter((m) => m.topic !== platform.topics.setReply).map((m) => m.body.id as string);
      t.is(new Set(ids).size, ids.length, "message ids unique across the reboot");
    });
  });
}
