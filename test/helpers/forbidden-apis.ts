/**
 * What device code may not use: XS on the gateway has no Node APIs, no Intl, no Buffer, no timers outside the HAL
 * module; and the core may not read the clock or randomness except through the HAL.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** APIs that do not exist on Moddable XS (or only as the `timer` module): forbidden anywhere in a device bundle. */
export const MISSING_ON_XS: Array<[string, RegExp]> = [
  ["Intl", /\bIntl\b/],
  ["Buffer", /\bBuffer\b/],
  ["process", /\bprocess\s*\./],
  ["require()", /\brequire\s*\(/],
  ["setTimeout", /\bsetTimeout\b/],
  ["setInterval", /\bsetInterval\b/],
  ["console", /\bconsole\s*\./],
  ["node: import", /from\s*["']node:/],
  ["structuredClone", /\bstructuredClone\b/],
];

/** Ambient clock and randomness: allowed only inside hal/, never in the core. */
export const HAL_ONLY: Array<[string, RegExp]> = [
  ["Date.now()", /\bDate\.now\s*\(/],
  ["Math.random()", /\bMath\.random\s*\(/],
  ["new Date() without a time", /\bnew\s+Date\s*\(\s*\)/],
];

/** Remove comments so that prose about forbidden APIs does not count; strings are left alone. */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

export function findForbidden(source: string, rules: Array<[string, RegExp]>): string[] {
  const code = stripComments(source);
  const hits: string[] = [];
  for (const [name, pattern] of rules) {
    const match = pattern.exec(code);
    if (match) {
      const line = code.slice(0, match.index).split("\n").length;
      hits.push(`${name} at line ${line}: ${code.split("\n")[line - 1].trim().slice(0, 120)}`);
    }
  }
  return hits;
}

/** Module specifiers an ES module imports (static `import ... from "x"` and `import "x"`). */
export function importedSpecifiers(source: string): string[] {
  const specifiers = new Set<string>();
  for (const match of stripComments(source).matchAll(/^\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/gm)) {
    specifiers.add(match[1]);
  }
  return [...specifiers];
}

export function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listSourceFiles(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}
