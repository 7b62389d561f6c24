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
/** An action did not finish within the action timeout (run events). */
export const ERR_ACTION_TIMEOUT = "5016";
/** The run queue was full when the task fired: the run was dropped (run events). */
export const ERR_RUN_QUEUE_FULL = "5017";
/** The task was deleted between its fire and the start of its run (run events). */
export const ERR_TASK_GONE = "5018";
/** An action failed without giving an error code of its own (run events). */
export const ERR_ACTION_FAILED = "5019";
