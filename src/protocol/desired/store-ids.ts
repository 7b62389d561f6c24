import type { GatewayStore } from "../../store/index";
import type { IdBlockPersistence } from "./message-ids";

/** The next free message-id block (message-ids.ts) as a named number in the store's `meta` collection. */
export const ID_BLOCK_KEY = "desired.idBlock";

export class StoreIdBlocks implements IdBlockPersistence {
  constructor(private readonly store: GatewayStore) {}

  load(): number {
    return this.store.meta.get(ID_BLOCK_KEY) ?? 0;
  }

  save(nextBlock: number): void {
    this.store.transaction((tx) => tx.meta.set(ID_BLOCK_KEY, nextBlock));
  }
}
