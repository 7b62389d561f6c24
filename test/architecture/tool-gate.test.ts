/** A missing tool is a visible skip, or a failure in CI, never a pass (test/helpers/tool-gate.ts). */
import test, { type TestFn } from "ava";
import { toolMissing } from "../helpers/tool-gate";

function record(ci: boolean): { kind: string; title: string; failed: string | null }[] {
  const seen: { kind: string; title: string; failed: string | null }[] = [];
  const fake = ((title: string, body: (t: { fail(message: string): void }) => void) => {
    let failed: string | null = null;
    body({ fail: (message: string) => (failed = message) });
    seen.push({ kind: "test", title, failed });
  }) as unknown as TestFn & { skip: (title: string) => void };
  (fake as unknown as { skip: (title: string) => void }).skip = (title: string) => seen.push({ kind: "skip", title, failed: null });
  const saved = process.env.CI;
  if (ci) process.env.CI = "true";
  else delete process.env.CI;
  try {
    toolMissing(fake, "socat", "apt-get install -y socat", "the interop test");
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
  return seen;
}

test("outside CI a missing tool registers a skip naming the tool, nothing that passes", (t) => {
  const seen = record(false);
  t.is(seen.length, 1);
  t.is(seen[0].kind, "skip");
  t.regex(seen[0].title, /the interop test \(skipped: socat is not installed here; `apt-get install -y socat`\)/);
});

test("in CI a missing tool is a failing test", (t) => {
  const seen = record(true);
  t.is(seen.length, 1);
  t.is(seen[0].kind, "test");
  t.regex(seen[0].failed ?? "", /CI has to run `apt-get install -y socat`/);
});
