/**
 * The session's internal constants, shared by its layers (session-core, -send, -receive, session.ts): what the
 * socket is writing, the counters it registers, the SUBSCRIBE bookkeeping, and its deadlines.
 */
import { deepFreeze } from "../core/freeze";

export const WRITE_NONE = 0;
export const WRITE_SEND_BUFFER = 1;
export const WRITE_OUTBOX = 2;

/**
 * The session's counters, registered in this order at construction; their handles live in one small typed array
 * (an object of 18 handles would cost a heap slot each). Indexes: the C_* constants.
 */
export const COUNTER_NAMES = deepFreeze([
  "mqtt_uplink_dropped_oldest",
  "mqtt_qos0_dropped",
  "mqtt_publish_busy",
  "mqtt_keepalive_timeouts",
  "mqtt_connect_timeouts",
  "mqtt_connect_failures",
  "mqtt_protocol_errors",
  "mqtt_packet_too_large",
  "mqtt_connack_refused",
  "mqtt_subscribe_failures",
  "mqtt_downlink_duplicates",
  "mqtt_downlink_rejected",
  "mqtt_handler_errors",
  "mqtt_ack_queue_full",
  "mqtt_inbound_full",
  "mqtt_puback_unknown",
  "mqtt_unexpected_packets",
  "mqtt_disconnects",
  "mqtt_oversized_publishes",
]);
export const C_DROPPED_OLDEST = 0;
export const C_QOS0_DROPPED = 1;
export const C_BUSY = 2;
export const C_KEEPALIVE_TIMEOUTS = 3;
export const C_CONNECT_TIMEOUTS = 4;
export const C_CONNECT_FAILURES = 5;
export const C_PROTOCOL_ERRORS = 6;
export const C_PACKET_TOO_LARGE = 7;
export const C_CONNACK_REFUSED = 8;
export const C_SUBSCRIBE_FAILURES = 9;
export const C_DUPLICATES = 10;
export const C_REJECTED = 11;
export const C_HANDLER_ERRORS = 12;
export const C_ACK_QUEUE_FULL = 13;
export const C_INBOUND_FULL = 14;
export const C_PUBACK_UNKNOWN = 15;
export const C_UNEXPECTED = 16;
export const C_DISCONNECTS = 17;
export const C_OVERSIZED = 18;

/**
 * `subscribeTable` (Uint16Array): the SUBACK code per filter (0x80 refused, 0xff not answered yet), then per
 * SUBSCRIBE in flight [packet id, first filter, filter count].
 */
export const BATCH_FIELDS = 3;

/**
 * The session's deadlines, served by one HAL timer (each HAL timer costs about 20 heap slots: its object, the
 * platform timer, two callbacks). Deadlines are monotonic ms, Infinity when off; the HAL timer is armed for the
 * earliest. Due deadlines fire in deadline order and ties in arming order, as four HAL timers would.
 */
export const T_RECONNECT = 0;
/** Periodic: every keepalive, from the CONNACK. */
export const T_PING = 1;
export const T_LIVENESS = 2;
export const T_STABLE = 3;
export const TIMERS = 4;
