/**
 * A reply that may take several MQTT messages (a spec 003 READ_ALL of more tasks than one packet holds, a spec 000
 * strategy list larger than one packet). The handler plans the parts (how many, which items in each) and builds
 * each part's text only when `next` is called, so at most one part's text exists at a time; the sender
 * (src/app/reply-pager.ts) calls `next` when the MQTT outbox has room for it.
 */
export interface ReplyPages {
  /** How many messages the reply takes (1 for an ordinary reply). */
  readonly parts: number;
  /** The next part's text, or null when every part was built. */
  next(): string | null;
}

/** A reply of one message. */
export class SinglePage implements ReplyPages {
  readonly parts = 1;
  private text: string | null;

  constructor(text: string) {
    this.text = text;
  }

  next(): string | null {
    const text = this.text;
    this.text = null;
    return text;
  }
}

/**
 * Where each part of a reply starts, packing items in order: item `i` takes `bytesOf(i)` of a part's `room`; an
 * item never shares a part it does not fit in, and one larger than a whole part gets a part of its own. Returns the
 * index of each part's first item and, last, `count`.
 */
export function partStarts(count: number, bytesOf: (i: number) => number, room: number): Uint16Array | Uint32Array {
  const starts: number[] = [0];
  let used = 0;
  for (let i = 0; i < count; i++) {
    const bytes = bytesOf(i);
    if (used > 0 && used + bytes > room) {
      starts.push(i);
      used = 0;
    }
    used += bytes;
  }
  starts.push(count);
  return count > 0xffff ? Uint32Array.from(starts) : Uint16Array.from(starts);
}
