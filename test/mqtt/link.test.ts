/** The one-call wiring: config + HAL -> session, router, dispatcher; per-route handlers on the simulated broker. */
import test from "ava";
import { createSimHal } from "../../hal/sim/index";
import { Gateway } from "../../src/app/gateway";
import { resolveConfig } from "../../src/config/gateway-config";
import { createMqttLink, MessageResult, payloadText, SessionState, type InboundMessage } from "../../src/mqtt/index";
import { InRoute, OutRoute } from "../../src/protocol/topics";
import { SimBroker } from "./helpers/sim-broker";

test("createMqttLink wires router, dispatcher and session on the gateway's counters; handlers per route answer on the reply route", (t) => {
  const sim = createSimHal({ seed: 3 });
  const broker = new SimBroker(sim.network);
  const config = resolveConfig({ device: { topicScheme: "user", tenant: "acme" } });
  const gateway = new Gateway(sim, config);
  const link = createMqttLink(sim, config, { mqtt: { broker: "mqtt://broker.sim:1883" }, counters: gateway.counters, topics: { thing_property_post_reply: "" } });
  gateway.addService(link.session);
  const seen: string[] = [];
  link.dispatcher.on(InRoute.OverdemandSyncCommand, (message: InboundMessage) => {
    const text = payloadText(message);
    seen.push(text);
    const mid = JSON.parse(text).mid as string;
    link.session.publishText(link.router.replyRoute(message.route), `{"reply":"${mid}","code":0}`, 1);
    return MessageResult.Accepted;
  });
  t.throws(() => link.dispatcher.on(InRoute.OverdemandSyncCommand, () => MessageResult.Accepted), { message: /already has a handler/ });
  link.session.start();
  gateway.start();
  sim.loop.runFor(2000);
  t.is(link.session.state, SessionState.Connected);
  broker.publish("v1/user/acme/GW-0001/streaming_overdemand/sync/command", '{"mid":"m-1"}', 1);
  broker.publish("v1/user/acme/GW-0001/schedule/command", '{"cmd":"READ_ALL"}', 1);
  sim.loop.runFor(100);
  t.deepEqual(seen, ['{"mid":"m-1"}']);
  const reply = broker.received.find((r) => r.topic === "v1/user/acme/GW-0001/streaming_overdemand/sync/result");
  t.is(reply?.payload.toString(), '{"reply":"m-1","code":0}');
  t.is(gateway.counters.value("mqtt_no_handler"), 1, "schedule has no handler yet: refused and counted");
  t.is(broker.sessions.get("GW-0001")!.unacked.size, 0, "both acknowledged");
  t.is(link.router.outgoingTopic(OutRoute.Status), "v1/user/acme/GW-0001/status/post");
  t.true(gateway.status().counters.mqtt_no_handler === 1);
});

test("payloadText decodes multi-byte UTF-8 and long payloads in chunks", (t) => {
  const text = "€😀é".repeat(400) + "x";
  const bytes = new TextEncoder().encode(`ab${text}cd`);
  const message = { buffer: bytes, payloadOffset: 2, payloadLength: bytes.length - 4 } as InboundMessage;
  t.is(payloadText(message), text);
});
