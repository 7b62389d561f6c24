/**
 * Result codes of spec 004 replies ("设备端通用code", the Alibaba-style device codes), and the device-defined ones
 * from the 100000..110000 range reserved for them. docs/protocol-004.md lists them for the platform team.
 */
import { deepFreeze } from "../../core/freeze";

export const Code = deepFreeze({
  /** Applied and committed to flash. */
  Success: 200,
  /** The device could not process a valid request (the store refused the commit); nothing changed. */
  RequestError: 400,
  /** Not used by this device; listed because the platform may send it in replies (too many requests). */
  TooManyRequests: 429,
  /** A malformed request or a bad value: wrong type, out of range, a broken cross-property rule. */
  ParameterError: 460,
  /** A property name the registry does not know. Device-defined. */
  UnknownProperty: 100001,
} as const);

export const SUCCESS_MESSAGE = "success";

/** Protocol version: spec 004 says the only value is "1.0". */
export const PROTOCOL_VERSION = "1.0";

export const Method = deepFreeze({
  PropertySet: "thing.service.property.set",
  DesiredGet: "thing.property.desired.get",
  DesiredDelete: "thing.property.desired.delete",
  PropertyPost: "thing.event.property.post",
} as const);
