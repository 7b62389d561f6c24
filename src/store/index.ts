/**
 * The flash store (issue 4): a power-loss-safe, wear-levelled record store on raw NOR flash with atomic
 * transactions, and the gateway's typed collections on top. See docs/store.md.
 */
export { COLLECTION, GatewayStore, GatewayTransaction, MAX_STRATEGY_ID, type GatewayStoreOptions } from "./gateway-store";
export { DocumentCollection, NumberCollection, PeakDemand, RecentReplies } from "./collections";
export { RecordStore, type CollectionSpec, type RecordStoreOptions, type StoreStats } from "./record-store";
export { Transaction } from "./transaction";
export type { RecoveryReport } from "./recovery";
export { StoreError, isStoreError, type StoreErrorCode } from "./errors";
export { packedDecode, packedEncode } from "./packed-json";
