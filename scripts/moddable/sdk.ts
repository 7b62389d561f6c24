/**
 * Finding the Moddable SDK and the host tools a real-SDK build or run needs. Every missing piece is one
 * `ToolMissing` with one line that says what and how to fix it; the scripts print that line, never a trace.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export class ToolMissing extends Error {}

export interface Sdk {
  /** $MODDABLE */
  root: string;
  /** build/bin/lin/release: mcconfig, xsc, xsl, mcsim, ... */
  bin: string;
  /** PATH with the SDK's tools first, for mcconfig's makefiles (they call xsc, xsl, mcrez by name). */
  env: NodeJS.ProcessEnv;
}

export function findSdk(): Sdk {
  const root = process.env.MODDABLE;
  if (!root) throw new ToolMissing("MODDABLE is not set: build the Moddable SDK (its Linux getting-started guide) and export MODDABLE=<its directory>");
  if (!existsSync(join(root, "tools", "mcconfig"))) throw new ToolMissing(`MODDABLE=${root} is not a Moddable SDK checkout (no tools/mcconfig)`);
  const bin = join(root, "build", "bin", "lin", "release");
  for (const tool of ["mcconfig", "xsc", "xsl"]) {
    if (!existsSync(join(bin, tool))) throw new ToolMissing(`${join(bin, tool)} is missing: build the SDK's tools (cd $MODDABLE/build/makefiles/lin && make)`);
  }
  return { root, bin, env: { ...process.env, MODDABLE: root, PATH: `${bin}:${process.env.PATH ?? ""}` } };
}

/** The SDK's GTK simulator, built by the same `make` as the tools. */
export function simulatorPath(sdk: Sdk): string {
  const path = join(sdk.bin, "mcsim");
  if (!existsSync(path)) throw new ToolMissing(`${path} is missing: build the SDK's simulator (cd $MODDABLE/build/makefiles/lin && make)`);
  return path;
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function requireCommand(name: string, install: string): void {
  if (!hasCommand(name)) throw new ToolMissing(`${name} is not installed: ${install}`);
}
