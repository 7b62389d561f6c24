/** Shared set-up for the spec 000 tests: the spec's examples and a handler on the simulated HAL. */
import { readFileSync } from "node:fs";
import { createSimHal, type SimHal } from "../../hal/sim/index";
import { Counters } from "../../src/core/counters";
import { OverdemandHandler, type OverdemandAction, type OverdemandOutput } from "../../src/protocol/overdemand/handler";
import { PosixCalendar } from "../../src/protocol/overdemand/local-month";
import { MemoryStrategyStore, type StrategyStorePort } from "../../src/protocol/overdemand/store-port";

export const DEVICE_UID = "iYRkfVpi77";
/** 2024-06-15T04:00:00Z: June in China (CST-8). */
export const WALL_JUNE = Date.UTC(2024, 5, 15, 4, 0, 0);

export interface SpecExample {
  name: string;
  specLine: number;
  section: string;
  payload: Record<string, unknown>;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/spec-000-examples.json", import.meta.url), "utf8")) as {
  examples: SpecExample[];
};

/** A fresh copy of a spec example, `${DEVICE_UID}` replaced by this device's uid. */
export function example(name: string): Record<string, unknown> {
  const found = fixture.examples.find((e) => e.name === name);
  if (!found) throw new Error(`no spec example ${name}`);
  return JSON.parse(JSON.stringify(found.payload).split("${DEVICE_UID}").join(DEVICE_UID));
}

export function allExamples(): SpecExample[] {
  return fixture.examples.map((e) => ({ ...e, payload: example(e.name) }));
}

/** The command example of an action, with a fresh mid (the spec reuses one mid for every example). */
export function command(action: OverdemandAction, mid: string, data?: unknown): Record<string, unknown> {
  const message = example(`${action}_command`);
  message.mid = mid;
  if (data !== undefined) message.data = data;
  return message;
}

export interface Rig {
  hal: SimHal;
  counters: Counters;
  store: StrategyStorePort;
  handler: OverdemandHandler;
  send(action: OverdemandAction, message: unknown): OverdemandOutput[];
  /** Parsed result of a command (the first output). */
  reply(action: OverdemandAction, message: unknown): Record<string, unknown>;
}

export function rig(options: { store?: StrategyStorePort; seed?: number; maxStrategies?: number; maxPacketBytes?: number; hal?: SimHal } = {}): Rig {
  const hal = options.hal ?? createSimHal({ seed: options.seed ?? 5, wallStartMs: WALL_JUNE, wallSynced: true });
  const counters = new Counters();
  const store = options.store ?? new MemoryStrategyStore();
  const handler = new OverdemandHandler({
    deviceUid: DEVICE_UID,
    clock: hal.clock,
    random: hal.random,
    store,
    calendar: PosixCalendar.fromTz("CST-8"),
    counters,
    log: hal.log,
    maxStrategies: options.maxStrategies ?? 16,
    maxPacketBytes: options.maxPacketBytes ?? 32768,
  });
  const send = (action: OverdemandAction, message: unknown): OverdemandOutput[] =>
    handler.handle(action, typeof message === "string" ? message : JSON.stringify(message));
  return {
    hal,
    counters,
    store,
    handler,
    send,
    reply: (action, message) => JSON.parse(send(action, message)[0].payload) as Record<string, unknown>,
  };
}
