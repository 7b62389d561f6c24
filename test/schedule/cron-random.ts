/**
 * Random cron expressions of the subset Quartz and cron-parser share, in both notations (Quartz day-of-week 1-7 =
 * SUN-SAT becomes cron-parser's 0-6). Used by the oracle test and by the benchmark's "random set".
 */
import type { SeededRandom } from "../../hal/sim/random";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export interface Pair {
  quartz: string;
  vixie: string;
}

/** A random expression of the common subset, in Quartz form and in cron-parser form. */
export function randomPair(random: SeededRandom): Pair {
  const int = (lo: number, hi: number): number => lo + random.nextInt(hi - lo + 1);
  const pick = <T>(list: T[]): T => list[random.nextInt(list.length)];
  /** One numeric field; `name` renders a value (names for months), `shift` maps Quartz to cron-parser numbering. */
  const field = (min: number, max: number, star: number, name?: (v: number) => string, shift = 0): [string, string] => {
    const show = (v: number): [string, string] => (name && random.nextInt(3) === 0 ? [name(v), name(v)] : [String(v), String(v + shift)]);
    /** One item inside [lo, hi]; list items get disjoint sub-ranges (cron-parser refuses duplicate values). */
    const item = (lo: number, hi: number, alone: boolean): [string, string] => {
      const kind = random.nextInt(10);
      if (alone && kind < star) return ["*", "*"];
      if (kind < 4) return show(int(lo, hi));
      if (kind < 6) {
        const a = int(lo, hi);
        const b = int(a, hi);
        const [qa, va] = show(a);
        const [qb, vb] = show(b);
        return [`${qa}-${qb}`, `${va}-${vb}`];
      }
      if (kind < 7 && alone) {
        const n = int(1, Math.max(1, Math.floor((max - min) / 2)));
        return [`*/${n}`, `*/${n}`];
      }
      const a = int(lo, hi);
      const n = int(1, Math.max(1, max - min - 1));
      if (kind < 8 && hi === max && shift === 0) return [`${a}/${n}`, `${a}/${n}`];
      const b = int(a, hi);
      return [`${a}-${b}/${n}`, `${a + shift}-${b + shift}/${n}`];
    };
    const count = random.nextInt(5) === 0 ? int(2, 3) : 1;
    if (count === 1 || max - min < 6) return item(min, max, true);
    const items: [string, string][] = [];
    const width = Math.floor((max - min + 1) / count);
    for (let i = 0; i < count; i++) items.push(item(min + i * width, i === count - 1 ? max : min + (i + 1) * width - 1, false));
    return [items.map((i) => i[0]).join(","), items.map((i) => i[1]).join(",")];
  };
  const [s, s2] = field(0, 59, 2);
  const [m, m2] = field(0, 59, 2);
  const [h, h2] = field(0, 23, 3);
  const [mo, mo2] = field(1, 12, 5, (v) => pick([MONTHS[v - 1], MONTHS[v - 1].toLowerCase()]));
  let dom = "?";
  let dom2 = "*";
  let dow = "?";
  let dow2 = "*";
  const dayKind = random.nextInt(10);
  if (dayKind < 4) {
    [dom, dom2] = random.nextInt(8) === 0 ? ["L", "L"] : field(1, 31, 2);
  } else if (dayKind < 8) {
    [dow, dow2] = field(1, 7, 2, (v) => DAYS[v - 1], -1);
  } else if (dayKind < 9) {
    const v = int(1, 7);
    dow = `${v}L`;
    dow2 = `${v - 1}L`;
  } else {
    const v = int(1, 7);
    const k = int(1, 5);
    dow = `${v}#${k}`;
    dow2 = `${v - 1}#${k}`;
  }
  if (dom === "?" && dow === "?") dom = random.nextInt(2) ? "*" : "?";
  return { quartz: `${s} ${m} ${h} ${dom} ${mo} ${dow}`, vixie: `${s2} ${m2} ${h2} ${dom2} ${mo2} ${dow2}` };
}

