import test from "ava";
import { SimLoop } from "../../hal/sim/loop";
import { SimSerialBus } from "../../hal/sim/serial";
import { SimModbusSlave } from "../../sim/site/modbus-slave";
import { Counters } from "../../src/core/counters";
import { RtuMaster } from "../../src/modbus/rtu-master";
import { frameGapMs, rtuReadMs, rtuWriteMs } from "../../src/modbus/timing";
import { ModbusTransaction, TxStatus, type ModbusListener } from "../../src/modbus/transaction";

function setup(baud = 9600, options: Partial<{ retries: number; queueCapacity: number; responseTimeoutMs: number }> = {}) {
  const loop = new SimLoop();
  const bus = new SimSerialBus(loop);
  const counters = new Counters();
  const master = new RtuMaster(loop, {
    baud,
    responseTimeoutMs: options.responseTimeoutMs ?? 50,
    retries: options.retries ?? 1,
    queueCapacity: options.queueCapacity ?? 4,
    name: "rs485",
    counters,
  });
  master.attach(bus.open({ port: 1, baud }, master));
  const slave = new SimModbusSlave(7);
  slave.turnaroundMs = 5;
  const holding = slave.holding.add(100, 20);
  const input = slave.input.add(0x2000, 10);
  bus.attach(slave);
  const done: { status: number; at: number; values: number[]; exception: number; attempts: number }[] = [];
  const listener: ModbusListener = {
    onModbusDone(tx) {
      done.push({ status: tx.status, at: loop.monotonicMs(), values: [...tx.registers.slice(0, tx.count)], exception: tx.exceptionCode, attempts: tx.attempts });
    },
  };
  return { loop, bus, master, slave, holding, input, done, listener, counters };
}

test("FC03 reads holding registers, and the transaction takes the planned bus time", (t) => {
  const { loop, master, holding, done, listener } = setup();
  holding.set([11, 22, 33], 2);
  const tx = new ModbusTransaction(8, listener).setRead(7, 3, 102, 3);
  t.true(master.submit(tx));
  t.is(tx.status, TxStatus.InFlight);
  loop.runFor(500);
  t.is(done.length, 1);
  t.is(done[0].status, TxStatus.Ok);
  t.deepEqual(done[0].values, [11, 22, 33]);
  // Request + gap + turnaround + answer on the line; the trailing gap is spent after completion.
  const planned = rtuReadMs(9600, 3, 5) - frameGapMs(9600);
  t.true(Math.abs(done[0].at - planned) < 0.01, `done at ${done[0].at}, planned ${planned}`);
});

test("FC04 reads input registers; FC06 and FC16 write and are echoed", (t) => {
  const { loop, master, holding, input, done, listener } = setup();
  input[3] = 0xbeef;
  const read = new ModbusTransaction(4, listener).setRead(7, 4, 0x2003, 1);
  const single = new ModbusTransaction(1, listener);
  single.registers[0] = 0x1234;
  single.setWrite(7, 100, 1, true);
  const multi = new ModbusTransaction(3, listener);
  multi.registers.set([1, 2, 0xffff]);
  multi.setWrite(7, 110, 3);
  t.true(master.submit(read));
  t.true(master.submit(single));
  t.true(master.submit(multi));
  t.is(master.pending, 3);
  loop.runFor(1000);
  t.deepEqual(
    done.map((d) => d.status),
    [TxStatus.Ok, TxStatus.Ok, TxStatus.Ok],
  );
  t.deepEqual(done[0].values, [0xbeef]);
  t.is(holding[0], 0x1234);
  t.deepEqual([...holding.slice(10, 13)], [1, 2, 0xffff]);
  t.is(single.functionCode, 6);
  t.is(multi.functionCode, 16);
});

