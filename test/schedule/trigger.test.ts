import test from "ava";
import { TablePropertySource } from "../../src/schedule/ports";
import { compileTrigger, evaluateTrigger, MAX_TRIGGER_NODES } from "../../src/schedule/trigger";
import { TaskError } from "../../src/schedule/task-error";

function evaluate(tree: unknown, source: TablePropertySource, timeOfDay = 0): boolean {
  const program = compileTrigger(tree, "trigger", source);
  return evaluateTrigger(program.ops, program.values, 0, program.length, source, timeOfDay, new Uint8Array(MAX_TRIGGER_NODES));
}

test("operators on present, equal, greater, smaller and absent values", (t) => {
  const source = new TablePropertySource();
  source.set("addr", "1_1", "Ua", 230);
  const leaf = (op: string, value?: unknown, prop = "Ua") => ({ addr: "1_1", op, prop, value });
  const table: [string, number, boolean][] = [
    ["GT", 229, true], ["GT", 230, false], ["GTE", 230, true], ["GTE", 231, false],
    ["LT", 231, true], ["LT", 230, false], ["LTE", 230, true], ["LTE", 229, false],
    ["EQ", 230, true], ["EQ", 230.5, false], ["NE", 231, true], ["NE", 230, false],
  ];
  for (const [op, value, expected] of table) t.is(evaluate(leaf(op, value), source), expected, `${op} ${value}`);
  t.true(evaluate(leaf("EX"), source));
  t.false(evaluate(leaf("NEX"), source));
  // Absent: every comparison is false (NE too), EX false, NEX true.
  for (const op of ["GT", "GTE", "LT", "LTE", "EQ", "NE"]) t.false(evaluate(leaf(op, 1, "Ub"), source), op);
  t.false(evaluate(leaf("EX", undefined, "Ub"), source));
  t.true(evaluate(leaf("NEX", undefined, "Ub"), source));
  // Booleans and numeric strings as values; groupid as a number names the same device as the string.
  source.set("groupid", "3", "On", 1);
  t.true(evaluate({ groupid: 3, op: "EQ", prop: "On", value: true }, source));
  t.true(evaluate({ groupid: "3", op: "EQ", prop: "On", value: "1" }, source));
});

test("and/or nesting and the time of day", (t) => {
  const source = new TablePropertySource();
  source.set("addr", "1_1", "Ua", 260);
  const window = { and: [{ op: "GT", prop: "${time}", value: "10:00:00" }, { op: "LT", prop: "${time}", value: "18:00" }] };
  const tree = { or: [{ and: [{ addr: "1_1", op: "GT", prop: "Ua", value: 250 }, window] }, { addr: "1_1", op: "LT", prop: "Ua", value: 180 }] };
  t.false(evaluate(tree, source, 9 * 3600));
  t.true(evaluate(tree, source, 12 * 3600));
  t.false(evaluate(tree, source, 18 * 3600));
  source.set("addr", "1_1", "Ua", 170);
  t.true(evaluate(tree, source, 3 * 3600));
});

test("limits: nodes and depth", (t) => {
  const source = new TablePropertySource();
  const leaf = { addr: "1", op: "EX", prop: "x" };
  t.throws(() => compileTrigger({ and: Array.from({ length: MAX_TRIGGER_NODES }, () => leaf) }, "trigger", source), { instanceOf: TaskError, message: /more than 32 nodes/ });
  let deep: unknown = leaf;
  for (let i = 0; i < 8; i++) deep = { and: [deep] };
  t.throws(() => compileTrigger(deep, "trigger", source), { instanceOf: TaskError, message: /deeper than 8/ });
  t.throws(() => compileTrigger({ and: [leaf], or: [leaf] }, "trigger", source), { instanceOf: TaskError, message: /both and and or/ });
  t.throws(() => compileTrigger({ and: [leaf], extra: 1 }, "trigger", source), { instanceOf: TaskError, message: /trigger.extra: unexpected/ });
});
