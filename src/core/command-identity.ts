/**
 * What makes a redelivered command the same command: its id (spec 000 `mid`, spec 003 `msgid`, spec 004 `id`), its
 * kind (the spec 000 action, the spec 003 `cmd`) and a digest of the bytes that carried it. Platforms reuse ids (the
 * specs' own examples share one `mid` and one `msgid` across every command type), so an id alone would answer a new
 * command with an older command's reply and apply nothing; a transport redelivery (MQTT QoS 1 after a lost PUBACK)
 * carries the same bytes, so it matches all three.
 *
 * The digest is FNV-1a (32 bits) over the payload's UTF-16 code units: no allocation, a few XS steps per character,
 * and a collision needs the same id and kind too. It is not a security measure (the broker authenticates).
 *
 * A remembered reply is stored as one string, the identity first: `~<kind>:<digest as 8 hex digits>~<reply text>`.
 * A stored reply without that header (written by an older firmware) matches nothing: the command is handled as new.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit over `text`'s code units (each unit as its low byte, then its high byte), as an unsigned int. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    hash = Math.imul(hash ^ (unit & 0xff), FNV_PRIME);
    if (unit > 0xff) hash = Math.imul(hash ^ (unit >>> 8), FNV_PRIME);
  }
  return hash >>> 0;
}

function hex8(n: number): string {
  const text = n.toString(16);
  return text.length >= 8 ? text : "00000000".slice(text.length) + text;
}

/** The stored form of a remembered reply: identity header + reply text. */
export function rememberedText(kind: number, digest: number, reply: string): string {
  return `~${kind}:${hex8(digest)}~${reply}`;
}

/**
 * The reply text of a remembered entry when it was remembered for this identity (same kind and digest), else null
 * (another command that used the same id, or a headerless entry of an older firmware).
 */
export function rememberedReplyFor(stored: string | null, kind: number, digest: number): string | null {
  if (stored === null || stored.charCodeAt(0) !== 0x7e /* ~ */) return null;
  const header = `~${kind}:${hex8(digest)}~`;
  return stored.startsWith(header) ? stored.slice(header.length) : null;
}

