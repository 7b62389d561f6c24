/**
 * TaskRepository over the gateway's flash store (src/store): tasks live in its `tasks` collection, every change is
 * one store transaction, and a command's reply is remembered in the same transaction (the store's durability
 * contract, docs/store.md). Store errors (StoreError: STORE_FULL, COLLECTION_FULL, ...) propagate: the command
 * handler answers 5013 and nothing changed.
 */
import type { GatewayStore, GatewayTransaction } from "../store/gateway-store";
import type { LazyList } from "../core/lazy-list";
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

  apply(put: LazyList<TaskRecord>, remove: readonly string[], remember?: RememberedReply): void {
    this.db.transaction((tx) => {
      for (const taskId of remove) tx.tasks.delete(taskId);
      // Each record made (LazyList) and packed in turn: one record's text in the heap at a time. Inline, not a
      // helper: this is the device's deepest stack path (a task ADD inside the socket callback).
      for (let i = 0; i < put.length; i++) {
        const record = put.at(i);
        tx.tasks.putJson(record.taskId, record.json);
      }
      rememberReply(tx, remember);
    });
  }

  replaceAll(records: LazyList<TaskRecord>, remember?: RememberedReply): void {
    this.db.transaction((tx) => {
      tx.tasks.clear();
      for (let i = 0; i < records.length; i++) {
        const record = records.at(i);
        tx.tasks.putJson(record.taskId, record.json);
      }
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
