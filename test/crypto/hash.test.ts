import { createHash, createHmac } from "node:crypto";
import test from "ava";
import { createHmacSha1, createHmacSha256, fromHex, Sha1, Sha256, toHex } from "../../src/crypto/index";
import { SeededRandom } from "../../hal/sim/random";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function digest(hash: Sha1 | Sha256, data: Uint8Array): string {
  const out = new Uint8Array(hash.digestSize);
  hash.reset().update(data, 0, data.length).finish(out, 0);
  return toHex(out, 0, out.length);
}

test("FIPS 180 vectors: empty, abc, two-block message", (t) => {
  const sha256 = new Sha256();
  const sha1 = new Sha1();
  t.is(digest(sha256, ascii("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  t.is(digest(sha256, ascii("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.is(
    digest(sha256, ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  t.is(digest(sha1, ascii("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  t.is(digest(sha1, ascii("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
});

test("one million 'a' fed in odd chunks equals the FIPS vector (streaming across blocks)", (t) => {
  const chunk = new Uint8Array(997).fill(0x61);
  const sha256 = new Sha256();
  let left = 1_000_000;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    sha256.update(chunk, 0, n);
    left -= n;
  }
  const out = new Uint8Array(32);
  sha256.finish(out, 0);
  t.is(toHex(out, 0, 32), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("random messages and random chunking agree with node:crypto (SHA-256, SHA-1)", (t) => {
  const random = new SeededRandom(42);
  const sha256 = new Sha256();
  const sha1 = new Sha1();
  const out = new Uint8Array(32);
  for (let round = 0; round < 300; round++) {
    const length = random.nextInt(round < 200 ? 200 : 5000);
    const data = new Uint8Array(length);
    random.fill(data, 0, length);
    for (const [hash, name] of [
      [sha256, "sha256"],
      [sha1, "sha1"],
    ] as const) {
      hash.reset();
      let position = 0;
      while (position < length) {
        const n = Math.min(length - position, random.nextInt(130));
        hash.update(data, position, n);
        position += n;
      }
      hash.finish(out, 0);
      t.is(toHex(out, 0, hash.digestSize), createHash(name).update(data).digest("hex"), `${name} length ${length}`);
    }
  }
});

test("HMAC vectors of the Alibaba-style device signature (notes) and RFC 4231 case 6 (long key)", (t) => {
  const key = ascii("oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq");
  const message = ascii("clientIdSN1928339deviceNamelight1983432productKeya14Xib5kdYdtimestamp1539421321846");
  const out = new Uint8Array(32);
  const h256 = createHmacSha256().init(key, 0, key.length).update(message, 0, message.length);
  h256.finish(out, 0);
  t.is(toHex(out, 0, 32), "e6ad631b665206c0bf2efbe1b48ac4d84ff2a61fe89bac30065e17975a482c40");
  const h1 = createHmacSha1().init(key, 0, key.length).update(message, 0, message.length);
  h1.finish(out, 0);
  t.is(toHex(out, 0, 20), "b2488041f64f425016b467ee1c94959ebd592ad1");
  // restart() reuses the key: the same message gives the same MAC.
  h1.restart().update(message, 0, message.length).finish(out, 0);
  t.is(toHex(out, 0, 20), "b2488041f64f425016b467ee1c94959ebd592ad1");

  const longKey = new Uint8Array(131).fill(0xaa);
  const text = ascii("Test Using Larger Than Block-Size Key - Hash Key First");
  createHmacSha256().init(longKey, 0, longKey.length).update(text, 0, text.length).finish(out, 0);
  t.is(toHex(out, 0, 32), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
});

test("HMAC over random keys and messages agrees with node:crypto", (t) => {
  const random = new SeededRandom(7);
  const out = new Uint8Array(32);
  const h256 = createHmacSha256();
  const h1 = createHmacSha1();
  for (let round = 0; round < 100; round++) {
    const key = new Uint8Array(random.nextInt(150));
    const message = new Uint8Array(random.nextInt(300));
    random.fill(key, 0, key.length);
    random.fill(message, 0, message.length);
    h256.init(key, 0, key.length).update(message, 0, message.length).finish(out, 0);
    t.is(toHex(out, 0, 32), createHmac("sha256", key).update(message).digest("hex"));
    h1.init(key, 0, key.length).update(message, 0, message.length).finish(out, 0);
    t.is(toHex(out, 0, 20), createHmac("sha1", key).update(message).digest("hex"));
  }
});

test("bad ranges and bad hex are refused with a message naming the problem", (t) => {
  const sha = new Sha256();
  const data = new Uint8Array(4);
  t.throws(() => sha.update(data, 2, 3), { message: /Sha256.update: range 2\+3 outside a 4-byte buffer/ });
  t.throws(() => sha.finish(new Uint8Array(31), 0), { message: /Sha256.finish/ });
  t.throws(() => createHmacSha256().restart(), { message: /init\(key\) first/ });
  t.throws(() => fromHex("abc", new Uint8Array(4), 0), { message: /odd length 3/ });
  t.throws(() => fromHex("zz", new Uint8Array(4), 0), { message: /bad character "z" at 0/ });
  const bytes = new Uint8Array(2);
  t.is(fromHex("A0ff", bytes, 0), 2);
  t.deepEqual([...bytes], [0xa0, 0xff]);
});
