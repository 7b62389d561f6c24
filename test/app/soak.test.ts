/**
 * The seeded soak, short (one simulated day, the CI version of `npm run soak`): broker outages, command bursts of
 * all three protocols, power cuts inside flash operations, meter dropouts. No command the gateway acknowledged
 * lost its reply, none was applied twice, queues stayed bounded, and the same seed replays the same run. In Node, so
 * no heap figure: the XS run and its heap slots are test/app/soak-xs.test.ts.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { runSoak } from "../../sim/soak";

const site = JSON.parse(readFileSync(new URL("../../boards/host/site.json", import.meta.url), "utf8"));
const strategy = JSON.parse(readFileSync(new URL("../../docs/examples/spec-000/create.json", import.meta.url), "utf8")).data;

test("one simulated day of trouble: every acknowledged command answered, none applied twice, replayable", (t) => {
  const a = runSoak({ seed: 3, days: 1, site, strategy });
  t.log(JSON.stringify(a));
  t.true(a.commandsSent > 50, `${a.commandsSent} commands`);
  t.true(a.brokerOutages > 0 && a.meterDropouts > 0, "the run had outages and dropouts");
  t.is(a.commandsAcknowledged, a.commandsSent, "every command acknowledged by the end");
  t.is(a.repliesLost, 0, JSON.stringify(a.lostByProtocol ?? {}));
  t.is(a.duplicatesApplied, 0);
  t.true(a.commandsApplied >= a.commandsSent * 0.8, `${a.commandsApplied} of ${a.commandsSent} applied`);
  t.true(a.maxOutboxDepth <= 64 && a.maxJournalDepth <= 32, "queues within their bounds");
  const b = runSoak({ seed: 3, days: 1, site, strategy });
  t.deepEqual(b, a, "the same seed replays the same run");
});

test("power cuts happen and the device comes back from each", (t) => {
  let cuts = 0;
  for (const seed of [1, 2]) {
    const m = runSoak({ seed, days: 2, site, strategy });
    cuts += m.powerCuts;
    t.is(m.repliesLost, 0, `seed ${seed}`);
    t.is(m.duplicatesApplied, 0, `seed ${seed}`);
  }
  t.true(cuts >= 2, `${cuts} power cuts over the runs`);
});
