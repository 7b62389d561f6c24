/**
 * Tests that need a tool this machine may lack (mosquitto, socat): when it is missing, the test is a visible skip
 * that names the tool and how to install it (counted as skipped in ava's summary, never as a pass), and in CI
 * (`CI=true`, where .ci/run installs it) a failure.
 */
import type { TestFn } from "ava";
import { spawnSync } from "node:child_process";

/** Where `which` finds the first of `names` on PATH, or null. */
export function commandPath(...names: string[]): string | null {
  for (const name of names) {
    const found = spawnSync("which", [name], { encoding: "utf8" });
    if (found.status === 0) return found.stdout.trim();
  }
  return null;
}

export function toolMissing(test: TestFn, tool: string, install: string, what: string): void {
  if (process.env.CI === "true") {
    test(`${what}: ${tool} must be installed in CI`, (t) => {
      t.fail(`\`which ${tool}\` found nothing: CI has to run \`${install}\``);
    });
  } else {
    test.skip(`${what} (skipped: ${tool} is not installed here; \`${install}\`)`, () => {});
  }
}
