/**
 * The OTA record on the gateway's flash store: its one-document OTA collection, one transaction per save, so a
 * power cut leaves the previous record or the new one (the store's guarantee, tested in test/store).
 */
import type { GatewayStore } from "../store/gateway-store";
import { isOtaRecord, type OtaRecord, type OtaStatePort } from "./state-port";

export class GatewayOtaState implements OtaStatePort {
  /** Records found on flash that were not OTA records (another firmware's format): ignored, counted. */
  unreadable = 0;

  constructor(private readonly db: GatewayStore) {}

  load(): OtaRecord | null {
    const value = this.db.otaState();
    if (value === undefined || value === null) return null;
    if (!isOtaRecord(value)) {
      this.unreadable++;
      return null;
    }
    return value;
  }

  save(record: OtaRecord): void {
    this.db.transaction((tx) => tx.ota.set(record));
  }

  clear(): void {
    this.db.transaction((tx) => tx.ota.clear());
  }
}
