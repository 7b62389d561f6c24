/**
 * In the real XS engine: the codec and the session's steady state allocate nothing (heap-slot delta 0 over 1000
 * packets / round trips), and the crypto streams likewise. Step counts are logged (bench/mqtt.bench.ts records them).
 */
import { createHmac } from "node:crypto";
import test from "ava";
import { startXsWithEntry, type XsWorker } from "../helpers/xs";

let xs: XsWorker;

test.before(async () => {
  xs = (await startXsWithEntry("test/xs/mqtt-entry.ts")).xs;
});

test.after.always(async () => {
  await xs?.close();
});

async function report(): Promise<Record<string, unknown>> {
  const run = await xs.run("mqttXs.report()");
  return run.replies[0] as Record<string, unknown>;
}

test.serial("codec: decoding and encoding 1 KiB PUBLISH packets allocates nothing", async (t) => {
  await xs.run("mqttXs.codec(100)");
  const codec = await xs.measure("mqttXs.codec(0)", "mqttXs.codec(1000)");
  t.is(codec.heapSlots, 0, "xs_heap_slots_per_1000_packets");
  const decode = await xs.measure("mqttXs.decode(0)", "mqttXs.decode(1000)");
  const encode = await xs.measure("mqttXs.encode(0)", "mqttXs.encode(1000)");
  const encodeRange = await xs.measure("mqttXs.encodeRange(0)", "mqttXs.encodeRange(1000)");
  t.is(decode.heapSlots, 0);
  t.is(encode.heapSlots, 0);
  t.is(encodeRange.heapSlots, 0);
  t.log(`steps per 1 KiB PUBLISH: decode ${decode.steps / 1000}, encode ${encode.steps / 1000} (payload range: ${encodeRange.steps / 1000})`);
  t.true(decode.steps > 0 && encode.steps > 0);
  t.true(((await report()).checksum as number) > 0);
});

test.serial("session steady state: QoS 1 uplink + PUBACK and QoS 1 downlink + PUBACK, 1000 round trips, no allocation", async (t) => {
  await xs.run("mqttXs.connect()");
  await xs.run("mqttXs.roundTrips(100)");
  const trips = await xs.measure("mqttXs.roundTrips(0)", "mqttXs.roundTrips(1000)");
  const state = await report();
  t.is(trips.heapSlots, 0, `session round trips allocated ${trips.heapSlots} slots`);
  t.is(state.queued, 0, "every uplink was acknowledged");
  t.is(state.delivered, 256 * 1100, "every downlink reached the handler");
  t.deepEqual(state.counters, {}, "no anomaly counted");
  t.log(`steps per round trip: ${trips.steps / 1000}`);
});

test.serial("session: publishing a 1 KiB text (UTF-8 written straight into the packet) and its PUBACK allocate nothing", async (t) => {
  await xs.run("mqttXs.textTrips(10)");
  const trips = await xs.measure("mqttXs.textTrips(0)", "mqttXs.textTrips(100)");
  t.is(trips.heapSlots, 0, `text uplinks allocated ${trips.heapSlots} slots`);
  t.is((await report()).queued, 0, "every uplink was acknowledged");
  t.log(`steps per 1 KiB text uplink: ${trips.steps / 100}`);
});

test.serial("crypto streams allocate nothing and agree with node:crypto inside XS", async (t) => {
  const run = await xs.measure("mqttXs.hash(0)", "mqttXs.hash(100)");
  t.is(run.heapSlots, 0);
  const state = await report();
  const payload = new Uint8Array(1024);
  for (let i = 0; i < payload.length; i++) payload[i] = 32 + (i % 90);
  const expected = createHmac("sha256", Buffer.alloc(32, 7)).update(payload.subarray(0, 64)).digest();
  t.deepEqual(state.digest, Array.from(expected));
});
