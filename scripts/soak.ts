/**
 * `npm run soak -- [--seed N] [--days D] [--json]`: the composed firmware for D simulated days (default 7) with random
 * broker outages, command bursts of all three protocols, power cuts inside flash operations and meter dropouts
 * (sim/soak.ts). Prints a line per simulated day and the totals; exits 1 when an acknowledged command lost its
 * reply or a command was applied twice. The same seed replays the same run.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runSoak } from "../sim/soak";

function usage(problem: string): never {
  console.error(`npm run soak: ${problem} (usage: npm run soak -- [--seed N] [--days D] [--json])`);
  process.exit(2);
}

let values: { seed?: string; days?: string; json?: boolean };
try {
  values = parseArgs({ options: { seed: { type: "string", default: "1" }, days: { type: "string", default: "7" }, json: { type: "boolean", default: false } }, strict: true }).values;
} catch (error) {
  usage((error as Error).message.split("\n")[0]);
}
const seed = Number(values.seed);
const days = Number(values.days);
if (!Number.isInteger(seed)) usage(`--seed must be an integer, got "${values.seed}"`);
if (!(Number.isInteger(days) && days >= 1 && days <= 365)) usage(`--days must be a whole number of days from 1 to 365, got "${values.days}"`);

const site = JSON.parse(readFileSync(new URL("../boards/host/site.json", import.meta.url), "utf8"));
const strategy = JSON.parse(readFileSync(new URL("../docs/examples/spec-000/create.json", import.meta.url), "utf8")).data;
const metrics = runSoak({
  seed,
  days,
  site,
  strategy,
  onDay: values.json
    ? undefined
    : (day, m) => console.log(`day ${day}: ${m.commandsSent} commands sent, ${m.brokerOutages} outages, ${m.powerCuts} power cuts, ${m.meterDropouts} meter dropouts`),
});
if (values.json) console.log(JSON.stringify(metrics));
else {
  for (const [name, value] of Object.entries(metrics)) console.log(`${name.padEnd(22)} ${typeof value === "object" ? JSON.stringify(value) : value}`);
  console.log("(heap: the Node process's, after a collection when run with --expose-gc; the firmware's XS heap figures are in test/xs and bench/)");
}
const ok = metrics.repliesLost === 0 && metrics.duplicatesApplied === 0;
console.log(ok ? "soak: OK (no acknowledged command lost its reply, none applied twice)" : "soak: FAILED");
process.exit(ok ? 0 : 1);
