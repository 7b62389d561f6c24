/**
 * Error codes of spec 003 replies and run events (strings, as the spec's examples show them). The spec uses 5009
 * and 5010 without defining them; these are the meanings this gateway gives them, plus the codes it adds.
 */
export const ERR_NONE = "0";
/** A task or command field is invalid (the reply's `msg` names the field): nothing was changed. */
export const ERR_INVALID = "5009";
/** A taskId named by DELETE / UPDATE / ENABLE / READ is not stored: nothing was changed. */
export const ERR_NOT_FOUND = "5010";
/** ADD of a taskId that exists, or the same taskId twice in one command. */
export const ERR_DUPLICATE = "5011";
/** The change would exceed the task capacity or the trigger-condition pool. */
export const ERR_CAPACITY = "5012";
/** The flash store refused the change (full, write error): nothing was changed. */
export const ERR_STORAGE = "5013";
/** Not a schedule command: no payload object, unknown `cmd`, `tasks` not an array. */
export const ERR_MALFORMED = "5014";
/** The command's `sn` names another gateway: refused, nothing was changed (the reply carries this gateway's sn). */
export const ERR_WRONG_SN = "5015";
/** An action did not finish within the action timeout (run events). */
export const ERR_ACTION_TIMEOUT = "5016";
/** The run queue was full when the task fired: the run was dropped (run events). */
export const ERR_RUN_QUEUE_FULL = "5017";
/** The task was deleted between its fire and the start of its run (run events). */
export const ERR_TASK_GONE = "5018";
/** An action failed without giving an error code of its own (run events). */
export const ERR_ACTION_FAILED = "5019";

// --- Device actions (run events): what a point read or write on the site came to (docs/points.md). Numeric, as
// the spec's error codes are; the event's `msg` carries the detail (device, point, value, what the device said).
/** The action's payload is malformed (a required field missing or of the wrong type). */
export const ERR_ACTION_PAYLOAD = "5020";
/** `addr` / `groupid` names no device of the site's point configuration (`points.devices`). */
export const ERR_UNKNOWN_DEVICE = "5021";
/** The device's model has no point of that name (`functionid`, the `operate` name). */
export const ERR_UNKNOWN_POINT = "5022";
/** The value is not a number or lies outside the point's range; or the point cannot be written. */
export const ERR_OUT_OF_RANGE = "5023";
/** The bus had no room for the request within the wait bound (the control cycle's traffic comes first). */
export const ERR_BUS_BUSY = "5024";
/** The device did not answer within the response timeout, after every retry. */
export const ERR_DEVICE_TIMEOUT = "5025";
/** The device answered with a malformed frame (CRC, length, echo) after every retry. */
export const ERR_BAD_RESPONSE = "5026";
/** Refused by a safety rule: the control loop owns the point, or nothing would act on it (docs/points.md). */
export const ERR_SAFETY = "5027";
/** `transport`: the PDU is not valid hex, or its function is not one the gateway's Modbus master carries. */
export const ERR_BAD_PDU = "5028";
/** The device answered with Modbus exception n: the errcode is 5100 + n (5101 illegal function, 5102 illegal data address, 5103 illegal data value, 5104 server failure, 5106 busy). */
export const ERR_MODBUS_EXCEPTION_BASE = 5100;
