/**
 * A fixed P-256 key and a signature of a fixed image (simImage("1.1.0", 100_000, 2)), made once with node:crypto, so
 * the OTA benchmark's signature check costs the same XS steps on every run (a fresh key or a fresh ECDSA nonce per
 * run changes the scalar arithmetic, and with it the step count). test/ota/fixed-signature.test.ts checks it
 * against node:crypto, so it cannot rot. The private key was not kept: nothing can be signed with it.
 */
import { simImage, type ScenarioInput } from "./sim-scenario";

export const FIXED_IMAGE = { version: "1.1.0", size: 100_000, seed: 2 } as const;
export const FIXED_PUBLIC_KEY_HEX =
  "0456be359bc024a07d412d59d3e2e49d2fc591146c4522ff0fa566d819b4eafd1ad4efb31a36af09f3be5f406e54a56b5a1c0856902f7e89a7409998e5a5d94325";
/** The same key as SPKI DER (base64), for node:crypto. */
export const FIXED_PUBLIC_KEY_SPKI_B64 =
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVr41m8AkoH1BLVnT4uSdL8WRFGxFIv8PpWbYGbTq/RrU77MaNq8J875fQG5UpWtaHAhWkC9+iadAmZjlpdlDJQ==";
export const FIXED_SIGNATURE_B64 = "MEYCIQDlVnFtk332zi3PBQ0f5T4JYUMRoa++JrMGCjD94aQKzgIhAIHFtTyUGHHxiDyK8rVQ+Gz3/XEe7NGXRqi/Arznpf1I";
export const FIXED_IMAGE_SHA256 = "d1ddb17684da545a6c5852857a8372fa788ec86c57ac3117c1ccbe2cb0b7c628";

export function fixedImage(): Uint8Array {
  return simImage(FIXED_IMAGE.version, FIXED_IMAGE.size, FIXED_IMAGE.seed);
}

/** The simulated update scenario over the fixed image and signature. */
export function fixedScenarioInput(cutAt: number): ScenarioInput {
  return { publicKeyHex: FIXED_PUBLIC_KEY_HEX, signature: FIXED_SIGNATURE_B64, sha256: FIXED_IMAGE_SHA256, imageSize: FIXED_IMAGE.size, cutAt };
}
