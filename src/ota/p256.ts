/**
 * ECDSA P-256 (secp256r1) signature verification in TypeScript with BigInt: the same code on the device (XS), in
 * the XS engine on a PC and in Node, checked against node:crypto in test/ota/p256.test.ts.
 *
 * Why not a HAL verifier (Moddable's ECDSA on the device, node:crypto on the host): one implementation tested on
 * every host is worth more than a faster native one on one of them, an update is verified once, and Moddable's
 * ECDSA is JS over BigInt too. What matters on the device is that the control tick is never blocked: a verification
 * is about 770 BigInt modular steps, so it runs in slices (`step(units)`), a few per tick.
 *
 * It verifies; it never signs, so it holds no secret and timing side channels do not matter here.
 */
import { deepFreeze } from "../core/freeze";

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

export interface P256PublicKey {
  x: bigint;
  y: bigint;
}

export interface EcdsaSignature {
  r: bigint;
  s: bigint;
}

function modP(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

export function bytesToBigInt(bytes: Uint8Array, offset: number, length: number): bigint {
  let value = 0n;
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(bytes[offset + i]);
  return value;
}

/** Is (x, y) a point of the curve: y^2 = x^3 - 3x + b (mod p)? */
export function onCurve(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= P || y < 0n || y >= P) return false;
  return modP(y * y) === modP(x * x * x - 3n * x + B);
}

/**
 * An uncompressed public key, 65 bytes 04 || X || Y (what `openssl ec -pubout -outform DER | tail -c 65` gives).
 * Throws an Error naming the problem (a point off the curve would let anything verify against it).
 */
export function parsePublicKey(bytes: Uint8Array): P256PublicKey {
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new Error("must be an uncompressed P-256 point: 65 bytes starting with 04");
  const x = bytesToBigInt(bytes, 1, 32);
  const y = bytesToBigInt(bytes, 33, 32);
  if (!onCurve(x, y)) throw new Error("is not a point of the P-256 curve");
  return { x, y };
}

/**
 * A signature as DER (SEQUENCE of two INTEGERs, what OpenSSL and node:crypto produce by default) or as the raw
 * 64-byte r || s (IEEE P1363, WebCrypto). DER must be strict (minimal lengths and integers). Throws naming the problem.
 */
export function parseSignature(bytes: Uint8Array): EcdsaSignature {
  let r: bigint;
  let s: bigint;
  if (bytes.length === 64) {
    r = bytesToBigInt(bytes, 0, 32);
    s = bytesToBigInt(bytes, 32, 32);
  } else {
    if (bytes.length < 8 || bytes[0] !== 0x30 || bytes[1] !== bytes.length - 2) throw new Error("is neither 64 raw bytes (r || s) nor a DER SEQUENCE");
    const first = derInteger(bytes, 2);
    const second = derInteger(bytes, first.next);
    if (second.next !== bytes.length) throw new Error("has bytes after the DER SEQUENCE");
    r = first.value;
    s = second.value;
  }
  if (r <= 0n || r >= N || s <= 0n || s >= N) throw new Error("r and s must be between 1 and n - 1");
  return { r, s };
}

function derInteger(bytes: Uint8Array, at: number): { value: bigint; next: number } {
  if (at + 2 > bytes.length || bytes[at] !== 0x02) throw new Error("DER: expected an INTEGER");
  const length = bytes[at + 1];
  const start = at + 2;
  if (length === 0 || length > 33 || start + length > bytes.length) throw new Error("DER: bad INTEGER length");
  if (bytes[start] & 0x80) throw new Error("DER: negative INTEGER");
  if (length > 1 && bytes[start] === 0 && (bytes[start + 1] & 0x80) === 0) throw new Error("DER: INTEGER not minimally encoded");
  return { value: bytesToBigInt(bytes, start, length), next: start + length };
}

const Phase = deepFreeze({ Idle: 0, InvertS: 1, Ladder: 2, InvertZ: 3, Done: 4 } as const);
type Phase = (typeof Phase)[keyof typeof Phase];

/**
 * One verification at a time, in slices. `start` checks ranges and sets up; `step(units)` does up to `units` bit
 * steps (a modular inversion is 256 of them, the double-scalar multiplication 256 more) and returns true when
 * `valid` holds the answer. About 770 units in all.
 */
export class EcdsaP256Verifier {
  /** The verdict once done; false while running. */
  valid = false;
  /** Bit steps taken by the last verification (a cost figure). */
  units = 0;
  private phase: Phase = Phase.Idle;
  private r = 0n;
  private e = 0n;
  private qx = 0n;
  private qy = 0n;
  // Modular exponentiation state (inversions by Fermat: a^(m-2) mod m, MSB first).
  private powBase = 0n;
  private powModulus = 1n;
  private powExponent = 0n;
  private powResult = 1n;
  private bit = 0;
  private u1 = 0n;
  private u2 = 0n;
  // Jacobian accumulator and the precomputed G + Q.
  private x = 0n;
  private y = 0n;
  private z = 0n;
  private gqx = 0n;
  private gqy = 0n;
  private gqz = 0n;

  get done(): boolean {
    return this.phase === Phase.Done;
  }

  get running(): boolean {
    return this.phase !== Phase.Idle && this.phase !== Phase.Done;
  }