test("an exception answer is reported with its code and is not retried", (t) => {
  const { loop, master, done, listener, counters } = setup();
  const tx = new ModbusTransaction(4, listener).setRead(7, 3, 500, 2);
  master.submit(tx);
  loop.runFor(500);
  t.is(done[0].status, TxStatus.Exception);
  t.is(done[0].exception, 2);
  t.is(done[0].attempts, 1);
  t.is(counters.value("modbus_rs485_exceptions"), 1);
  t.is(counters.value("modbus_rs485_retries"), 0);
});

test("a silent slave times out after every retry; the deadline follows the baud and the timeout", (t) => {
  const { loop, master, slave, done, listener, counters } = setup(9600, { retries: 2, responseTimeoutMs: 40 });
  slave.silent = true;
  const tx = new ModbusTransaction(4, listener).setRead(7, 3, 100, 2);
  master.submit(tx);
  loop.runFor(2000);
  t.is(done.length, 1);
  t.is(done[0].status, TxStatus.Timeout);
  t.is(done[0].attempts, 3);
  t.is(counters.value("modbus_rs485_timeouts"), 3);
  t.is(counters.value("modbus_rs485_retries"), 2);
  // Each attempt: request (8 chars) + gap + 40 ms + the answer's line time (9 chars), rounded up, plus the gap before the retry.
  const charMs = 11_000 / 9600;
  const attempt = Math.ceil(17 * charMs + frameGapMs(9600) + 40);
  t.true(done[0].at >= 3 * attempt && done[0].at <= 3 * attempt + 3 * 5, `done at ${done[0].at}`);
});

test("a corrupted answer (CRC) is retried and the retry succeeds", (t) => {
  const { loop, bus, master, holding, done, listener, counters } = setup();
  holding[0] = 4242;
  bus.corruptAnswers = 1;
  master.submit(new ModbusTransaction(2, listener).setRead(7, 3, 100, 1));
  loop.runFor(1000);
  t.is(done[0].status, TxStatus.Ok);
  t.deepEqual(done[0].values, [4242]);
  t.is(done[0].attempts, 2);
  t.is(counters.value("modbus_rs485_bad_responses"), 1);
});

test("answers that arrive in small chunks are reassembled", (t) => {
  const { loop, bus, master, holding, done, listener } = setup(19200);
  bus.rxChunkBytes = 3;
  for (let i = 0; i < 20; i++) holding[i] = 1000 + i;
  master.submit(new ModbusTransaction(20, listener).setRead(7, 3, 100, 20));
  loop.runFor(1000);
  t.is(done[0].status, TxStatus.Ok);
  t.is(done[0].values[19], 1019);
});

test("requests are separated by at least t3.5 of silence on the wire and never overlap", (t) => {
  const { loop, bus, master, slave, listener } = setup(9600);
  const arrivals: number[] = [];
  bus.attach({ onFrame: () => arrivals.push(loop.monotonicMs()) });
  for (let i = 0; i < 4; i++) master.submit(new ModbusTransaction(2, listener).setRead(7, 3, 100 + i, 2));
  loop.runFor(2000);
  t.is(arrivals.length, 4);
  t.is(bus.collisions, 0);
  t.is(slave.requests, 4);
  const transaction = rtuReadMs(9600, 2, 5);
  for (let i = 1; i < arrivals.length; i++) {
    // One full transaction (with both gaps) separates the arrivals of consecutive requests, up to ms rounding.
    const spacing = arrivals[i] - arrivals[i - 1];
    t.true(spacing >= transaction - 0.01 && spacing <= transaction + 1.01, `spacing ${spacing} vs ${transaction}`);
  }
});

test("a full queue refuses and counts; a busy transaction cannot be submitted twice", (t) => {
  const { master, listener, counters } = setup(9600, { queueCapacity: 2 });
  const a = new ModbusTransaction(2, listener).setRead(7, 3, 100, 1);
  const b = new ModbusTransaction(2, listener).setRead(7, 3, 100, 1);
  const c = new ModbusTransaction(2, listener).setRead(7, 3, 100, 1);
  t.true(master.submit(a));
  t.false(master.submit(a));
  t.true(master.submit(b));
  t.false(master.submit(c));
  t.is(c.status, TxStatus.Refused);
  t.is(counters.value("modbus_rs485_refused"), 2);
});

