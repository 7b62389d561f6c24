/** The benchmark's fixed signature is a real one: node:crypto verifies it over the fixed image, and refuses a change. */
import test from "ava";
import { createHash, createPublicKey, verify } from "node:crypto";
import { FIXED_IMAGE_SHA256, FIXED_PUBLIC_KEY_HEX, FIXED_PUBLIC_KEY_SPKI_B64, FIXED_SIGNATURE_B64, fixedImage } from "./fixed-signature";

test("the fixed P-256 signature verifies over the fixed image with node:crypto", (t) => {
  const key = createPublicKey({ key: Buffer.from(FIXED_PUBLIC_KEY_SPKI_B64, "base64"), format: "der", type: "spki" });
  const image = fixedImage();
  t.is(createHash("sha256").update(image).digest("hex"), FIXED_IMAGE_SHA256);
  t.true(verify("sha256", image, key, Buffer.from(FIXED_SIGNATURE_B64, "base64")));
  image[100] ^= 1;
  t.false(verify("sha256", image, key, Buffer.from(FIXED_SIGNATURE_B64, "base64")));
  const der = Buffer.from(FIXED_PUBLIC_KEY_SPKI_B64, "base64");
  t.is(der.subarray(der.length - 65).toString("hex"), FIXED_PUBLIC_KEY_HEX);
});
