import test from "ava";
import { Counters } from "../../src/core/counters";
import { DEFAULT_CONFIG } from "../../src/config/gateway-config";
import { InRoute, INCOMING_ROUTES, OutRoute, OUTGOING_ROUTES, RouteFamily, TopicRouter } from "../../src/protocol/topics";

const enc = (topic: string) => new TextEncoder().encode(topic);
const device = DEFAULT_CONFIG.device;

function route(router: TopicRouter, topic: string): number {
  const bytes = enc(`xx${topic}yy`);
  return router.match(bytes, 2, bytes.length - 4);
}

test("wudun scheme: spec-000 command topics map to their routes and replies; spec-004 and schedule families too", (t) => {
  const router = new TopicRouter(device);
  t.is(router.prefix, "v1/wudun/pk-demo/GW-0001");
  for (const action of ["sync", "create", "update", "delete", "update_all"]) {
    const r = route(router, `v1/wudun/pk-demo/GW-0001/streaming_overdemand/${action}/command`);
    t.true(r >= 0, action);
    t.is(router.incomingFamily(r), RouteFamily.Strategy);
    t.is(router.outgoingTopic(router.replyRoute(r)), `v1/wudun/pk-demo/GW-0001/streaming_overdemand/${action}/result`);
  }
  t.is(route(router, "/sys/pk-demo/GW-0001/thing/service/property/set"), InRoute.ThingPropertySet);
  t.is(route(router, "/sys/pk-demo/GW-0001/thing/property/desired/get_reply"), InRoute.ThingDesiredGetReply);
  t.is(route(router, "/sys/pk-demo/GW-0001/thing/property/desired/delete_reply"), InRoute.ThingDesiredDeleteReply);
  t.is(route(router, "v1/wudun/pk-demo/GW-0001/schedule/command"), InRoute.ScheduleCommand);
  t.is(router.incomingFamily(InRoute.ScheduleCommand), RouteFamily.Schedule);
  t.is(router.outgoingTopic(OutRoute.ThingDesiredGet), "/sys/pk-demo/GW-0001/thing/property/desired/get");
  t.is(router.outgoingTopic(OutRoute.OverdemandListPost), "v1/wudun/pk-demo/GW-0001/streaming_overdemand/list/post");
  t.is(router.outgoingTopic(OutRoute.ScheduleResult), "v1/wudun/pk-demo/GW-0001/schedule/result");
  t.is(router.outgoingTopic(OutRoute.Status), "v1/wudun/pk-demo/GW-0001/status/post");
  t.is(router.replyRoute(InRoute.ThingDesiredGetReply), -1);
  t.is(router.incomingCount, INCOMING_ROUTES.length);
  t.is(router.outgoingCount, OUTGOING_ROUTES.length);
  // The bytes the router writes into packets equal the strings, for both directions.
  for (let r = 0; r < router.outgoingCount; r++) {
    const bytes = new Uint8Array(router.outgoingLength(r) + 2).fill(0xee);
    router.writeOutgoing(r, bytes, 1);
    t.is(bytes[0], 0xee);
    t.is(bytes[bytes.length - 1], 0xee, "nothing written past the topic");
    t.is(new TextDecoder().decode(bytes.subarray(1, bytes.length - 1)), router.outgoingTopic(r));
  }
  t.is(router.filterCount, INCOMING_ROUTES.length);
  for (let i = 0; i < router.filterCount; i++) {
    const bytes = new Uint8Array(router.filterLength(i));
    router.writeFilter(i, bytes, 0);
    t.is(new TextDecoder().decode(bytes), router.subscriptions()[i]);
  }
});

test("user scheme uses the tenant prefix; /sys topics keep the product key", (t) => {
  const router = new TopicRouter({ ...device, topicScheme: "user", tenant: "acme" });
  t.is(route(router, "v1/user/acme/GW-0001/streaming_overdemand/sync/command"), InRoute.OverdemandSyncCommand);
  t.is(route(router, "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command"), -1);
  t.is(route(router, "/sys/pk-demo/GW-0001/thing/service/property/set"), InRoute.ThingPropertySet);
  t.is(router.outgoingTopic(OutRoute.ScheduleListPost), "v1/user/acme/GW-0001/schedule/list/post");
});

test("unknown topics (other device, near misses, empty) return -1 and are counted", (t) => {
  const counters = new Counters();
  const router = new TopicRouter(device, { counters });
  t.is(route(router, "v1/wudun/pk-demo/GW-0002/streaming_overdemand/sync/command"), -1);
  t.is(route(router, "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/commanD"), -1);
  t.is(route(router, "v1/wudun/pk-demo/GW-0001/streaming_overdemand/sync/command/"), -1);
  t.is(route(router, ""), -1);
  t.is(router.unknownTopics, 4);
  t.is(counters.value("mqtt_unknown_topics"), 4);
});

test("templates are configurable by route name; an empty template disables the route", (t) => {
  const router = new TopicRouter(device, {
    templates: { schedule_command: "${PREFIX}/timer/down", schedule_result: "${PREFIX}/timer/up", thing_property_post_reply: "" },
  });
  t.is(route(router, "v1/wudun/pk-demo/GW-0001/timer/down"), InRoute.ScheduleCommand);
  t.is(router.outgoingTopic(OutRoute.ScheduleResult), "v1/wudun/pk-demo/GW-0001/timer/up");
  t.false(router.subscriptions().includes("/sys/pk-demo/GW-0001/thing/event/property/post_reply"));
  t.is(router.subscriptions().length, INCOMING_ROUTES.length - 1);
});

test("extra routes are appended after the built-in ones", (t) => {
  const router = new TopicRouter(device, {
    extraIncoming: [{ name: "ota_upgrade", family: RouteFamily.Extra, template: "/ota/device/upgrade/${PRODUCT_KEY}/${DEVICE}", reply: "ota_progress" }],
    extraOutgoing: [{ name: "ota_progress", family: RouteFamily.Extra, template: "/ota/device/progress/${PRODUCT_KEY}/${DEVICE}" }],
  });
  const r = route(router, "/ota/device/upgrade/pk-demo/GW-0001");
  t.is(r, INCOMING_ROUTES.length);
  t.is(router.incomingName(r), "ota_upgrade");
  t.is(router.outgoingTopic(router.replyRoute(r)), "/ota/device/progress/pk-demo/GW-0001");
});

test("bad identities and templates are refused naming the field", (t) => {
  t.throws(() => new TopicRouter({ ...device, deviceName: "a/b" }), { message: /device.deviceName: "a\/b" cannot be a topic level/ });
  t.throws(() => new TopicRouter({ ...device, productKey: "" }), { message: /device.productKey: must not be empty/ });
  t.throws(() => new TopicRouter({ ...device, topicScheme: "user", tenant: "" }), { message: /device.tenant/ });
  t.throws(() => new TopicRouter(device, { templates: { nope: "x" } }), { message: /mqtt.topics.nope: no route has this name/ });
  t.throws(() => new TopicRouter(device, { templates: { schedule_command: "${PREFIX}/+/x" } }), { message: /mqtt.topics.schedule_command: .* not a valid MQTT topic name/ });
  t.throws(() => new TopicRouter(device, { templates: { schedule_command: "${NOPE}/x" } }), { message: /unknown placeholder \$\{NOPE\}/ });
  t.throws(() => new TopicRouter(device, { templates: { schedule_command: "${PREFIX}/streaming_overdemand/sync/command" } }), { message: /used by two incoming routes/ });
});
