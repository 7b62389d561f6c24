import test from "ava";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { EcdsaP256Verifier, onCurve, parsePublicKey, parseSignature } from "../../src/ota/p256";
import { SeededRandom } from "../../hal/sim/random";

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(der.length - 65));
}

function digestOf(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

test("agrees with node:crypto: 60 keys x (valid, flipped digest bit, flipped signature bit), DER and raw", (t) => {
  const random = new SeededRandom(5);
  const verifier = new EcdsaP256Verifier();
  for (let k = 0; k < 60; k++) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const key = parsePublicKey(rawPublicKey(publicKey));
    const message = new Uint8Array(1 + random.nextInt(300));
    random.fill(message, 0, message.length);
    const digest = digestOf(message);
    const der = new Uint8Array(sign("sha256", message, { key: privateKey, dsaEncoding: "der" }));
    const raw = new Uint8Array(sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" }));
    t.true(verifier.verify(key, digest, parseSignature(der)), `key ${k} der`);
    t.true(verifier.verify(key, digest, parseSignature(raw)), `key ${k} raw`);
    t.true(verifier.units > 700 && verifier.units < 800, `units ${verifier.units}`);
    const badDigest = digest.slice();
    badDigest[random.nextInt(32)] ^= 1 << random.nextInt(8);
    t.false(verifier.verify(key, badDigest, parseSignature(der)), `key ${k} tampered digest`);
    const badRaw = raw.slice();
    badRaw[random.nextInt(64)] ^= 1 << random.nextInt(8);
    let parsed;
    try {
      parsed = parseSignature(badRaw);
    } catch {
      parsed = null;
    }
    if (parsed) t.false(verifier.verify(key, digest, parsed), `key ${k} tampered signature`);
    // Another key never verifies it.
    const other = parsePublicKey(rawPublicKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey));
    t.false(verifier.verify(other, digest, parseSignature(der)));
  }
});

test("sliced verification gives the same verdict whatever the slice size", (t) => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = parsePublicKey(rawPublicKey(publicKey));
  const message = new TextEncoder().encode("image");
  const signature = parseSignature(new Uint8Array(sign("sha256", message, privateKey)));
  for (const slice of [1, 7, 64, 1000]) {
    const verifier = new EcdsaP256Verifier();
    verifier.start(key, digestOf(message), signature);
    let calls = 0;
    while (!verifier.step(slice)) calls++;
    t.true(verifier.valid, `slice ${slice}`);
    t.is(calls, Math.ceil(verifier.units / slice) - 1);
  }
});

test("bad keys and signatures are refused with a reason", (t) => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const raw = rawPublicKey(publicKey);
  const offCurve = raw.slice();
  offCurve[64] ^= 1;
  t.throws(() => parsePublicKey(offCurve), { message: "is not a point of the P-256 curve" });
  t.throws(() => parsePublicKey(raw.subarray(1)), { message: /65 bytes starting with 04/ });
  t.false(onCurve(0n, 0n));

  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const rawSig = (r: bigint, s: bigint): Uint8Array => {
    const out = new Uint8Array(64);
    for (let i = 0; i < 32; i++) {
      out[31 - i] = Number((r >> BigInt(8 * i)) & 0xffn);
      out[63 - i] = Number((s >> BigInt(8 * i)) & 0xffn);
    }
    return out;
  };
  t.throws(() => parseSignature(rawSig(0n, 5n)), { message: /between 1 and n - 1/ });
  t.throws(() => parseSignature(rawSig(5n, n)), { message: /between 1 and n - 1/ });
  t.throws(() => parseSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01])), { message: /neither/ });
  t.throws(() => parseSignature(new Uint8Array([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01])), { message: /not minimally/ });
  t.throws(() => parseSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01])), { message: /negative/ });
  t.throws(() => parseSignature(new Uint8Array([0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00])), { message: /after the DER/ });
  t.deepEqual(parseSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02])), { r: 1n, s: 2n });
});
