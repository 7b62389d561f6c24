/** Every link and repository path the README names exists in a clone (no link into ../shared or a moved file). */
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

export function missingPaths(markdown: string, root: string): string[] {
  const missing = new Set<string>();
  for (const match of markdown.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
    const target = match[1];
    if (/^[a-z]+:/.test(target)) continue;
    // Outside the repository (../shared beside it on our machines) is not in a clone.
    if (target.startsWith("../") || !existsSync(join(root, target))) missing.add(target);
  }
  for (const match of markdown.matchAll(/`((?:docs|src|hal|sim|test|bench|scripts|boards|device)\/[^`*\s]+)`/g)) {
    const path = match[1].replace(/\/$/, "");
    if (/[<>{}$]/.test(path)) continue;
    if (!existsSync(join(root, path))) missing.add(path);
  }
  return [...missing].sort();
}

test("the README's links and paths resolve in a clone", (t) => {
  t.deepEqual(missingPaths(readFileSync(join(ROOT, "README.md"), "utf8"), ROOT), []);
  t.deepEqual(missingPaths("see [arch](../shared/ARCHITECTURE.md) and `sim/nowhere.ts`", ROOT), ["../shared/ARCHITECTURE.md", "sim/nowhere.ts"]);
});
