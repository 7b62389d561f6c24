/**
 * The message envelope of spec 000, shared by every platform command and device report:
 *
 *   command (platform -> device): { trace_id?, mid, type, data?, device_uid, timestamp }
 *   result  (device -> platform): { trace_id?, mid, type, reply, code, data?, msg, device_uid, timestamp }
 *   report  (device -> platform): { trace_id?, mid, type, data, device_uid, timestamp }
 *
 * `mid` of the device's own messages is a fresh UUID v4; `reply` is the command's `mid`; `code` is 200 or 400 with
 * `msg` naming the problem (`""` on success, as the examples show); `timestamp` is wall-clock ms; `trace_id` is
 * echoed when the command had one. Fields a command carries beyond these (the examples put `reply`, `code` and `msg`
 * in some commands) are ignored.
 */
import type { Clock, RandomSource } from "../../hal/types";
import { shortJson, utf8Length } from "./json-values";
import { UuidSource } from "./uuid";

export const CODE_OK = 200;
export const CODE_BAD_REQUEST = 400;

/**
 * Longest `mid` accepted, in UTF-8 bytes: a UUID is 36; the margin admits other id styles, and 64 is the store's
 * key size for remembered replies.
 */
export const MAX_MID_LENGTH = 64;
/** Longest `trace_id` echoed. */
export const MAX_TRACE_ID_LENGTH = 128;

export interface Command {
  mid: string;
  type: string;
  traceId: string | null;
  deviceUid: string;
  timestamp: number;
  /** `undefined` when the command has no `data` member. */
  data: unknown;
}

/**
 * A parsed command, or why it was refused. A refusal still carries what is needed to answer: the `mid` (empty when
 * it could not be read) and the `trace_id` (null when absent or unreadable).
 */
export type ParsedCommand = { ok: true; command: Command } | { ok: false; msg: string; mid: string; traceId: string | null };

function refuse(msg: string, mid: string, traceId: string | null): ParsedCommand {
  return { ok: false, msg, mid, traceId };
}

/** Parse and check a command's envelope. `data` is the handler's to check. */
export function parseCommand(payload: string, expectedType: string, deviceUid: string): ParsedCommand {
  let root: unknown;
  try {
    root = JSON.parse(payload);
  } catch {
    return refuse("payload: not valid JSON", "", null);
  }
  if (typeof root !== "object" || root === null || Array.isArray(root)) return refuse("payload: must be a JSON object", "", null);
  const message = root as Record<string, unknown>;
  const mid = message.mid;
  const traceValue = message.trace_id;
  const traceId = typeof traceValue === "string" && traceValue.length <= MAX_TRACE_ID_LENGTH ? traceValue : null;
  const readableMid = typeof mid === "string" && mid.length > 0 && utf8Length(mid) <= MAX_MID_LENGTH ? mid : "";
  if (mid === undefined) return refuse("mid: required", "", traceId);
  if (readableMid === "") return refuse(`mid: must be a string of 1 to ${MAX_MID_LENGTH} bytes (UTF-8), got ${shortJson(mid)}`, "", traceId);
  if (traceValue !== undefined && traceValue !== null && traceId === null) {
    return refuse(`trace_id: must be a string of at most ${MAX_TRACE_ID_LENGTH} characters, got ${shortJson(traceValue)}`, readableMid, null);
  }
  const uid = message.device_uid;
  if (uid === undefined) return refuse("device_uid: required", readableMid, traceId);
  if (uid !== deviceUid) return refuse(`device_uid: this device is ${shortJson(deviceUid)}, got ${shortJson(uid)}`, readableMid, traceId);
  const type = message.type;
  if (type === undefined) return refuse("type: required", readableMid, traceId);
  if (type !== expectedType) return refuse(`type: must be "${expectedType}" on this topic, got ${shortJson(type)}`, readableMid, traceId);
  const timestamp = message.timestamp;
  if (timestamp === undefined) return refuse("timestamp: required", readableMid, traceId);
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    return refuse(`timestamp: must be a positive integer (ms since 1970), got ${shortJson(timestamp)}`, readableMid, traceId);
  }
  return {
    ok: true,
    command: { mid: readableMid, type: expectedType, traceId, deviceUid, timestamp, data: message.data },
  };
}

/** Builds the device's messages: fresh mids, wall-clock timestamps, this device's uid. */
export class EnvelopeWriter {
  private readonly uuids: UuidSource;

  constructor(
    readonly deviceUid: string,
    private readonly clock: Clock,
    random: RandomSource,
  ) {
    this.uuids = new UuidSource(random);
  }

  /**
   * Wall-clock ms. Before the clock is synced this is the HAL's best guess (RTC or boot default); the spec wants
   * a timestamp > 0, so it never goes below 1.
   */
  timestamp(): number {
    const ms = Math.floor(this.clock.wallMs());
    return ms > 0 ? ms : 1;
  }

  /**
   * A result for command `reply` (its mid). `data` is omitted when undefined. `part`: one message of a result in
   * several (`part` 1-based, `parts`, `total` items in all), null for an ordinary result.
   */
  result(type: string, reply: string, traceId: string | null, code: number, msg: string, data?: unknown, part: MessagePart | null = null): string {
    const out: Record<string, unknown> = {};
    if (traceId !== null) out.trace_id = traceId;
    out.mid = this.uuids.next();
    out.type = type;
    out.reply = reply;
    out.code = code;
    if (data !== undefined) out.data = data;
    if (part !== null) putPart(out, part);
    out.msg = msg;
    out.device_uid = this.deviceUid;
    out.timestamp = this.timestamp();
    return stringifyEnvelope(out);
  }

  /** A report of the device's own (e.g. streaming_overdemand_list); `part` as for `result`. */
  report(type: string, data: unknown, traceId: string | null, part: MessagePart | null = null): string {
    const out: Record<string, unknown> = {};
    if (traceId !== null) out.trace_id = traceId;
    out.mid = this.uuids.next();
    out.type = type;
    out.data = data;
    if (part !== null) putPart(out, part);
    out.device_uid = this.deviceUid;
    out.timestamp = this.timestamp();
    return stringifyEnvelope(out);
  }
}

/**
 * `data` given as JSON text already written (a list built from the store's texts, never parsed into objects): the
 * writer puts it in place of a marker after stringifying the envelope.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

const RAW_MARK = "\u0000raw-json";

/** JSON.stringify(out), with a RawJson `data` written as its text. */
function stringifyEnvelope(out: Record<string, unknown>): string {
  const raw = out.data instanceof RawJson ? out.data.text : null;
  if (raw === null) return JSON.stringify(out);
  out.data = RAW_MARK;
  const text = JSON.stringify(out);
  // The last one: fields before data (trace_id) come from the platform and could hold the marker; none after it do.
  const quoted = JSON.stringify(RAW_MARK);
  const at = text.lastIndexOf(quoted);
  return text.slice(0, at) + raw + text.slice(at + quoted.length);
}

/** Where one message stands in a reply or report split over several (docs/protocol-000.md). */
export interface MessagePart {
  /** 1-based. */
  part: number;
  parts: number;
  /** Items (strategies) in the whole reply. */
  total: number;
}

function putPart(out: Record<string, unknown>, part: MessagePart): void {
  out.part = part.part;
  out.parts = part.parts;
  out.total = part.total;
}
