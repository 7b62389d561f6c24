// main for measurement builds only (npm run moddable:memory --live): starts the gateway as device/main.js does, and
// collects garbage every 500 ms, so the instrumentation samples (once a second) show live memory, not garbage.
import Debug from "debug";
import Timer from "timer";
import { start } from "gateway";

start();
Timer.repeat(() => Debug.gc(), 500);
