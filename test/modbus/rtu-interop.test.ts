/**
 * The RTU master against an independent implementation: a modbus-serial (npm) server on one end of a
 * pseudo-terminal pair made by socat, our RtuMaster on the other through the host serial adapter. Runs whenever
 * socat is installed; elsewhere a visible skip, and in CI (CI=true) a failure.
 */
import test from "ava";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServerSerial } from "modbus-serial";
import { NodeClock } from "../../hal/node/clock";
import { NodeSerialPort } from "../../hal/node/serial";
import { RtuMaster } from "../../src/modbus/rtu-master";
import { ModbusTransaction, TxStatus } from "../../src/modbus/transaction";
import { commandPath, toolMissing } from "../helpers/tool-gate";

if (commandPath("socat") === null) {
  toolMissing(test, "socat", "apt-get install -y socat", "RtuMaster talks to a modbus-serial server over a socat pty pair");
} else {
  test.serial("RtuMaster talks to a modbus-serial server over a socat pty pair", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "rtu-interop-"));
    const serverPath = join(dir, "server");
    const masterPath = join(dir, "master");
    const socat: ChildProcess = spawn("socat", [`pty,raw,echo=0,link=${serverPath}`, `pty,raw,echo=0,link=${masterPath}`], { stdio: "ignore" });
    const clock = new NodeClock();
    let server: { close(cb: () => void): void } | null = null;
    let port: NodeSerialPort | null = null;
    try {
      for (let i = 0; i < 100 && !(existsSync(serverPath) && existsSync(masterPath)); i++) await new Promise((r) => setTimeout(r, 30));
      t.true(existsSync(serverPath) && existsSync(masterPath), "socat made the pty pair");

      const holding = new Map<number, number>([
        [0x001e, 0x0001],
        [0x001f, 0x86a0],
        [0x0020, 0xffff],
        [0x0021, 0xfc18],
      ]);
      const input = new Map<number, number>([[0x2000, 1234]]);
      const vector = {
        getHoldingRegister(address: number) {
          const value = holding.get(address);
          if (value === undefined) throw { modbusErrorCode: 2, msg: "illegal address" };
          return value;
        },
        getInputRegister(address: number) {
          const value = input.get(address);
          if (value === undefined) throw { modbusErrorCode: 2, msg: "illegal address" };
          return value;
        },
        setRegister(address: number, value: number) {
          holding.set(address, value);
          return null;
        },
      };
      const initialized = new Promise<void>((resolve, reject) => {
        const s = new ServerSerial(vector, { path: serverPath, baudRate: 9600, unitID: 5 } as never);
        server = s;
        s.on("initialized", () => resolve());
        s.on("error", (error: unknown) => reject(error));
      });
      await initialized;

      const master = new RtuMaster(clock, { baud: 9600, responseTimeoutMs: 400, retries: 0, queueCapacity: 4 });
      port = new NodeSerialPort({ port: masterPath, baud: 9600 }, master);
      master.attach(port);
      await port.opened;

      const run = (tx: ModbusTransaction) =>
        new Promise<ModbusTransaction>((resolve) => {
          tx.listener = { onModbusDone: (done) => resolve(done) };
          t.true(master.submit(tx));
        });

      const read = await run(new ModbusTransaction(4).setRead(5, 3, 0x001e, 4));
      t.is(read.status, TxStatus.Ok);
      t.deepEqual([...read.registers], [0x0001, 0x86a0, 0xffff, 0xfc18]);

      const readInput = await run(new ModbusTransaction(1).setRead(5, 4, 0x2000, 1));
      t.is(readInput.status, TxStatus.Ok);
      t.is(readInput.registers[0], 1234);

      const single = new ModbusTransaction(1);
      single.registers[0] = 0xabcd;
      single.setWrite(5, 0x0100, 1, true);
      t.is((await run(single)).status, TxStatus.Ok);
      t.is(holding.get(0x0100), 0xabcd);

      const multi = new ModbusTransaction(3);
      multi.registers.set([7, 8, 9]);
      multi.setWrite(5, 0x0200, 3);
      t.is((await run(multi)).status, TxStatus.Ok);
      t.deepEqual([holding.get(0x0200), holding.get(0x0201), holding.get(0x0202)], [7, 8, 9]);

      const illegal = await run(new ModbusTransaction(2).setRead(5, 3, 0x0500, 2));
      t.is(illegal.status, TxStatus.Exception);
      t.is(illegal.exceptionCode, 2);

      const otherUnit = await run(new ModbusTransaction(2).setRead(9, 3, 0x001e, 2));
      t.is(otherUnit.status, TxStatus.Timeout);
      t.is(master.stats.timeouts, 1);
    } finally {
      port?.close();
      if (server) await new Promise<void>((resolve) => (server as { close(cb: () => void): void }).close(() => resolve()));
      clock.close();
      socat.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
