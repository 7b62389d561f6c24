// main for measurement builds only (npm run moddable:memory --live): starts the gateway as device/main.js does, and
// collects garbage every 500 ms, so the instrumentation samples (once a second) show live memory, not garbage. Right
// after each collection it traces the live figures ("MEM live chunk=B slots=N"): the exact live memory at that
// moment, which moddable:memory reports per phase.
import Debug from "debug";
import Instrumentation from "instrumentation";
import Timer from "timer";
import { start } from "gateway";

start();
const chunkIndex = Instrumentation.map("XS Chunk Heap Used");
const slotIndex = Instrumentation.map("XS Slot Heap Used");
Timer.repeat(() => {
  Debug.gc();
  trace(`MEM live chunk=${Instrumentation.get(chunkIndex)} slots=${Instrumentation.get(slotIndex)}\n`);
}, 500);