test("bad requests are refused before anything is sent", (t) => {
  const { bus, master, listener } = setup();
  const tooMany = new ModbusTransaction(200, listener).setRead(7, 3, 0, 126);
  const broadcastRead = new ModbusTransaction(2, listener).setRead(0, 3, 0, 1);
  const overflow = new ModbusTransaction(2, listener).setRead(7, 3, 0xffff, 2);
  t.false(master.submit(tooMany));
  t.false(master.submit(broadcastRead));
  t.false(master.submit(overflow));
  t.is(bus.framesFromMaster, 0);
});

test("a broadcast write gets no answer and completes after the broadcast delay", (t) => {
  const { loop, master, slave, holding, done, listener } = setup();
  const tx = new ModbusTransaction(1, listener);
  tx.registers[0] = 77;
  tx.setWrite(0, 105, 1, true);
  master.submit(tx);
  const read = new ModbusTransaction(2, listener).setRead(7, 3, 105, 1);
  master.submit(read);
  loop.runFor(1000);
  t.is(holding[5], 77);
  t.is(done[0].status, TxStatus.Ok);
  t.is(done[1].status, TxStatus.Ok);
  t.deepEqual(done[1].values, [77]);
  t.is(slave.requests, 2);
  t.true(done[1].at > 100, "the read waited for the broadcast delay");
});

test("bytes arriving when nothing is awaited are counted as stray and dropped", (t) => {
  const { loop, bus, master, holding, done, listener, counters } = setup();
  holding[0] = 9;
  bus.transmitFromDevice(Uint8Array.from([1, 2, 3, 4]), 0);
  loop.runFor(50);
  t.is(counters.value("modbus_rs485_stray_bytes"), 4);
  master.submit(new ModbusTransaction(2, listener).setRead(7, 3, 100, 1));
  loop.runFor(500);
  t.is(done[0].status, TxStatus.Ok);
  t.deepEqual(done[0].values, [9]);
});

test("write bus time formula matches the simulated bus", (t) => {
  const { loop, master, done, listener } = setup(19200);
  const tx = new ModbusTransaction(4, listener);
  tx.registers.set([1, 2, 3, 4]);
  tx.setWrite(7, 100, 4);
  master.submit(tx);
  loop.runFor(500);
  const planned = rtuWriteMs(19200, 4, false, 5) - frameGapMs(19200);
  t.true(Math.abs(done[0].at - planned) < 0.01, `${done[0].at} vs ${planned}`);
});

test("a reconfiguration that cancels the queue during the inter-frame gap leaves the master idle, not throwing from its timer", (t) => {
  const { loop, master, done } = setup();
  // The first read's completion cancels what is queued behind it, as a control-loop reconfiguration does: the
  // second read was waiting for the line's quiet time (the Gap state) with the timer armed.
  const cancelling: ModbusListener = {
    onModbusDone(tx) {
      done.push({ status: tx.status, at: loop.monotonicMs(), values: [], exception: tx.exceptionCode, attempts: tx.attempts });
      if (done.length === 1) master.cancelQueued();
    },
  };
  const first = new ModbusTransaction(2, cancelling).setRead(7, 3, 100, 2);
  const second = new ModbusTransaction(2, cancelling).setRead(7, 3, 102, 2);
  t.true(master.submit(first));
  t.true(master.submit(second));
  t.notThrows(() => loop.runFor(500));
  t.is(first.status, TxStatus.Ok);
  t.is(second.status, TxStatus.Refused);
  t.is(done.length, 1, "the cancelled read never reaches the wire");
  // The master takes work again.
  const third = new ModbusTransaction(2, cancelling).setRead(7, 3, 104, 2);
  t.true(master.submit(third));
  loop.runFor(500);
  t.is(third.status, TxStatus.Ok);
});
