import type { MemoryInfo } from "../../hal/types";

/** What the gateway says about itself: in the live status line on the host and in status reports to the platform. */
export interface GatewayStatus {
  board: string;
  firmwareVersion: string;
  uptimeMs: number;
  wallSynced: boolean;
  ticks: number;
  /** Ticks that exceeded the budget or started more than one period late. */
  overruns: number;
  /** Longest tick seen, in ms of monotonic time. */
  maxTickMs: number;
  storeSectors: number;
  memory: MemoryInfo;
  /** Non-zero counters: bounds hit, drops, errors. */
  counters: Record<string, number>;
}

/** One human line for the host's live status display. */
export function formatStatusLine(status: GatewayStatus): string {
  const seconds = Math.floor(status.uptimeMs / 1000);
  const memory = status.memory.heapUsedBytes === null ? "n/a" : `${Math.round(status.memory.heapUsedBytes / 1024)} KiB`;
  const counters = Object.keys(status.counters)
    .map((name) => `${name}=${status.counters[name]}`)
    .join(" ");
  return (
    `[${status.board} ${status.firmwareVersion}] up ${seconds}s ticks ${status.ticks} overruns ${status.overruns} ` +
    `max-tick ${status.maxTickMs}ms heap ${memory} clock ${status.wallSynced ? "synced" : "unsynced"}` +
    (counters ? ` ${counters}` : "")
  );
}
