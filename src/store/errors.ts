/**
 * Every refusal of the store is a StoreError with a stable `code`; protocol handlers map codes to their error
 * replies. A refused transaction changed nothing, in RAM or on flash, except for STORE_FAILED / FLASH_FAILURE where
 * the flash itself failed mid-write and the store must be reopened (recovery then shows the last committed state).
 */
export type StoreErrorCode =
  /** Not enough flash left for the transaction (plus the reserve kept so that a delete always fits). */
  | "STORE_FULL"
  /** A collection would hold more records than its configured capacity. */
  | "COLLECTION_FULL"
  /** An encoded value is larger than `maxValueBytes`. */
  | "RECORD_TOO_LARGE"
  /** A key is empty, too long, or not what the collection accepts. */
  | "KEY_INVALID"
  /** A value cannot be stored (not JSON-like, NaN, a cycle, nesting too deep, a counter going backwards, ...). */
  | "VALUE_INVALID"
  /** A transaction has more records or bytes than the staging area holds, or would wrap the whole partition. */
  | "TX_TOO_LARGE"
  /** Transaction misuse: begin while one is open, put after commit, nested transaction. */
  | "TX_STATE"
  /** A collection id that the store was not opened with. */
  | "UNKNOWN_COLLECTION"
  /** A record failed its CRC when read back: the flash changed under us (bit flip, worn cell). */
  | "CORRUPT"
  /** A program did not read back as written (worn or failing flash). The store is failed until reopened. */
  | "FLASH_FAILURE"
  /** An earlier flash failure (or power cut) interrupted a write: reopen the store to recover. */
  | "STORE_FAILED"
  /** Options that cannot work with this partition (sector too small, capacities out of range). */
  | "OPTIONS_INVALID";

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "StoreError";
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
