/**
 * spec-003 trigger conditions: a MongoDB-like and/or tree over live device properties and the local time of day,
 * compiled once into postfix code (int32 op words plus float64 operands) and evaluated without allocating.
 *
 *   { "or": [ { "and": [ { "addr": "1_1", "op": "GT", "prop": "Ua", "value": 220 }, ... ] },
 *             { "and": [ { "op": "GT", "prop": "${time}", "value": "10:00:00" }, ... ] } ] }
 *
 * - A leaf names a device by `addr` or `groupid` (string or number, exactly one), a property `prop` and an operator
 *   GT GTE LT LTE NE EQ (compared with the number `value`) or EX / NEX (the property has / has no current value).
 * - `prop: "${time}"` compares the site's local time of day with `value` "HH:MM[:SS]"; no device, no EX/NEX.
 * - A property without a current value (device offline, never read) makes every comparison false, NE included:
 *   missing data never triggers an action; EX/NEX exist to test for it.
 * Values are numbers (booleans count as 1/0, numeric strings are accepted); other strings are refused.
 */
import type { PropertySource } from "./ports";
import { TaskError } from "./task-error";
import { deepFreeze } from "../core/freeze";

export const OP_GT = 1;
export const OP_GTE = 2;
export const OP_LT = 3;
export const OP_LTE = 4;
export const OP_NE = 5;
export const OP_EQ = 6;
export const OP_EX = 7;
export const OP_NEX = 8;
/** Node kinds in a compiled word's low 4 bits. */
export const NODE_LEAF = 0;
export const NODE_AND = 1;
export const NODE_OR = 2;

const OPERATORS: Record<string, number> = deepFreeze({ GT: OP_GT, GTE: OP_GTE, LT: OP_LT, LTE: OP_LTE, NE: OP_NE, EQ: OP_EQ, EX: OP_EX, NEX: OP_NEX });

/**
 * A leaf is evaluated as one bit test: the comparison's outcome is GREATER (1), LESS (2), EQUAL (4) or ABSENT (8,
 * the value is NaN) and each operator is the set of outcomes that make it true. EX is "any present outcome".
 */
const OUTCOME_GREATER = 1;
const OUTCOME_LESS = 2;
const OUTCOME_EQUAL = 4;
const OUTCOME_ABSENT = 8;
const OUTCOMES: Record<number, number> = deepFreeze({
  [OP_GT]: OUTCOME_GREATER,
  [OP_GTE]: OUTCOME_GREATER | OUTCOME_EQUAL,
  [OP_LT]: OUTCOME_LESS,
  [OP_LTE]: OUTCOME_LESS | OUTCOME_EQUAL,
  [OP_NE]: OUTCOME_GREATER | OUTCOME_LESS,
  [OP_EQ]: OUTCOME_EQUAL,
  [OP_EX]: OUTCOME_GREATER | OUTCOME_LESS | OUTCOME_EQUAL,
  [OP_NEX]: OUTCOME_ABSENT,
});

/** Nodes (leaves plus and/or) one task's condition may have, and how deep it may nest. */
export const MAX_TRIGGER_NODES = 32;
export const MAX_TRIGGER_DEPTH = 8;

export const TIME_PROPERTY = "${time}";

/**
 * A compiled condition: `length` postfix words in `ops` with their operands in `values`. A word is
 * `kind | outcomes << 4 | arg << 8`: NODE_LEAF (outcomes: the OUTCOME bits that make it true; arg: property
 * handle + 1, or 0 for the time of day), NODE_AND / NODE_OR (arg: child count).
 */
export class TriggerProgram {
  readonly ops = new Int32Array(MAX_TRIGGER_NODES);
  readonly values = new Float64Array(MAX_TRIGGER_NODES);
  length = 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "HH:MM[:SS]" as seconds of the day, or -1. */
export function parseTimeOfDay(text: unknown): number {
  if (typeof text !== "string") return -1;
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!match) return -1;
  const h = Number(match[1]);
  const m = Number(match[2]);
  const s = match[3] === undefined ? 0 : Number(match[3]);
  if (h > 23 || m > 59 || s > 59) return -1;
  return h * 3600 + m * 60 + s;
}

/** Compile `tree` (the `cycle.trigger` object) for `source`. Throws TaskError naming the offending path. */
export function compileTrigger(tree: unknown, path: string, source: PropertySource): TriggerProgram {
  const program = new TriggerProgram();
  compileNode(tree, path, 1, program, source);
  return program;
}

