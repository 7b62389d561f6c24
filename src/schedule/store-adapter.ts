/**
 * TaskRepository over the gateway's flash store (src/store): tasks live in its `tasks` collection, every change is
 * one store transaction, and a command's reply is remembered in the same transaction (the store's durability
 * contract, docs/store.md). Store errors (StoreError: STORE_FULL, COLLECTION_FULL, ...) propagate: the command
 * handler answers 5013 and nothing changed.
 */
import type { GatewayStore, GatewayTransaction } from "../store/gateway-store";
import type { RememberedReply, TaskRecord, TaskRepository } from "./ports";

export class StoreTaskRepository implements TaskRepository {
  constructor(private readonly db: GatewayStore) {}

  list(): string[] {
    return this.db.tasks.keys();
  }

  get(taskId: string): string | null {
    return this.db.tasks.getJson(taskId) ?? null;
  }

  put(record: TaskRecord): void {
    this.db.transaction((tx) => tx.tasks.putJson(record.taskId, record.json));
  }

  delete(taskId: string): void {
    if (this.db.tasks.has(taskId)) this.db.transaction((tx) => tx.tasks.delete(taskId));
  }

  apply(put: readonly TaskRecord[], remove: readonly string[], remember?: RememberedReply): void {
    this.db.transaction((tx) => {
      for (const taskId of remove) tx.tasks.delete(taskId);
      for (const record of put) tx.tasks.putJson(record.taskId, record.json);
      rememberReply(tx, remember);
    });
  }

  replaceAll(records: readonly TaskRecord[], remember?: RememberedReply): void {
    this.db.transaction((tx) => {
      tx.tasks.clear();
      for (const record of records) tx.tasks.putJson(record.taskId, record.json);
      rememberReply(tx, remember);
    });
  }

  recentReply(mid: string): string | null {
    return this.db.replies.get(`schedule:${mid}`);
  }
}

function rememberReply(tx: GatewayTransaction, remember: RememberedReply | undefined): void {
  if (remember) tx.replies.put(`schedule:${remember.mid}`, remember.text);
}
