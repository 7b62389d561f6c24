/**
 * Settings on the flash store (src/store): values in the `settings` collection and last applied desired versions in
 * the `desired` collection, keyed by property name, both written in one store transaction per commit.
 */
import { isStoreError, type GatewayStore } from "../store/index";
import { PersistUncertainError, type PersistedSettings, type SettingsPersistence } from "./persistence";
import type { SettingValue } from "./registry";

export class StoreSettingsPersistence implements SettingsPersistence {
  constructor(private readonly store: GatewayStore) {}

  load(): PersistedSettings {
    const values: Record<string, unknown> = {};
    for (const name of this.store.settings.keys()) values[name] = this.store.settings.get(name);
    return { values, versions: this.store.desired.entries() };
  }

  commit(values: Record<string, SettingValue>, versions: Record<string, number>): void {
    try {
      this.store.transaction((tx) => {
        for (const name of Object.keys(values)) tx.settings.set(name, values[name]);
        for (const name of Object.keys(versions)) tx.desired.set(name, versions[name]);
      });
    } catch (error) {
      // A failed flash write leaves the outcome to recovery; every other StoreError is a clean refusal.
      if (isStoreError(error, "STORE_FAILED") || isStoreError(error, "FLASH_FAILURE")) throw new PersistUncertainError(error.message);
      throw error;
    }
  }
}
