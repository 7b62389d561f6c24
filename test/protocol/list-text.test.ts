/**
 * The list report is written from the stored texts (handler.ts listBodyText), never from parsed bodies: each body's
 * text must be exactly what JSON.stringify gives for the body as the list shows it (listBody).
 */
import test from "ava";
import { command, example, rig } from "./helpers";

type Json = Record<string, unknown>;

test("every list body written from its stored text equals the parsed body's JSON, this month's condition included", (t) => {
  const r = rig();
  const first = (example("update_all_command").data as Json[])[0];
  const items: Json[] = [0, 1, 2].map((i) => ({ ...first, ele_meter_id: 500 + i }));
  // One body already carries a current_over_demand_condition (replaced in place), the others get it added last.
  items[0] = { ...items[0], current_over_demand_condition: 999 };
  const reply = JSON.parse(r.send("update_all", JSON.stringify(command("update_all", "list-text", items)))[0].payload);
  t.is(reply.code, 200, reply.msg);
  const ids = r.handler.strategies.map((entry) => entry.id);
  t.true(ids.length >= 2);
  for (const id of ids) {
    const text = r.handler.listBodyText(id);
    t.is(text, JSON.stringify(r.handler.listBody(id)));
    t.is(JSON.parse(text).current_over_demand_condition, (JSON.parse(text).over_demand_condition as number[])[5], "June's value");
  }
  // The list report built from the texts carries the same bodies as listData.
  const report = JSON.parse(r.handler.listReport().payload);
  t.deepEqual(report.data, r.handler.listData());
});
