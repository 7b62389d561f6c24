import test from "ava";
import { elementSpans, memberSpan, skipValue } from "../../src/protocol/json-spans";

const slice = (text: string, span: readonly number[] | null): string | null => (span === null ? null : text.slice(span[0], span[1]));

test("memberSpan finds a member's value exactly once, spaces, strings with brackets and escapes included", (t) => {
  const text = ` {"a": "x}]\\"y", "payload " : {"cmd":"SET","tasks":[{"k":"[{"}, 2 ,"s"]} , "z": [1,{"q":null}]}`;
  const at = text.indexOf("{");
  t.is(slice(text, memberSpan(text, at, "a")), `"x}]\\"y"`);
  const payload = memberSpan(text, at, "payload", "payload ");
  t.is(slice(text, payload), `{"cmd":"SET","tasks":[{"k":"[{"}, 2 ,"s"]}`);
  const tasks = memberSpan(text, payload![0], "tasks");
  t.is(slice(text, tasks), `[{"k":"[{"}, 2 ,"s"]`);
  const spans = elementSpans(text, tasks![0], tasks![1], 10)!;
  t.deepEqual(Array.from({ length: spans.length / 2 }, (_, i) => text.slice(spans[2 * i], spans[2 * i + 1])), [`{"k":"[{"}`, "2", `"s"`]);
  t.is(slice(text, memberSpan(text, at, "z")), `[1,{"q":null}]`);
  t.is(memberSpan(text, at, "missing"), null);
});

test("it declines what it is not sure of: a member twice (or both spellings), an escaped key, malformed text, too many elements", (t) => {
  t.is(memberSpan(`{"tasks":[1],"tasks":[2]}`, 0, "tasks"), null, "JSON.parse would take the last one");
  t.is(memberSpan(`{"payload":{},"payload ":{}}`, 0, "payload", "payload "), null);
  t.is(memberSpan(`{"ta\\u0073ks":[1]}`, 0, "tasks"), null, "an escaped key could be the member");
  t.is(memberSpan(`{"tasks":[1,2}`, 0, "tasks"), null);
  t.is(memberSpan(`{"tasks" [1]}`, 0, "tasks"), null);
  t.is(memberSpan(`{"tasks":"unterminated}`, 0, "tasks"), null);
  t.is(memberSpan(`[1]`, 0, "tasks"), null);
  const text = `[1,2,3]`;
  t.is(elementSpans(text, 0, text.length, 2), null);
  t.is(elementSpans(`[1,,2]`, 0, 6, 10), null);
  t.is(elementSpans(`[1 2]`, 0, 5, 10), null);
  t.deepEqual(elementSpans(`[ ]`, 0, 3, 10), new Uint32Array(0));
});

test("nesting is counted, not recursed: a 100,000-deep array is skipped without a stack overflow", (t) => {
  const depth = 100_000;
  const text = `{"tasks":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const span = memberSpan(text, 0, "tasks");
  t.deepEqual(span, [9, 9 + 2 * depth]);
  t.is(skipValue(`${"[".repeat(depth)}`, 0), -1, "unterminated: declined");
});
