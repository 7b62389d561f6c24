/**
 * Spec 004 in the real XS engine: the sans-I/O rig (device Settings + DesiredSession + scripted platform) driven from
 * the host through `globalThis.desiredXs`; results go back as JSON through issueCommand.
 */
import { desiredScenario } from "../protocol/desired-scenario";
import { Rig } from "../protocol/desired-rig";

declare function issueCommand(message: ArrayBuffer): ArrayBuffer;

function reply(value: unknown): void {
  issueCommand(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
}

let rig: Rig | null = null;

const desiredXs = {
  scenario(): void {
    reply(desiredScenario());
  },
  /** A synced device with a post and a delete awaiting replies (so tick walks a busy pending table). */
  prepareTicks(): void {
    rig = new Rig();
    rig.platform.setDesired("report_interval_s", 30);
    rig.connect();
    rig.pump();
    rig.platform.sendSet({ log_level: 3 });
    rig.deliverToDevice();
    rig.deliverToPlatform();
    rig.toDevice.length = 0;
  },
  ticks(count: number): void {
    const session = (rig as Rig).device.session;
    for (let i = 0; i < count; i++) session.tick(1000);
  },
  status(): void {
    const r = rig as Rig;
    reply({ synced: r.device.session.synced, counters: r.device.counters.nonZero() });
  },
};

(globalThis as unknown as { desiredXs: typeof desiredXs }).desiredXs = desiredXs;
