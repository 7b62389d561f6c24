/**
 * The platform's commands as the real-SDK scripts send them (moddable:memory, moddable:boot-memory): spec 000
 * strategies made from docs/examples/spec-000/create.json, each on its own meter and PCS.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build";

const example = JSON.parse(readFileSync(join(ROOT, "docs/examples/spec-000/create.json"), "utf8"));

export function strategy(i: number): Record<string, unknown> {
  const data = structuredClone(example.data);
  data.ele_meter_id = 10 + i;
  data.ele_meter.id = 10 + i;
  data.ele_meter.slave_id = 1 + (i % 200);
  data.devices[0].id = 100 + i;
  data.devices[0].slave_id = 1 + ((i + 100) % 200);
  data.devices[0].name = `PCS ${i}`;
  return data;
}

/** A spec 000 envelope from the device's platform. */
export function envelope(type: string, data: unknown, mid: string): string {
  return JSON.stringify({ mid, type, device_uid: "GW-0001", timestamp: 1795000000000, data });
}

/** A spec 003 task that fires hourly (minute i % 60). */
export function task(i: number): Record<string, unknown> {
  return {
    taskId: `t${i}`,
    enable: 1,
    priority: 1,
    startTime: "",
    endTime: "",
    cycle: { mode: "cron", dstEnable: 1, cron: `0 ${i % 60} * * * ?` },
    actions: [{ method: "operate_raw", payload: { addr: "3", portid: "1", meteraddr: "1", functionid: "ess_setpoint_kw", value: -20 } }],
  };
}

/** Spec 003 msgids are 64-bit numbers on the wire: counted as BigInt and written unquoted. */
let msgid = 628131887239491584n;
export function scheduleCommand(cmd: string, tasks: unknown[]): string {
  msgid += 1n;
  const id = msgid.toString();
  return JSON.stringify({ msgid: id, method: "schedule", sn: "GW-0001", timestamp: 1772409630, "payload ": { cmd, tasks } }).replace(`"${id}"`, id);
}
