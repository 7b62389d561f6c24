/**
 * Spec 004 message bodies. Encoding builds small objects and strings: this runs at command rate (a set, a connect),
 * never at tick rate, which the architecture accepts.
 */
import type { SettingValue } from "../../settings/registry";
import { isPlainObject, shortJson, type Plain } from "../json-values";
import { Method, PROTOCOL_VERSION } from "./codes";

/** Reply to `thing.service.property.set`; `data` is always empty (spec 004: "请求成功时,返回的数据固定为空"). */
export function encodeSetReply(id: string, code: number, message: string, version: string): string {
  return JSON.stringify({ id, code, data: {}, message, version });
}

export function encodeDesiredGet(id: string, names: readonly string[]): string {
  // ack 1: the reply carries the desired values, so asking for none would make the request pointless.
  return JSON.stringify({ id, version: PROTOCOL_VERSION, sys: { ack: 1 }, params: names, method: Method.DesiredGet });
}

/** `params`: name -> {version} (delete only that version) or {} (delete whatever is there). */
export function encodeDesiredDelete(id: string, params: Record<string, { version?: number }>, ack: boolean): string {
  return JSON.stringify({ id, version: PROTOCOL_VERSION, sys: { ack: ack ? 1 : 0 }, params, method: Method.DesiredDelete });
}

export function encodePropertyPost(id: string, params: Record<string, SettingValue>, ack: boolean): string {
  return JSON.stringify({ id, version: PROTOCOL_VERSION, sys: { ack: ack ? 1 : 0 }, params, method: Method.PropertyPost });
}

/** Parse a payload that must be a JSON object; returns the object or a message saying what is wrong. */
export function parseObject(text: string): Plain | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `payload: not valid JSON (${text.length} bytes starting ${shortJson(text.slice(0, 20))})`;
  }
  return isPlainObject(value) ? value : `payload: must be a JSON object, got ${shortJson(value)}`;
}

/** A desired version: spec 004 says Integer; we take integers 0..2^53-1. Returns -1 otherwise. */
export function parseVersion(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : -1;
}
