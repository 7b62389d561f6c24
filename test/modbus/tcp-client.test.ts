import test from "ava";
import { SimLoop } from "../../hal/sim/loop";
import { SimModbusSlave } from "../../sim/site/modbus-slave";
import { serveModbusTcp } from "../../sim/site/tcp-server";
import { SimNetwork } from "../../hal/sim/tcp";
import { ModbusTcpClient } from "../../src/modbus/tcp-client";
import { ModbusTransaction, TxStatus, type ModbusListener } from "../../src/modbus/transaction";

function setup(options: Partial<{ retries: number; reconnectMs: number }> = {}) {
  const loop = new SimLoop();
  const network = new SimNetwork(loop);
  network.latencyMs = 2;
  const slave = new SimModbusSlave(1);
  const holding = slave.holding.add(40000, 100);
  const server = serveModbusTcp(network, "192.168.77.208", 1502, [slave]);
  const client = new ModbusTcpClient(loop, network, {
    host: "192.168.77.208",
    port: 1502,
    responseTimeoutMs: 100,
    retries: options.retries ?? 0,
    queueCapacity: 4,
    reconnectMs: options.reconnectMs ?? 1000,
  });
  const done: ModbusTransaction[] = [];
  const statuses: number[] = [];
  const listener: ModbusListener = {
    onModbusDone(tx) {
      done.push(tx);
      statuses.push(tx.status);
    },
  };
  return { loop, network, slave, holding, server, client, done, statuses, listener };
}

test("connects on demand and reads, writes with MBAP framing", (t) => {
  const { loop, holding, client, statuses, listener } = setup();
  holding[24] = 0xfffe;
  holding[25] = 0x7960;
  const read = new ModbusTransaction(2, listener).setRead(1, 3, 40024, 2);
  const write = new ModbusTransaction(2, listener);
  write.registers.set([0, 5000]);
  write.setWrite(1, 40030, 2);
  t.true(client.submit(read));
  t.true(client.submit(write));
  loop.runFor(200);
  t.deepEqual(statuses, [TxStatus.Ok, TxStatus.Ok]);
  t.deepEqual([...read.registers], [0xfffe, 0x7960]);
  t.is(holding[31], 5000);
  t.is(client.connects, 1);
  t.true(client.connected);
});

test("exceptions over TCP are reported with their code", (t) => {
  const { loop, client, statuses, listener } = setup();
  const tx = new ModbusTransaction(2, listener).setRead(1, 4, 10, 2);
  client.submit(tx);
  loop.runFor(200);
  t.deepEqual(statuses, [TxStatus.Exception]);
  t.is(tx.exceptionCode, 2);
});

test("a silent device times out, the link is dropped, and a late answer does not confuse the next request", (t) => {
  const { loop, slave, holding, client, statuses, listener } = setup({ reconnectMs: 50 });
  holding[0] = 1;
  slave.silent = true;
  const first = new ModbusTransaction(1, listener).setRead(1, 3, 40000, 1);
  client.submit(first);
  loop.runFor(300);
  t.deepEqual(statuses, [TxStatus.Timeout]);
  t.false(client.connected);
  slave.silent = false;
  holding[0] = 2;
  client.submit(first);
  loop.runFor(300);
  t.deepEqual(statuses, [TxStatus.Timeout, TxStatus.Ok]);
  t.is(first.registers[0], 2);
  t.is(client.connects, 2);
});

test("a refused connection fails what is queued, and reconnects no sooner than reconnectMs", (t) => {
  const { loop, network, client, statuses, listener } = setup({ reconnectMs: 1000 });
  network.refuseConnections = true;
  const tx = new ModbusTransaction(1, listener).setRead(1, 3, 40000, 1);
  client.submit(tx);
  loop.runFor(100);
  t.deepEqual(statuses, [TxStatus.Timeout]);
  network.refuseConnections = false;
  client.submit(tx);
  loop.runFor(500);
  t.is(network.connectAttempts, 1, "held off");
  loop.runFor(600);
  t.is(network.connectAttempts, 2);
  t.deepEqual(statuses, [TxStatus.Timeout, TxStatus.Ok]);
});

test("answers for another unit id are dropped by the server and time out with retries", (t) => {
  const { loop, client, server, statuses, listener } = setup({ retries: 1 });
  const tx = new ModbusTransaction(1, listener).setRead(9, 3, 40000, 1);
  client.submit(tx);
  loop.runFor(1000);
  t.deepEqual(statuses, [TxStatus.Timeout]);
  t.is(tx.attempts, 2);
  t.is(server.unknownUnit, 2);
});
