/**
 * The control loop's month-peak persistence over the store's single peak-demand record. One record covers the site's
 * grid meter: the first meter that asks gets it; further meters keep their peak in RAM only (reported through the
 * `peak_store_unpersisted_meters` counter), which is enough for the usual one-grid-meter site.
 */
import type { Counters } from "../core/counters";
import type { PeakDemandStore } from "../control/strategy-input";
import type { GatewayStore } from "../store/index";

export function peakStoresFor(store: GatewayStore, counters: Counters): (meterId: number) => PeakDemandStore | null {
  const unpersisted = counters.register("peak_store_unpersisted_meters");
  let owner = -1;
  const persisted: PeakDemandStore = {
    load: () => (store.peak.month < 0 ? null : { monthKey: store.peak.month, peakW: store.peak.value }),
    save: (monthKey, peakW) => store.peak.set(monthKey, peakW),
  };
  return (meterId) => {
    if (owner < 0) owner = meterId;
    if (owner === meterId) return persisted;
    counters.add(unpersisted);
    return null;
  };
}
