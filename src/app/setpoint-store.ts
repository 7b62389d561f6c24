/**
 * Where the ESS base setpoints that scheduled actions set are kept across a reboot (issue 13 item 4): the store's
 * meta numbers, one small record per device (src/app/device-points.ts restores them at boot).
 */
import type { GatewayStore } from "../store/index";
import type { SetpointPersistence } from "./device-points";

/** ESS base setpoints as store meta numbers "essbase:<id>" (kW): one small record each, written when set. */
export function storeSetpoints(store: GatewayStore): SetpointPersistence {
  const PREFIX = "essbase:";
  return {
    load() {
      const out: [number, number][] = [];
      const all = store.meta.entries();
      for (const name of Object.keys(all)) if (name.startsWith(PREFIX)) out.push([Number(name.slice(PREFIX.length)), all[name]]);
      return out;
    },
    save(deviceId, kw) {
      store.transaction((tx) => tx.meta.set(`${PREFIX}${deviceId}`, kw));
    },
  };
}
