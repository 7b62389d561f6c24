/**
 * Spec 000 end to end through a real broker: the gateway side is the real MQTT session on the Node HAL (real TCP),
 * the real flash store (in-memory NOR image) and createOverdemand; the platform is an MQTT.js client that publishes
 * every command example of the spec on its command topic and reads the result and list topics.
 * Registered against aedes (in process) and mosquitto (when installed) by the *.test.ts files.
 */
import type { TestFn } from "ava";
import mqtt, { type MqttClient } from "mqtt";
import { createNodeHal } from "../../hal/node/index";
import { LogLevel } from "../../hal/types";
import { resolveConfig, type GatewayConfig } from "../../src/config/gateway-config";
import { Counters } from "../../src/core/counters";
import { createMqttLink } from "../../src/mqtt/index";
import { createOverdemand, type Overdemand } from "../../src/protocol/overdemand/index";
import { GatewayStore } from "../../src/store/index";
import { until, type BrokerHandle } from "../mqtt/helpers/real-broker";
import { DEVICE_UID, example } from "./helpers";

type Json = Record<string, unknown>;

interface Received {
  topic: string;
  body: Json;
}

interface Device {
  od: Overdemand;
  online: () => number;
  close(): void;
  log: string[];
}

function startDevice(config: GatewayConfig, counters: Counters): Device {
  const log: string[] = [];
  const hal = createNodeHal({ logSink: (line) => log.push(line), logLevel: LogLevel.Debug });
  const db = GatewayStore.open(hal.flash.open(config.store.partition), { maxStrategies: config.limits.maxStrategies, maxTasks: config.limits.maxTasks });
  let onlineCount = 0;
  let od: Overdemand | null = null;
  const link = createMqttLink(hal, config, {
    mqtt: config.mqtt,
    counters,
    events: {
      onOnline: () => {
        onlineCount++;
        od?.binding.online();
      },
    },
  });
  od = createOverdemand(config, hal, db, counters, link);
  link.session.start();
  return {
    od,
    online: () => onlineCount,
    log,
    close: () => {
      link.session.stop();
      hal.close();
    },
  };
}

async function startPlatform(port: number, prefix: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `platform-${Math.random()}`, clean: true, protocolVersion: 4 });
  const received: Received[] = [];
  client.on("message", (topic, payload) => {
    if (topic.endsWith("/result") || topic.endsWith("/list/post")) received.push({ topic, body: JSON.parse(payload.toString()) as Json });
  });
  await client.subscribeAsync(`${prefix}/streaming_overdemand/#`, { qos: 1 });
  return { client, received };
}

export function registerOverdemandBrokerTests(test: TestFn, brokerName: string, start: () => Promise<BrokerHandle>): void {
  for (const scheme of ["wudun", "user"] as const) {
    test.serial(`${brokerName}, ${scheme} topics: every command example of spec 000 gets the right reply on its result topic`, async (t) => {
      const broker = await start();
      const counters = new Counters();
      const config = resolveConfig({
        device: { uid: DEVICE_UID, productKey: "pk-e2e", deviceName: "gw-e2e", tenant: "tenant-e2e", topicScheme: scheme },
        mqtt: { broker: `mqtt://127.0.0.1:${broker.port}`, keepAliveSec: 5, reconnectMinMs: 100, reconnectMaxMs: 400 },
      });
      const prefix = scheme === "wudun" ? "v1/wudun/pk-e2e/gw-e2e" : "v1/user/tenant-e2e/gw-e2e";
      const platform = await startPlatform(broker.port, prefix);
      const device = startDevice(config, counters);
      try {
        t.true(await until(() => device.online() === 1, 5000), device.log.join("\n"));
        const listTopic = `${prefix}/streaming_overdemand/list/post`;
        t.true(await until(() => platform.received.some((m) => m.topic === listTopic), 5000), "list report after connecting");
        t.deepEqual(platform.received.find((m) => m.topic === listTopic)!.body.data, []);

        /** Publish a command and wait for the result answering its mid. */
        const send = async (action: string, message: Json): Promise<Json> => {
          await platform.client.publishAsync(`${prefix}/streaming_overdemand/${action}/command`, JSON.stringify(message), { qos: 1 });
          const resultTopic = `${prefix}/streaming_overdemand/${action}/result`;
          const found = (): Received | undefined => platform.received.find((m) => m.topic === resultTopic && m.body.reply === message.mid);
          t.true(await until(() => found() !== undefined, 5000), `no ${action} result for ${message.mid as string}`);
          const reply = found()!.body;
          platform.received.splice(platform.received.indexOf(found()!), 1);
          return reply;
        };
        const listsBefore = platform.received.filter((m) => m.topic === listTopic).length;
        const sequence = ["create", "update", "sync", "delete", "update_all"];
        for (const action of sequence) {
          const message: Json = { ...example(`${action}_command`), mid: `${scheme}-${action}` };
          const reply = await send(action, message);
          t.is(reply.code, 200, `${action}: ${reply.msg as string}`);
          t.is(reply.type, `streaming_overdemand_${action}`);
          t.is(reply.device_uid, DEVICE_UID);
          t.is(reply.trace_id, message.trace_id);
          if (action === "create") t.deepEqual(reply.data, { id: 1 });
          if (action === "sync") t.is((reply.data as Json[]).length, 1);
        }
        // A list report followed each of the four changes.
        t.true(await until(() => platform.received.filter((m) => m.topic === listTopic).length === listsBefore + 4, 5000));
        const lastList = platform.received.filter((m) => m.topic === listTopic).pop()!.body;
        t.deepEqual((lastList.data as Json[]).map((s) => s.id), [2]);

        // The device-side examples sent back through update_all, then sync: every field survives the round trip.
        const items = [...(example("list_post").data as Json[])];
        t.is((await send("update_all", { ...example("update_all_command"), mid: `${scheme}-ua2`, data: items })).code, 200);
        const synced = await send("sync", { ...example("sync_command"), mid: `${scheme}-sync2` });
        const { current_over_demand_condition: _c, ...syncedItem } = (synced.data as Json[])[0];
        const { current_over_demand_condition: _d, ...sentItem } = items[0];
        t.deepEqual(syncedItem, sentItem);

        // Refused over MQTT: another device_uid, and a bad field.
        const other = await send("create", { ...example("create_command"), mid: `${scheme}-other`, device_uid: "not-me" });
        t.is(other.code, 400);
        t.regex(other.msg as string, /^device_uid: /);
        const bad = await send("update", { ...example("update_command"), mid: `${scheme}-bad`, data: { id: 4, over_demand_condition: [1, 2] } });
        t.is(bad.code, 400);
        t.is(bad.msg, "data.over_demand_condition: must have exactly 12 values (January..December), got 2");

        // A duplicate (same mid) is answered with the same reply and not applied again.
        const first = await send("create", { ...example("create_command"), mid: `${scheme}-dup` });
        const second = await send("create", { ...example("create_command"), mid: `${scheme}-dup` });
        t.deepEqual(second, first);
        t.is(device.od.handler.strategies.length, 2);
        t.is(counters.value("overdemand_publish_failed"), 0);
        t.is(counters.value("mqtt_protocol_errors"), 0);
      } finally {
        device.close();
        await platform.client.endAsync();
        await broker.close();
      }
    });
  }
}
