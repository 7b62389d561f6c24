/**
 * The MQTT link in one call: topic router from the device identity, session on the HAL, per-route dispatcher.
 * See docs/mqtt.md for the wiring in the gateway.
 */
import type { GatewayConfig } from "../config/gateway-config";
import type { Counters } from "../core/counters";
import { TopicRouter, type RouteDefinition } from "../protocol/topics";
import { resolveMqttConfig } from "./config";
import { RouteDispatcher } from "./dispatch";
import { MqttSession, type MqttSessionEvents, type SessionHal, type UplinkJournal } from "./session";

export { alibabaPassword, buildCredentials, type Credentials } from "./auth";
export { DEFAULT_MQTT_CONFIG, parseBrokerUrl, resolveMqttConfig, type BrokerAddress, type MqttConfig } from "./config";
export { payloadText, RouteDispatcher, topicText, type RouteHandler } from "./dispatch";
export {
  InboundMessage,
  MessageResult,
  MqttSession,
  PUBLISH_RESULT_NAMES,
  PublishResult,
  SESSION_STATE_NAMES,
  SessionState,
  type MqttMessageHandler,
  type MqttSessionEvents,
  type MqttStats,
  type SessionHal,
  type UplinkJournal,
} from "./session";

export interface MqttLinkOptions {
  /** Overrides of DEFAULT_MQTT_CONFIG (the future `mqtt` section of the gateway config), checked. */
  mqtt?: unknown;
  /** Topic template overrides by route name ("" disables a route). */
  topics?: Record<string, string>;
  extraIncoming?: readonly RouteDefinition[];
  extraOutgoing?: readonly RouteDefinition[];
  counters?: Counters;
  events?: MqttSessionEvents;
  /** Durable QoS 1 uplinks (src/app/uplink-journal.ts), made once the router exists. */
  journal?: (router: TopicRouter) => UplinkJournal;
}

export interface MqttLink {
  session: MqttSession;
  router: TopicRouter;
  dispatcher: RouteDispatcher;
}

/** Build (not start) the link. Throws ConfigError naming the bad field. Call once at boot. */
export function createMqttLink(hal: SessionHal, config: GatewayConfig, options: MqttLinkOptions = {}): MqttLink {
  const mqtt = resolveMqttConfig(options.mqtt ?? {});
  const router = new TopicRouter(config.device, {
    templates: options.topics,
    extraIncoming: options.extraIncoming,
    extraOutgoing: options.extraOutgoing,
    counters: options.counters,
  });
  const dispatcher = new RouteDispatcher(router, options.counters);
  const journal = options.journal ? options.journal(router) : undefined;
  const session = new MqttSession(hal, { config: mqtt, device: config.device, router, handler: dispatcher, events: options.events, counters: options.counters, journal });
  return { session, router, dispatcher };
}
