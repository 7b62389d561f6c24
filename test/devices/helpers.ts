import { SimLoop } from "../../hal/sim/loop";
import { SimSerialBus } from "../../hal/sim/serial";
import type { SimBusDevice } from "../../hal/sim/serial";
import { RtuMaster } from "../../src/modbus/rtu-master";

/** A 19200-baud simulated bus with an RTU master attached. */
export function rtuBench(baud = 19200) {
  const loop = new SimLoop();
  const bus = new SimSerialBus(loop);
  const master = new RtuMaster(loop, { baud, responseTimeoutMs: 50, retries: 0, queueCapacity: 8 });
  master.attach(bus.open({ port: 1, baud }, master));
  const attach = (device: SimBusDevice) => bus.attach(device);
  return { loop, bus, master, attach };
}
