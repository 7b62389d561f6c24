export type { StreamingHash } from "./hash";
export { Sha256 } from "./sha256";
export { Sha1 } from "./sha1";
export { Hmac, createHmacSha1, createHmacSha256 } from "./hmac";
export { fromHex, toHex } from "./hex";
