/**
 * Spec 004 session's outputs, options and internal layout (src/protocol/desired/session.ts for the behaviour):
 * what it publishes, its options and their defaults, and where each figure lives in its one state array.
 */
import { PROPERTY_COUNT } from "../../settings/registry";
import { deepFreeze } from "../../core/freeze";

/** What the session publishes; the uplink maps each to its topic (OutRoute.Thing* of the topic router). */
export const DesiredOut = deepFreeze({ SetReply: 0, DesiredGet: 1, DesiredDelete: 2, PropertyPost: 3 } as const);
export type DesiredOut = (typeof DesiredOut)[keyof typeof DesiredOut];

/** How this module publishes: the MQTT session (QoS 1, its bounded offline queue) behind a small adapter. */
export interface DesiredUplink {
  /**
   * Queue a PUBLISH of `payload` (UTF-8 JSON) on the topic of `kind`. Returns false when it cannot be queued
   * (counted here). Must not call back into the session synchronously.
   */
  publish(kind: DesiredOut, payload: string): boolean;
}

export interface DesiredOptions {
  /** A request (get, delete or post with ack) without a reply after this long is given up (and the get retried). */
  requestTimeoutMs: number;
  /** The get is retried after a timeout or an error reply, with the delay doubling from requestTimeoutMs to this. */
  retryMaxMs: number;
  /** Ask for replies to our deletes (sys.ack = 1), to count the platform's refusals. */
  deleteAck: boolean;
  /** Ask for replies to our property posts. */
  postAck: boolean;
  /**
   * A direct set (a value without a version) supersedes desired values of the same properties still stored on the
   * platform: the device deletes them (unconditionally), so an older desired value cannot come back at the next
   * reconnect and undo a later direct command.
   */
  supersedeOnDirectSet: boolean;
  /** Requests awaiting a reply (deletes and posts with ack); the oldest is dropped (counted) when full. */
  pendingCapacity: number;
  /** Recent set ids remembered to answer a redelivered set with the same reply instead of applying it again. */
  recentSetCapacity: number;
}

export const DEFAULT_DESIRED_OPTIONS: DesiredOptions = deepFreeze({
  requestTimeoutMs: 10_000,
  retryMaxMs: 300_000,
  deleteAck: true,
  postAck: false,
  supersedeOnDirectSet: true,
  pendingCapacity: 8,
  recentSetCapacity: 8,
});

export const Sync = deepFreeze({ Offline: 0, Waiting: 1, Backoff: 2, Synced: 3 } as const);
export type Sync = (typeof Sync)[keyof typeof Sync];

export const Pending = deepFreeze({ Free: 0, Delete: 1, Post: 2 } as const);

/** In a delete list: not part of the next delete. */
export const NOT_DELETED = -2;
/** In a delete list: delete whatever version is there (params `{name: {}}`). */
export const DELETE_ANY = -1;

/** The session's counters: index into COUNTER_NAMES. */
export const Counter = deepFreeze({
  SetsApplied: 0,
  SetsRefused: 1,
  SetsDuplicate: 2,
  StaleIgnored: 3,
  ValuesApplied: 4,
  ValuesRejected: 5,
  ValuesSuperseded: 6,
  GetSent: 7,
  GetTimeouts: 8,
  GetErrors: 9,
  DeleteErrors: 10,
  DeleteTimeouts: 11,
  PostErrors: 12,
  PostTimeouts: 13,
  MalformedReplies: 14,
  UnexpectedReplies: 15,
  UnknownProperties: 16,
  PendingEvicted: 17,
  PublishFailures: 18,
  IdPersistFailures: 19,
  ReusedIds: 20,
} as const);
/** Literal names (in the preloaded module's constants, not built at boot), registered in this order. */
export const COUNTER_NAMES = deepFreeze([
  "desired_sets_applied",
  "desired_sets_refused",
  "desired_sets_duplicate",
  "desired_stale_ignored",
  "desired_values_applied",
  "desired_values_rejected",
  "desired_values_superseded",
  "desired_get_sent",
  "desired_get_timeouts",
  "desired_get_errors",
  "desired_delete_errors",
  "desired_delete_timeouts",
  "desired_post_errors",
  "desired_post_timeouts",
  "desired_malformed_replies",
  "desired_unexpected_replies",
  "desired_unknown_properties",
  "desired_pending_evicted",
  "desired_publish_failures",
  "desired_id_persist_failures",
  "desired_reused_set_ids",
]);

/**
 * Layout of the session's one Float64Array of state (one backing store instead of a dozen small arrays and an
 * object of counter handles): per property the highest version seen and the superseded flag, the counter handles,
 * then columns for the pending requests (kind, deadline, id) and the recent sets (id, code, digest), whose offsets
 * depend on the options.
 */
export const FETCHED = 0;
export const SUPERSEDED = PROPERTY_COUNT;
export const COUNTERS = 2 * PROPERTY_COUNT;
/** The pending requests' kind column; the other columns follow (offsets in the session). */
export const PENDING_KINDS = COUNTERS + COUNTER_NAMES.length;
