/**
 * Realistic strategy (spec 000) and task (spec 003) bodies, varied by a seeded generator. Shapes follow the specs'
 * JSON examples: half the strategies are shaped like the create/update_all payloads plus id and audit fields
 * (JSON ~0.5-0.6 KB), half like the list/sync examples with the meter and one or two devices (~1.4-2 KB), ~1 KB on
 * average; tasks are simple-mode with two actions, cron with one, or trigger-mode with a nested condition
 * (JSON ~0.25-0.65 KB).
 */
import { SeededRandom } from "../../hal/sim/random";

const STATIONS = ["测试站点", "东区储能站", "Plant North", "园区A"];
const METER_TYPES = ["Acrel-ADW300", "Acrel-DTSD1352", "Chint-DTSU666"];

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.nextInt(items.length)];
}

function stamp(random: SeededRandom): string {
  const day = 1 + random.nextInt(28);
  const nanos = String(random.nextU32()).padEnd(8, "0").slice(0, 8);
  return `2024-0${1 + random.nextInt(9)}-${String(day).padStart(2, "0")}T0${random.nextInt(10)}:${10 + random.nextInt(50)}:${10 + random.nextInt(50)}.${nanos}Z`;
}

function device(random: SeededRandom, id: number): Record<string, unknown> {
  return {
    uid: random.nextInt(3) === 0 ? "" : `DEV-${random.nextU32().toString(36).toUpperCase()}`,
    name: `设备${200 + id}`,
    site_name: pick(random, STATIONS),
    location: "",
    longitude: 0,
    latitude: 0,
    statistics_port: 1504,
    cooling_method: 1,
    level: 1,
    charges: null,
    pcs_reboot: random.nextInt(2),
    bms_reboot: 0,
    license: random.nextInt(2) ? "00000011" : "",
    type: random.nextInt(2) ? "Linux" : "",
    running_status: 1,
    id,
    proto_type: 1,
    proto_id: 0,
    slave_id: 1,
    host: `192.168.77.${random.nextInt(250)}`,
    port: 1502,
    com_addr: "",
    com_no: 0,
    baud_rate: 0,
    data_bits: 0,
    stop_bits: 0,
    parity: "",
    created_at: stamp(random),
    updated_at: stamp(random),
  };
}

/** A strategy as the overdemand handler stores it: the whole normalised body with its id. */
export function realisticStrategy(random: SeededRandom, id: number): Record<string, unknown> {
  const limit = 1000 + 500 * random.nextInt(10);
  if (random.nextInt(2) === 0) {
    return {
      id,
      device_type: 2,
      over_demand_status: 1,
      streaming_status: 1,
      dynamic_demand_status: 1,
      over_demand_condition: Array.from({ length: 12 }, () => limit + 500 * random.nextInt(4)),
      current_over_demand_condition: limit,
      ele_meter_id: 9 + random.nextInt(20),
      dynamic_demand: 0,
      dynamic_demand_percentage: pick(random, [60, 80, 90.1, 95.5]),
      streaming_condition: 1000 * (1 + random.nextInt(5)),
      individual_phase_streaming_status: 2,
      individual_phase_streaming_condition: 100,
      created_at: stamp(random),
      updated_at: stamp(random),
      updated_by: `user: ${1 + random.nextInt(9)}-admin`,
    };
  }
  const devices = [device(random, 3 + random.nextInt(50))];
  if (random.nextInt(3) === 0) devices.push(device(random, 60 + random.nextInt(50)));
  return {
    id,
    device_type: 2,
    ele_meter_id: 9 + random.nextInt(20),
    ele_meter: {
      id: 10,
      proto_type: 1,
      proto_id: 1,
      slave_id: 1,
      host: `192.168.77.${random.nextInt(250)}`,
      port: 1,
      com_addr: "",
      com_no: 0,
      baud_rate: 0,
      data_bits: 0,
      stop_bits: 0,
      parity: "",
      uid: "",
      station_name: pick(random, STATIONS),
      name: "test",
      ele_device_type_id: 1,
      ele_device_type: { id: 1, name: pick(random, METER_TYPES) },
      running_status: 2,
      direction: 1,
      pt: 1,
      ct: 1,
      purpose: 1,
      meter_ids: null,
      associate_meters: null,
    },
    devices,
    over_demand_status: 1 + random.nextInt(2),
    over_demand_condition: Array.from({ length: 12 }, () => limit + 500 * random.nextInt(4)),
    current_over_demand_condition: limit,
    dynamic_demand_status: 1,
    dynamic_demand: 0,
    dynamic_demand_percentage: pick(random, [60, 80, 90.1, 95.5]),
    streaming_status: 1,
    streaming_condition: 1000 * (1 + random.nextInt(5)),
    individual_phase_streaming_status: 2,
    individual_phase_streaming_condition: 100,
    created_at: stamp(random),
    updated_at: stamp(random),
    updated_by: `user: ${1 + random.nextInt(9)}-admin`,
  };
}

function action(random: SeededRandom): Record<string, unknown> {
  return random.nextInt(2)
    ? { method: "operate", payload: { method: "FORCESWITCH", ForceSwitch: random.nextInt(2), groupid: `${1 + random.nextInt(9)}_1` } }
    : {
        method: "operate_raw",
        payload: { addr: `${1 + random.nextInt(9)}_1`, portid: "1", meteraddr: String(1 + random.nextInt(32)), functionid: "Switch", value: random.nextInt(2) },
      };
}

/** A spec 003 task. */
export function realisticTask(random: SeededRandom, taskId: string): Record<string, unknown> {
  const base = {
    taskId,
    enable: 1,
    priority: 1 + random.nextInt(3),
    startTime: 1710957600 + random.nextInt(1_000_000),
    endTime: 1729447200 + random.nextInt(1_000_000),
  };
  const kind = random.nextInt(3);
  if (kind === 0) {
    return {
      ...base,
      cycle: { mode: "simple", dstEnable: 1, time: `${10 + random.nextInt(10)}:00:00`, period: "week", weekday: [1, 3, 4, 6, 7], monthday: [1, 15, 25] },
      actions: [action(random), action(random)],
    };
  }
  if (kind === 1) {
    return { ...base, cycle: { mode: "cron", dstEnable: 1, cron: `0 0/${5 + random.nextInt(25)} * * * ?` }, actions: [action(random)] };
  }
  return {
    ...base,
    cycle: {
      mode: "trigger",
      dstEnable: 1,
      trigger: {
        or: [
          { and: [{ addr: "1_1", op: "GT", prop: "Ua", value: 220 }, { groupid: 1, op: "LT", prop: "Ua", value: 250 }] },
          { and: [{ op: "GT", prop: "${time}", value: "10:00:00" }, { op: "LT", prop: "${time}", value: "18:00:00" }] },
        ],
      },
      period: "week",
      weekday: [1, 3, 4, 6, 7],
      monthday: [1, 15, 25],
    },
    actions: [action(random), action(random)],
  };
}

/** UTF-8 bytes of the minified JSON (what the platform sends, without whitespace). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}
