/** Build a session on the simulated HAL against a SimBroker, with a recording handler. */
import { createSimHal, type SimHal } from "../../../hal/sim/index";
import { DEFAULT_CONFIG } from "../../../src/config/gateway-config";
import { resolveMqttConfig, type MqttConfig } from "../../../src/mqtt/config";
import { MessageResult, MqttSession, type InboundMessage } from "../../../src/mqtt/session";
import { readUtf8 } from "../../../src/mqtt/utf8";
import { TopicRouter } from "../../../src/protocol/topics";
import { SimBroker } from "./sim-broker";

export interface Delivered {
  route: number;
  topic: string;
  payload: string;
  qos: number;
  dup: boolean;
  packetId: number;
  token: number;
  /** The size an oversized PUBLISH announced (its payload is then a prefix), else 0. */
  oversizeBytes: number;
}

export interface Fixture {
  sim: SimHal;
  broker: SimBroker;
  session: MqttSession;
  router: TopicRouter;
  delivered: Delivered[];
  online: boolean[];
  offline: string[];
  /** What the handler answers next (default Accepted). */
  answer: { result: MessageResult };
  config: MqttConfig;
}

export function makeFixture(overrides: Partial<MqttConfig> = {}, seed = 1): Fixture {
  const sim = createSimHal({ seed });
  const broker = new SimBroker(sim.network);
  const config = resolveMqttConfig({ broker: "mqtt://broker.sim:1883", keepAliveSec: 30, ...overrides });
  const router = new TopicRouter(DEFAULT_CONFIG.device);
  const delivered: Delivered[] = [];
  const online: boolean[] = [];
  const offline: string[] = [];
  const answer = { result: MessageResult.Accepted as MessageResult };
  const session = new MqttSession(sim, {
    config,
    device: DEFAULT_CONFIG.device,
    router,
    handler: {
      onMessage(message: InboundMessage) {
        delivered.push({
          route: message.route,
          topic: readUtf8(message.buffer, message.topicOffset, message.topicLength),
          payload: readUtf8(message.buffer, message.payloadOffset, message.payloadLength),
          qos: message.qos,
          dup: message.dup,
          packetId: message.packetId,
          token: message.ackToken,
          oversizeBytes: message.oversizeBytes,
        });
        return answer.result;
      },
    },
    events: {
      onOnline: (present) => online.push(present),
      onOffline: (reason) => offline.push(reason),
    },
  });
  return { sim, broker, session, router, delivered, online, offline, answer, config };
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
