/**
 * OTA over the real MQTT link: aedes in process, the gateway's session on the Node HAL with the OTA routes, MQTT.js
 * as the platform, the image from a local HTTP server. Checks the topics, the QoS and the acknowledgement order.
 */
import test from "ava";
import mqtt from "mqtt";
import { createNodeHal } from "../../hal/node/index";
import { SimOtaSlots } from "../../hal/sim/ota";
import { DEFAULT_CONFIG, type GatewayConfig } from "../../src/config/gateway-config";
import { Counters } from "../../src/core/counters";
import { createMqttLink } from "../../src/mqtt/index";
import { bindOta, MqttOtaUplink } from "../../src/ota/mqtt-binding";
import { OtaManager } from "../../src/ota/manager";
import { resolveOtaConfig } from "../../src/ota/config";
import { MemoryOtaState } from "../../src/ota/state-port";
import { OTA_INCOMING_ROUTES, OTA_OUTGOING_ROUTES } from "../../src/ota/topics";
import { startRangeServer } from "../http/range-server";
import { startAedes, until } from "../mqtt/helpers/real-broker";
import { makeImage, makeSigner, sha256Hex, signImage } from "./harness";

const PREFIX = "v1/wudun/pk-demo/GW-0001";

test("the platform sends an upgrade command over MQTT and hears accepted, progress and the version on the OTA topics", async (t) => {
  const broker = await startAedes();
  const server = await startRangeServer();
  const signer = makeSigner();
  const image = makeImage("0.2.0", 100_000, 9);
  server.files.set("/fw.bin", { body: image });
  const hal = createNodeHal({ logSink: () => {} });
  const restarts: string[] = [];
  const config: GatewayConfig = { ...DEFAULT_CONFIG, mqtt: { ...DEFAULT_CONFIG.mqtt, broker: `mqtt://127.0.0.1:${broker.port}`, reconnectMinMs: 100 } };
  const counters = new Counters();
  let manager: OtaManager | null = null;
  const link = createMqttLink(hal, config, {
    mqtt: config.mqtt,
    extraIncoming: OTA_INCOMING_ROUTES,
    extraOutgoing: OTA_OUTGOING_ROUTES,
    counters,
    events: { onOnline: () => manager?.connected(), onOffline: () => manager?.disconnected() },
  });
  const slots = new SimOtaSlots({ slotBytes: 256 * 1024 });
  slots.installFactory(makeImage("0.1.0", 1000, 1));
  manager = new OtaManager({
    hal: { ...hal, ota: slots, system: { restart: (reason) => restarts.push(reason) } },
    config: resolveOtaConfig({ publicKey: signer.publicKeyHex, maxImageBytes: 256 * 1024, progressIntervalMs: 100, rebootDelayMs: 50, verifyUnitsPerTick: 100 }),
    deviceUid: config.device.uid,
    runningVersion: config.device.firmwareVersion,
    store: new MemoryOtaState(),
    uplink: new MqttOtaUplink(link),
    counters,
  });
  bindOta(link, manager);
  manager.noteStoreLoaded();
  t.true(link.router.subscriptions().includes(`${PREFIX}/ota/upgrade/command`));

  const platform = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: "platform", protocolVersion: 4 });
  const heard: { topic: string; qos: number; body: Record<string, unknown> }[] = [];
  platform.on("message", (topic, payload, packet) => heard.push({ topic, qos: packet.qos, body: JSON.parse(payload.toString()) }));
  await new Promise<void>((resolve) => platform.on("connect", () => resolve()));
  await platform.subscribeAsync(`${PREFIX}/ota/#`, { qos: 1 });

  const ticker = setInterval(() => {
    const now = hal.clock.monotonicMs();
    link.session.tick();
    manager?.noteControlTick();
    manager?.tick(now);
  }, 5);
  t.teardown(async () => {
    clearInterval(ticker);
    link.session.stop();
    hal.close();
    platform.end(true);
    await server.close();
    await broker.close();
  });
  link.session.start();
  t.true(await until(() => heard.some((m) => m.topic.endsWith("/ota/version/post")), 5000), "version reported after connecting");
  const version = heard.find((m) => m.topic === `${PREFIX}/ota/version/post`)!;
  t.is(version.qos, 1);
  t.like(version.body, { type: "ota_version", device_uid: "GW-0001", data: { version: "0.1.0", pending_verify: false, state: "idle" } });

  const command = {
    mid: "c0ffee00-0000-4000-8000-000000000001",
    type: "ota_upgrade",
    device_uid: "GW-0001",
    timestamp: 1_760_000_000_000,
    data: { version: "0.2.0", url: `${server.base}/fw.bin`, size: image.length, sha256: sha256Hex(image), signature: signImage(image, signer) },
  };
  await platform.publishAsync(`${PREFIX}/ota/upgrade/command`, JSON.stringify(command), { qos: 1 });
  t.true(await until(() => restarts.length > 0, 10_000), "staged and restarting");
  t.true(await until(() => heard.some((m) => m.topic.endsWith("/ota/progress/post") && (m.body.data as { status: string }).status === "staged"), 3000));
  const accepted = heard.find((m) => m.topic === `${PREFIX}/ota/upgrade/result`)!;
  t.is(accepted.qos, 1);
  t.like(accepted.body, { reply: command.mid, code: 200, data: { status: "accepted", version: "0.2.0" } });
  const progress = heard.filter((m) => m.topic === `${PREFIX}/ota/progress/post`);
  t.true(progress.every((m) => m.qos === 0));
  t.like(progress[0].body, { type: "ota_progress", data: { status: "downloading", version: "0.2.0", size: image.length } });
  t.deepEqual(Array.from(slots.slotContent(1, image.length)), Array.from(image));
});