/** Append a node: `kind` NODE_AND/NODE_OR with `arg` children, or NODE_LEAF for operator `op`. */
function emit(program: TriggerProgram, path: string, kind: number, op: number, arg: number, value: number): void {
  if (program.length === MAX_TRIGGER_NODES) throw new TaskError(path, `the condition has more than ${MAX_TRIGGER_NODES} nodes`);
  program.ops[program.length] = kind | (kind === NODE_LEAF ? OUTCOMES[op] << 4 : 0) | (arg << 8);
  program.values[program.length] = value;
  program.length++;
}

function compileNode(node: unknown, path: string, depth: number, program: TriggerProgram, source: PropertySource): void {
  if (!isPlainObject(node)) throw new TaskError(path, "must be an object with and, or, or a condition (op, prop)");
  if (depth > MAX_TRIGGER_DEPTH) throw new TaskError(path, `nests deeper than ${MAX_TRIGGER_DEPTH} levels`);
  const hasAnd = "and" in node;
  const hasOr = "or" in node;
  if (hasAnd || hasOr) {
    if (hasAnd && hasOr) throw new TaskError(path, "has both and and or; nest one inside the other");
    const key = hasAnd ? "and" : "or";
    const children = node[key];
    if (!Array.isArray(children) || children.length === 0) throw new TaskError(`${path}.${key}`, "must be a non-empty array");
    for (const other of Object.keys(node)) if (other !== key) throw new TaskError(`${path}.${other}`, `unexpected next to ${key}`);
    for (let i = 0; i < children.length; i++) compileNode(children[i], `${path}.${key}[${i}]`, depth + 1, program, source);
    emit(program, path, hasAnd ? NODE_AND : NODE_OR, 0, children.length, 0);
    return;
  }
  const opName = node.op;
  if (typeof opName !== "string" || !(opName in OPERATORS)) throw new TaskError(`${path}.op`, "must be one of GT GTE LT LTE NE EQ EX NEX");
  const op = OPERATORS[opName];
  const prop = node.prop;
  if (typeof prop !== "string" || prop.length === 0) throw new TaskError(`${path}.prop`, "must be a non-empty string");
  if (prop === TIME_PROPERTY) {
    if (op === OP_EX || op === OP_NEX) throw new TaskError(`${path}.op`, "EX/NEX do not apply to ${time}");
    if ("addr" in node || "groupid" in node) throw new TaskError(path, "${time} takes no addr or groupid");
    const seconds = parseTimeOfDay(node.value);
    if (seconds < 0) throw new TaskError(`${path}.value`, 'must be a time of day "HH:MM:SS" for ${time}');
    emit(program, path, NODE_LEAF, op, 0, seconds);
    return;
  }
  const hasAddr = "addr" in node;
  const hasGroup = "groupid" in node;
  if (hasAddr === hasGroup) throw new TaskError(path, "needs exactly one of addr or groupid");
  const target = hasAddr ? "addr" : "groupid";
  const id = node[target];
  if (!((typeof id === "string" && id.length > 0) || (typeof id === "number" && Number.isFinite(id)))) {
    throw new TaskError(`${path}.${target}`, "must be a non-empty string or a number");
  }
  let value = 0;
  if (op !== OP_EX && op !== OP_NEX) {
    const raw = node.value;
    if (typeof raw === "number" && Number.isFinite(raw)) value = raw;
    else if (typeof raw === "boolean") value = raw ? 1 : 0;
    else if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) value = Number(raw);
    else throw new TaskError(`${path}.value`, "must be a number");
  }
  const handle = source.resolve(target, String(id), prop);
  emit(program, path, NODE_LEAF, op, handle + 1, value);
}

/**
 * Evaluate the program at `ops/values[start, start + length)`. `timeOfDay` is the local second of the day; `stack`
 * is caller-owned scratch of at least MAX_TRIGGER_NODES entries.
 */
export function evaluateTrigger(
  ops: Int32Array,
  values: Float64Array,
  start: number,
  length: number,
  source: PropertySource,
  timeOfDay: number,
  stack: Uint8Array,
): boolean {
  let top = 0;
  const end = start + length;
  for (let i = start; i < end; i++) {
    const word = ops[i];
    const arg = word >> 8;
    const kind = word & 0xf;
    if (kind === NODE_LEAF) {
      const actual = arg === 0 ? timeOfDay : source.read(arg - 1);
      const value = values[i];
      const outcome = actual > value ? OUTCOME_GREATER : actual < value ? OUTCOME_LESS : actual === value ? OUTCOME_EQUAL : OUTCOME_ABSENT;
      stack[top++] = (word >> 4) & outcome ? 1 : 0;
      continue;
    }
    // AND / OR over the last `arg` results.
    let result = kind === NODE_AND ? 1 : 0;
    for (let k = 0; k < arg; k++) {
      if (kind === NODE_AND) result &= stack[--top];
      else result |= stack[--top];
    }
    stack[top++] = result;
  }
  return top === 1 && stack[0] === 1;
}