  /** Start verifying `signature` over a 32-byte SHA-256 `digest` with `key`. */
  start(key: P256PublicKey, digest: Uint8Array, signature: EcdsaSignature): void {
    if (digest.length !== 32) throw new RangeError("digest must be 32 bytes");
    this.valid = false;
    this.units = 0;
    this.r = signature.r;
    // e = the digest as an integer: 256 bits, the size of n, so no truncation (FIPS 186-4 §6.4).
    this.e = bytesToBigInt(digest, 0, 32);
    this.qx = key.x;
    this.qy = key.y;
    this.beginPow(signature.s, N);
    this.phase = Phase.InvertS;
  }

  /** Cancel a verification under way. */
  reset(): void {
    this.phase = Phase.Idle;
    this.valid = false;
  }

  step(units: number): boolean {
    for (let i = 0; i < units && this.phase !== Phase.Done && this.phase !== Phase.Idle; i++) {
      this.units++;
      if (this.phase === Phase.InvertS) {
        if (this.powStep()) this.afterInvertS();
      } else if (this.phase === Phase.Ladder) {
        this.ladderStep();
      } else if (this.powStep()) {
        this.finish();
      }
    }
    return this.phase === Phase.Done;
  }

  /** Verify to the end in one call (host tools and tests). */
  verify(key: P256PublicKey, digest: Uint8Array, signature: EcdsaSignature): boolean {
    this.start(key, digest, signature);
    while (!this.step(1024));
    return this.valid;
  }

  private beginPow(base: bigint, modulus: bigint): void {
    this.powBase = base % modulus;
    this.powModulus = modulus;
    this.powExponent = modulus - 2n;
    this.powResult = 1n;
    this.bit = 255;
  }

  private powStep(): boolean {
    const m = this.powModulus;
    this.powResult = (this.powResult * this.powResult) % m;
    if ((this.powExponent >> BigInt(this.bit)) & 1n) this.powResult = (this.powResult * this.powBase) % m;
    this.bit--;
    return this.bit < 0;
  }

  private afterInvertS(): void {
    const w = this.powResult;
    this.u1 = (this.e * w) % N;
    this.u2 = (this.r * w) % N;
    // G + Q once, so each ladder bit adds at most one point (Shamir's trick).
    this.x = GX;
    this.y = GY;
    this.z = 1n;
    this.add(this.qx, this.qy, 1n);
    this.gqx = this.x;
    this.gqy = this.y;
    this.gqz = this.z;
    this.x = 0n;
    this.y = 1n;
    this.z = 0n;
    this.bit = 255;
    this.phase = Phase.Ladder;
  }

  private ladderStep(): void {
    this.double();
    const shift = BigInt(this.bit);
    const b1 = (this.u1 >> shift) & 1n;
    const b2 = (this.u2 >> shift) & 1n;
    if (b1 === 1n && b2 === 1n) this.add(this.gqx, this.gqy, this.gqz);
    else if (b1 === 1n) this.add(GX, GY, 1n);
    else if (b2 === 1n) this.add(this.qx, this.qy, 1n);
    this.bit--;
    if (this.bit < 0) {
      if (this.z === 0n) {
        // u1*G + u2*Q is the point at infinity: never a valid signature.
        this.valid = false;
        this.phase = Phase.Done;
        return;
      }
      this.beginPow(this.z, P);
      this.phase = Phase.InvertZ;
    }
  }

  private finish(): void {
    const zInv = this.powResult;
    const affineX = modP(this.x * modP(zInv * zInv));
    this.valid = affineX % N === this.r;
    this.phase = Phase.Done;
  }

  /** (x, y, z) = 2 (x, y, z), Jacobian, a = -3 (dbl-2001-b). */
  private double(): void {
    if (this.z === 0n) return;
    const x = this.x;
    const y = this.y;
    const z = this.z;
    const delta = modP(z * z);
    const gamma = modP(y * y);
    const beta = modP(x * gamma);
    const alpha = modP(3n * (x - delta) * (x + delta));
    const x3 = modP(alpha * alpha - 8n * beta);
    this.z = modP((y + z) * (y + z) - gamma - delta);
    this.y = modP(alpha * (4n * beta - x3) - 8n * gamma * gamma);
    this.x = x3;
  }

  /** (x, y, z) += (x2, y2, z2), Jacobian (add-2007-bl), with the equal-point and opposite-point cases. */
  private add(x2: bigint, y2: bigint, z2: bigint): void {
    if (z2 === 0n) return;
    if (this.z === 0n) {
      this.x = x2;
      this.y = y2;
      this.z = z2;
      return;
    }
    const x1 = this.x;
    const y1 = this.y;
    const z1 = this.z;
    const z1z1 = modP(z1 * z1);
    const z2z2 = modP(z2 * z2);
    const u1 = modP(x1 * z2z2);
    const u2 = modP(x2 * z1z1);
    const s1 = modP(y1 * z2 * z2z2);
    const s2 = modP(y2 * z1 * z1z1);
    const h = modP(u2 - u1);
    const rr = modP(2n * (s2 - s1));
    if (h === 0n) {
      if (rr === 0n) this.double();
      else {
        this.x = 0n;
        this.y = 1n;
        this.z = 0n;
      }
      return;
    }
    const i = modP(4n * h * h);
    const j = modP(h * i);
    const v = modP(u1 * i);
    const x3 = modP(rr * rr - j - 2n * v);
    this.y = modP(rr * (v - x3) - 2n * s1 * j);
    this.z = modP(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h);
    this.x = x3;
  }
}
