/**
 * What the strategy handler needs from the flash store. One `commit` is one store transaction: after a power cut
 * either all of it is on flash (strategy writes, deletes, the id counter, the remembered reply) or none of it is.
 * `commit` throws when the store cannot take it (full, flash error); the handler then answers 400 and reloads.
 *
 * store-adapter.ts implements it over src/store; MemoryStrategyStore (tests, hosts without flash) keeps it in RAM.
 */
import type { LazyList } from "../../core/lazy-list";

export interface StoredStrategy {
  id: number;
  /** The normalised strategy object as JSON text (see model.ts). */
  json: string;
}

/** The strategies a commit writes: `length` of them, each made when the store asks for it (`at`). */
export type StrategyPuts = LazyList<StoredStrategy>;

export interface StrategyCommit {
  /** Delete every stored strategy first (update_all). */
  replaceAll: boolean;
  /**
   * Strategies written (created or replaced by id), handed over one at a time: an update_all of eight strategies
   * is ~7 KB of JSON text, and made only as the store packs each one, one text exists at a time.
   */
  put: StrategyPuts;
  /** Ids removed. */
  remove: number[];
  /** The id counter after this change: the next id create will assign. Never decreases. */
  nextId: number;
  /** The command's mid and the exact reply text, so a redelivered command is answered the same without re-applying. */
  reply: { mid: string; text: string };
}

export interface StrategyStorePort {
  /** Every stored strategy, at boot (order does not matter). */
  loadAll(): StoredStrategy[];
  /**
   * One stored strategy's body, a fresh object the caller may change, or null when there is none with that id.
   * Throws when it cannot be read.
   */
  loadBody(id: number): Record<string, unknown> | null;
  /** The same body as JSON text (what JSON.stringify of loadBody gives), without building it; null when none. */
  loadBodyJson(id: number): string | null;
  /** The persisted id counter (1 on a fresh store). */
  loadNextId(): number;
  /** The reply remembered for a command mid, or null. The store keeps a bounded number of recent ones. */
  recentReply(mid: string): string | null;
  commit(change: StrategyCommit): void;
}

/** A RAM-only store with the same contract (nothing survives a reboot). */
export class MemoryStrategyStore implements StrategyStorePort {
  readonly strategies = new Map<number, string>();
  readonly replies: { mid: string; text: string }[] = [];
  nextId = 1;
  commits = 0;
  /** Make the next commit throw, as a full store would (tests). */
  failNext: string | null = null;

  constructor(readonly replyCapacity = 16) {}

  loadAll(): StoredStrategy[] {
    const out: StoredStrategy[] = [];
    this.strategies.forEach((json, id) => out.push({ id, json }));
    return out;
  }

  loadBody(id: number): Record<string, unknown> | null {
    const json = this.strategies.get(id);
    return json === undefined ? null : (JSON.parse(json) as Record<string, unknown>);
  }

  loadBodyJson(id: number): string | null {
    return this.strategies.get(id) ?? null;
  }

  loadNextId(): number {
    return this.nextId;
  }

  recentReply(mid: string): string | null {
    for (const entry of this.replies) if (entry.mid === mid) return entry.text;
    return null;
  }

  commit(change: StrategyCommit): void {
    if (this.failNext !== null) {
      const message = this.failNext;
      this.failNext = null;
      throw new Error(message);
    }
    if (change.replaceAll) this.strategies.clear();
    for (const id of change.remove) this.strategies.delete(id);
    for (let i = 0; i < change.put.length; i++) {
      const item = change.put.at(i);
      this.strategies.set(item.id, item.json);
    }
    this.nextId = change.nextId;
    if (this.replies.length === this.replyCapacity) this.replies.shift();
    this.replies.push(change.reply);
    this.commits++;
  }
}
