/**
 * StrategyStorePort over the gateway's flash store (src/store): strategies in the `strategies` collection keyed by
 * id, the id counter in the store's meta (`strategy.nextId`), replies in the bounded `replies` collection. One
 * handler change is one GatewayStore transaction, so a power cut leaves the old set or the new one, and the reply
 * is on flash exactly when the change is.
 */
import type { GatewayStore } from "../../store/index";
import type { StoredStrategy, StrategyCommit, StrategyStorePort } from "./store-port";

export class GatewayStrategyStore implements StrategyStorePort {
  constructor(private readonly db: GatewayStore) {}

  loadAll(): StoredStrategy[] {
    return this.db.strategies.entries().map((entry) => ({ id: entry.key, json: JSON.stringify(entry.value) }));
  }

  loadBody(id: number): Record<string, unknown> | null {
    const value = this.db.strategies.get(id);
    return value === undefined ? null : (value as Record<string, unknown>);
  }

  loadBodyJson(id: number): string | null {
    return this.db.strategies.getJson(id) ?? null;
  }

  loadNextId(): number {
    return this.db.nextStrategyId();
  }

  recentReply(mid: string): string | null {
    return this.db.replies.get(mid);
  }

  commit(change: StrategyCommit): void {
    this.db.transaction((tx) => {
      if (change.replaceAll) tx.strategies.clear();
      for (const id of change.remove) tx.strategies.delete(id);
      for (let i = 0; i < change.put.length; i++) {
        const item = change.put.at(i);
        tx.strategies.putJson(item.id, item.json);
      }
      tx.strategies.setNextId(change.nextId);
      tx.replies.put(change.reply.mid, change.reply.text);
    });
  }
}
