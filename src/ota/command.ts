/**
 * The `data` of an OTA upgrade command (docs/ota.md): checked field by field, the first problem becomes the 400
 * `msg` as `data.field: problem`, in the style of spec 000.
 */
import { fromHex } from "../crypto/hex";
import { parseHttpUrl, UrlError } from "../http/url";
import { isPlainObject, shortJson } from "../protocol/json-values";
import { decodeBase64 } from "./base64";
import { parseSignature, type EcdsaSignature } from "./p256";
import { isVersion } from "./version";

export const UPGRADE_TYPE = "ota_upgrade";
export const PROGRESS_TYPE = "ota_progress";
export const VERSION_TYPE = "ota_version";

export interface UpgradeRequest {
  version: string;
  url: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  digest: Uint8Array;
  signature: EcdsaSignature;
  allowDowngrade: boolean;
}

export type ParsedUpgrade = { ok: true; request: UpgradeRequest } | { ok: false; msg: string };

function refuse(msg: string): ParsedUpgrade {
  return { ok: false, msg };
}

/** Longest signature text accepted (base64 of a 72-byte DER signature is 96 characters). */
const MAX_SIGNATURE_CHARS = 200;

export function parseUpgrade(data: unknown, maxImageBytes: number, allowHttp: boolean): ParsedUpgrade {
  if (data === undefined) return refuse("data: required");
  if (!isPlainObject(data)) return refuse(`data: must be an object, got ${shortJson(data)}`);
  const { version, url, size, sha256, signature } = data;
  const allow = data.allow_downgrade;

  if (version === undefined) return refuse("data.version: required");
  if (!isVersion(version)) return refuse(`data.version: must be 1 to 4 numbers separated by dots (like 1.4.2), got ${shortJson(version)}`);

  if (url === undefined) return refuse("data.url: required");
  if (typeof url !== "string") return refuse(`data.url: must be a string, got ${shortJson(url)}`);
  try {
    const parsed = parseHttpUrl(url);
    if (!parsed.tls && !allowHttp) return refuse("data.url: must be https:// on this gateway (ota.allowHttp is false)");
  } catch (error) {
    return refuse(`data.url: ${error instanceof UrlError ? error.message : "is not a valid URL"}`);
  }

  if (size === undefined) return refuse("data.size: required");
  if (typeof size !== "number" || !Number.isInteger(size)) return refuse(`data.size: must be an integer, got ${shortJson(size)}`);
  if (size < 1 || size > maxImageBytes) return refuse(`data.size: must be between 1 and ${maxImageBytes} (the OTA slot), got ${size}`);

  if (sha256 === undefined) return refuse("data.sha256: required");
  if (typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256)) return refuse(`data.sha256: must be 64 hex digits, got ${shortJson(sha256)}`);
  const digest = new Uint8Array(32);
  fromHex(sha256, digest, 0);

  if (signature === undefined) return refuse("data.signature: required");
  if (typeof signature !== "string" || signature.length === 0 || signature.length > MAX_SIGNATURE_CHARS) {
    return refuse(`data.signature: must be a base64 string of at most ${MAX_SIGNATURE_CHARS} characters, got ${shortJson(signature)}`);
  }
  let parsedSignature: EcdsaSignature;
  try {
    parsedSignature = parseSignature(decodeBase64(signature));
  } catch (error) {
    return refuse(`data.signature: ${error instanceof Error ? error.message : "unreadable"}`);
  }

  if (allow !== undefined && allow !== null && typeof allow !== "boolean") return refuse(`data.allow_downgrade: must be a boolean, got ${shortJson(allow)}`);

  return {
    ok: true,
    request: {
      version,
      url,
      size,
      sha256: sha256.toLowerCase(),
      digest,
      signature: parsedSignature,
      allowDowngrade: allow === true,
    },
  };
}
