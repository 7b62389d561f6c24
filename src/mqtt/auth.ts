import { createHmacSha1, createHmacSha256 } from "../crypto/hmac";
import { toHex } from "../crypto/hex";
import type { MqttConfig } from "./config";
import { utf8Length, writeUtf8 } from "./utf8";

/** What goes into CONNECT. Built once per connection attempt (strings: allocation at connect rate only). */
export interface Credentials {
  clientId: string;
  username?: string;
  password?: string;
}

export interface DeviceIdentity {
  uid: string;
  productKey: string;
  deviceName: string;
}

function utf8(text: string): Uint8Array {
  const bytes = new Uint8Array(utf8Length(text));
  writeUtf8(text, bytes, 0);
  return bytes;
}

/**
 * The Alibaba-style device signature: HMAC(deviceSecret, "clientId<id>deviceName<dn>productKey<pk>timestamp<ms>"),
 * lower-case hex. The timestamp part is left out (of the content and of the client id) when it is null.
 */
export function alibabaPassword(secret: string, method: string, id: string, deviceName: string, productKey: string, timestampMs: number | null): string {
  const content = `clientId${id}deviceName${deviceName}productKey${productKey}` + (timestampMs === null ? "" : `timestamp${timestampMs}`);
  const hmac = method === "hmacsha1" ? createHmacSha1() : createHmacSha256();
  const key = utf8(secret);
  const message = utf8(content);
  const out = new Uint8Array(hmac.digestSize);
  hmac.init(key, 0, key.length).update(message, 0, message.length).finish(out, 0);
  return toHex(out, 0, out.length);
}

/**
 * Credentials for one connection attempt.
 * - "none": client id only. "password": the configured user name and password.
 * - "alibaba": client id `${id}|securemode=${2 if TLS else 3},signmethod=${method},timestamp=${ms}|`, user name
 *   `${deviceName}&${productKey}`, signed password. The timestamp comes from the wall clock and is only used when
 *   the clock is synced (`wallMs` null otherwise): a wrong timestamp would be refused, a missing one is accepted.
 */
export function buildCredentials(config: MqttConfig, device: DeviceIdentity, tls: boolean, wallMs: number | null): Credentials {
  const id = config.clientId.length > 0 ? config.clientId : device.uid;
  if (config.auth === "password") return { clientId: id, username: config.username, password: config.password };
  if (config.auth !== "alibaba") return { clientId: id };
  const timestamp = wallMs === null ? null : Math.floor(wallMs);
  const clientId = `${id}|securemode=${tls ? 2 : 3},signmethod=${config.signMethod}` + (timestamp === null ? "" : `,timestamp=${timestamp}`) + "|";
  return {
    clientId,
    username: `${device.deviceName}&${device.productKey}`,
    password: alibabaPassword(config.deviceSecret, config.signMethod, id, device.deviceName, device.productKey, timestamp),
  };
}
