/**
 * What users of the MQTT session see: its states, the inbound message object, the handler and event interfaces,
 * publish results, the HAL services and options it takes, and its traffic figures. src/mqtt/session.ts re-exports
 * all of it.
 */
import type { Clock, Log, RandomSource, TcpConnector } from "../../hal/types";
import type { Counters } from "../core/counters";
import { deepFreeze } from "../core/freeze";
import type { TopicRouter } from "../protocol/topics";
import type { DeviceIdentity } from "./auth";
import type { MqttConfig } from "./config";

export const SessionState = deepFreeze({
  /** Not started, or stopped. */
  Stopped: 0,
  /** Waiting for the reconnect timer. */
  Waiting: 1,
  /** TCP (and TLS) connection under way. */
  Connecting: 2,
  /** CONNECT sent, waiting for CONNACK. */
  AwaitingConnack: 3,
  /** CONNACK accepted: publishing and receiving. */
  Connected: 4,
} as const);
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
export const SESSION_STATE_NAMES = deepFreeze(["stopped", "waiting", "connecting", "awaiting-connack", "connected"]);

/** What a message handler tells the session about a downlink. */
export const MessageResult = deepFreeze({
  /** Handled (and persisted, if it changed anything): acknowledge now. */
  Accepted: 0,
  /** Bad input, answered with an error reply, nothing changed: acknowledge now too (a redelivery would fail the same way). */
  Rejected: 1,
  /** Still being committed: acknowledge when the handler calls `session.acknowledge(message.ackToken)`. */
  Pending: 2,
} as const);
export type MessageResult = (typeof MessageResult)[keyof typeof MessageResult];

/**
 * One received application message. A single object is reused for every message: its fields and the bytes it
 * points at are valid only during the handler call; copy what must outlive it.
 */
export class InboundMessage {
  /** Incoming route id of the TopicRouter (InRoute.*); unknown topics never reach a handler. */
  route = -1;
  /** The receive buffer; topic and payload are ranges of it. */
  buffer: Uint8Array;
  topicOffset = 0;
  topicLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  qos = 0;
  retain = false;
  dup = false;
  packetId = 0;
  /** For a Pending result: pass to `session.acknowledge`. 0 for QoS 0 messages. */
  ackToken = 0;
  /**
   * 0, or the size a PUBLISH announced that was larger than the receive buffer (mqtt.maxPacketBytes): the payload
   * range then holds only the prefix that fit. Handlers answer such a message with their protocol's error
   * (`payloadProblem` in dispatch.ts) and never parse it.
   */
  oversizeBytes = 0;
  /** The receive buffer's size, the largest message that is delivered whole. */
  readonly limitBytes: number;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.limitBytes = buffer.length;
  }
}

export interface MqttMessageHandler {
  onMessage(message: InboundMessage): MessageResult;
}

export interface MqttSessionEvents {
  /** Connected and every subscription answered: time to fetch desired state, report lists, ... */
  onOnline?(sessionPresent: boolean): void;
  /** A connection that had reached CONNACK is gone. */
  onOffline?(reason: string): void;
}

/** Results of publish calls. */
export const PublishResult = deepFreeze({
  /** QoS 1: stored in the outbox; it goes out now or after the next connect, until a PUBACK. */
  Queued: 0,
  /** QoS 0: in the send buffer of the live connection. */
  Sent: 1,
  /** QoS 0 while not connected, or the send buffer is full: dropped (counted). */
  Dropped: 2,
  /** Bigger than maxPacketBytes or the outbox/send buffer. */
  TooLarge: 3,
  /** QoS 1 and the only entry that could make room is being written right now: try again shortly. */
  Busy: 4,
  /** Disabled route, unknown route id, or an invalid topic (wildcards, bad UTF-8). */
  BadTopic: 5,
  /** QoS not 0 or 1. */
  BadQos: 6,
  /** A string payload that is not valid UTF-16 (lone surrogate) or holds U+0000. */
  BadPayload: 7,
} as const);
export type PublishResult = (typeof PublishResult)[keyof typeof PublishResult];
export const PUBLISH_RESULT_NAMES = deepFreeze(["queued", "sent", "dropped", "too large", "busy", "bad topic", "bad qos", "bad payload"]);

/** The HAL services the session uses. */
export interface SessionHal {
  clock: Clock;
  tcp: TcpConnector;
  random: RandomSource;
  log: Log;
}

/**
 * Where QoS 1 uplinks that matter (command replies, schedule events, OTA results) are kept until the broker
 * acknowledges them, so that a reboot while offline does not lose them (src/app/uplink-journal.ts keeps them in the
 * flash store). The session asks it at every QoS 1 text publish on a route it `covers`; at construction it sends
 * again, oldest first, what the journal still holds.
 */
export interface UplinkJournal {
  /** Is an uplink on this outgoing route kept? */
  covers(route: number): boolean;
  /** Keep it; returns its handle (> 0), or 0 when it could not be kept (then it is in RAM only, and counted). */
  append(route: number, payload: string): number;
  /** The broker acknowledged it: forget it. */
  acknowledged(handle: number): void;
  /** The RAM outbox dropped it to make room (counted there): forget it too. */
  dropped(handle: number): void;
  /** What is kept and not acknowledged, oldest first (at boot); `route` -1 when its route no longer exists. */
  pending(): { handle: number; route: number; payload: string }[];
}

export interface MqttSessionOptions {
  config: MqttConfig;
  device: DeviceIdentity;
  router: TopicRouter;
  handler: MqttMessageHandler;
  events?: MqttSessionEvents;
  /** Durable QoS 1 uplinks (default: none, every uplink lives in RAM only). */
  journal?: UplinkJournal;
  /** Anomaly counters go here (the gateway's); a private set otherwise. */
  counters?: Counters;
}

/** Traffic figures (plain numbers, for the status report; anomalies are in the counters). */
export interface MqttStats {
  connectAttempts: number;
  connects: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  uplinkQueued: number;
  uplinkAcked: number;
  uplinkRetransmits: number;
  qos0Sent: number;
  downlinkMessages: number;
  downlinkAccepted: number;
  downlinkPending: number;
  pingsSent: number;
}
