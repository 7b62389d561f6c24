/**
 * A list whose items are made when asked for, one at a time. A command's staged records (the JSON texts of an
 * update_all of eight strategies, of a SET of thirty tasks: ~7 KB each way) are handed to the store this way, so
 * only one text exists at a time instead of the whole list beside the command text that carried it.
 */
export interface LazyList<T> {
  readonly length: number;
  at(index: number): T;
}

/** Items already made (a create or an update: one record). */
export class Listed<T> implements LazyList<T> {
  constructor(private readonly items: readonly T[]) {}

  get length(): number {
    return this.items.length;
  }

  at(index: number): T {
    return this.items[index];
  }
}

/** Item `i` made from `sources[i]` when asked for (the same call gives an equal item each time). */
export class Mapped<S, T> implements LazyList<T> {
  constructor(
    private readonly sources: readonly S[],
    private readonly make: (source: S, index: number) => T,
  ) {}

  get length(): number {
    return this.sources.length;
  }

  at(index: number): T {
    return this.make(this.sources[index], index);
  }
}
