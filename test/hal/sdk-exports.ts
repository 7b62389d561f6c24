/**
 * hal/moddable/sdk-exports.json (the Moddable modules the device bundle may import, per platform, and what each
 * exports) and the checks run against it: a bundle's imports (`checkImports`, ESTree from rollup's parser) and a
 * module source's exports (`scanSourceExports`, a text scan that also reads XS's host-function syntax, which no
 * standard parser accepts). Used by test/hal/sdk-imports.test.ts and test/hal/sdk-exports.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAst } from "rollup/parseAst";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const EXPORT_LIST_PATH = "hal/moddable/sdk-exports.json";

export interface Shape {
  static?: string[];
  instance?: string[];
}

/** One module on one platform. */
export interface ModuleExports {
  /** "$(MODDABLE)/..." (the SDK's) or a repo path (ours). */
  source: string;
  /** The manifest that puts it in the build. */
  manifest?: string;
  /** The source of the base class its default export extends (members inherited from it). */
  inherits?: string;
  /** Text the generator writes, when `source` generates the module (mc/config). */
  generated?: string;
  default: boolean;
  named: string[];
  shape?: Record<string, Shape>;
  /** What the module's body installs on globalThis: member names, or a note. */
  globals?: Record<string, string[] | string>;
}

export interface ExportList {
  platforms: Record<string, string>;
  modules: Record<string, Record<string, ModuleExports | string>>;
}

export function loadExportList(path = REPO + EXPORT_LIST_PATH): ExportList {
  return JSON.parse(readFileSync(path, "utf8")) as ExportList;
}

/** The modules of one platform: specifier -> exports (notes, keys starting with "$", left out). */
export function platformModules(list: ExportList, platform: string): Map<string, ModuleExports> {
  const result = new Map<string, ModuleExports>();
  for (const [specifier, byPlatform] of Object.entries(list.modules)) {
    if (specifier.startsWith("$")) continue;
    const entry = byPlatform[platform];
    if (entry !== undefined && typeof entry !== "string") result.set(specifier, entry);
  }
  return result;
}

/** Why a module is absent on a platform, when the list says. */
function absence(list: ExportList, specifier: string, platform: string): string {
  const note = list.modules[specifier]?.[`$${platform}`];
  return typeof note === "string" ? ` (${note})` : "";
}

export interface ImportUse {
  module: string;
  /** default/named/namespace: a binding; member: `binding.name` on a default or namespace binding. */
  kind: "side-effect" | "default" | "named" | "namespace" | "reexport-all" | "dynamic" | "member";
  /** The imported name (named), the member name (member). */
  name?: string;
  /** For a member: "default" or "namespace" (what the binding is). */
  of?: "default" | "namespace";
  line: number;
}

interface Node {
  type: string;
  start: number;
  [key: string]: unknown;
}

/** offset -> 1-based line, by binary search over the line starts. */
function lineIndex(code: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

function nameOf(node: Node): string {
  return node.type === "Identifier" ? (node.name as string) : String(node.value);
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === "object" && typeof (value as Node).type === "string";
}

function children(node: Node): unknown[] {
  const result: unknown[] = [];
  for (const key of Object.keys(node)) {
    if (key === "type" || key === "start" || key === "end") continue;
    const value = node[key];
    if (value !== null && typeof value === "object") result.push(value);
  }
  return result;
}

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** Names a binding pattern declares (`a`, `{ a, b: [c] }`, `...d`, `e = 1`). */
function patternNames(pattern: unknown, into: Set<string>): void {
  if (!isNode(pattern)) return;
  if (pattern.type === "Identifier") into.add(pattern.name as string);
  else if (pattern.type === "ObjectPattern") for (const p of pattern.properties as Node[]) patternNames(p.type === "RestElement" ? p.argument : p.value, into);
  else if (pattern.type === "ArrayPattern") for (const element of pattern.elements as unknown[]) patternNames(element, into);
  else if (pattern.type === "RestElement") patternNames(pattern.argument, into);
  else if (pattern.type === "AssignmentPattern") patternNames(pattern.left, into);
}

/** `var` names of a function body (hoisted from its blocks, not from nested functions). */
function varNames(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) varNames(item, into);
    return;
  }
  if (!isNode(node) || FUNCTIONS.has(node.type)) return;
  if (node.type === "VariableDeclaration" && node.kind === "var") for (const d of node.declarations as Node[]) patternNames(d.id, into);
  for (const child of children(node)) varNames(child, into);
}

/** let/const/class/function names declared directly in a block's statements. */
function lexicalNames(statements: Node[], into: Set<string>): void {
  for (const statement of statements) {
    if (statement.type === "VariableDeclaration" && statement.kind !== "var") for (const d of statement.declarations as Node[]) patternNames(d.id, into);
    else if ((statement.type === "ClassDeclaration" || statement.type === "FunctionDeclaration") && isNode(statement.id)) into.add(statement.id.name as string);
  }
}

/** The names a scope-making node declares, or null when it makes no scope. */
function scopeOf(node: Node): Set<string> | null {
  const names = new Set<string>();
  if (FUNCTIONS.has(node.type)) {
    for (const param of node.params as Node[]) patternNames(param, names);
    if (node.type === "FunctionExpression" && isNode(node.id)) names.add(node.id.name as string);
    varNames(node.body, names);
  } else if (node.type === "BlockStatement" || node.type === "StaticBlock") {
    lexicalNames(node.body as Node[], names);
  } else if (node.type === "SwitchStatement") {
    for (const c of node.cases as Node[]) lexicalNames(c.consequent as Node[], names);
  } else if (node.type === "ForStatement" || node.type === "ForInStatement" || node.type === "ForOfStatement") {
    const head = (node.type === "ForStatement" ? node.init : node.left) as unknown;
    if (isNode(head) && head.type === "VariableDeclaration" && head.kind !== "var") for (const d of head.declarations as Node[]) patternNames(d.id, names);
  } else if (node.type === "CatchClause") {
    patternNames(node.param, names);
  } else if (node.type === "ClassExpression" && isNode(node.id)) {
    names.add(node.id.name as string);
  } else {
    return null;
  }
  return names;
}

/** Visit every node with the names declared by the scopes around it (the module scope excluded). */
function walk(node: unknown, visit: (node: Node, shadowed: (name: string) => boolean) => void, scopes: Array<Set<string>> = []): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit, scopes);
    return;
  }
  if (!isNode(node)) return;
  const scope = scopeOf(node);
  const inner = scope === null ? scopes : [...scopes, scope];
  visit(node, (name) => inner.some((names) => names.has(name)));
  for (const child of children(node)) walk(child, visit, inner);
}

/** Every import of an ES module's code: bindings, re-exports, dynamic imports, and members read off default and namespace bindings. */
export function importsOf(code: string): ImportUse[] {
  const program = parseAst(code) as unknown as { body: Node[] };
  const lineAt = lineIndex(code);
  const uses: ImportUse[] = [];
  /** Local name -> [module, default|namespace]. */
  const bindings = new Map<string, [string, "default" | "namespace"]>();
  for (const statement of program.body) {
    const line = lineAt(statement.start);
    if (statement.type === "ImportDeclaration") {
      const module = String((statement.source as Node).value);
      const specifiers = statement.specifiers as Node[];
      if (specifiers.length === 0) uses.push({ module, kind: "side-effect", line });
      for (const specifier of specifiers) {
        const local = ((specifier.local as Node).name as string) ?? "";
        if (specifier.type === "ImportDefaultSpecifier") {
          uses.push({ module, kind: "default", line });
          bindings.set(local, [module, "default"]);
        } else if (specifier.type === "ImportNamespaceSpecifier") {
          uses.push({ module, kind: "namespace", line });
          bindings.set(local, [module, "namespace"]);
        } else {
          const imported = nameOf(specifier.imported as Node);
          if (imported === "default") {
            uses.push({ module, kind: "default", line });
            bindings.set(local, [module, "default"]);
          } else {
            uses.push({ module, kind: "named", name: imported, line });
          }
        }
      }
    } else if (statement.type === "ExportNamedDeclaration" && statement.source) {
      const module = String((statement.source as Node).value);
      for (const specifier of statement.specifiers as Node[]) {
        const local = nameOf(specifier.local as Node);
        uses.push(local === "default" ? { module, kind: "default", line } : { module, kind: "named", name: local, line });
      }
    } else if (statement.type === "ExportAllDeclaration") {
      uses.push({ module: String((statement.source as Node).value), kind: "reexport-all", line });
    }
  }
  walk(program.body, (node, shadowed) => {
    if (node.type === "ImportExpression") {
      const source = node.source as Node;
      uses.push({ module: source.type === "Literal" ? String(source.value) : "(computed)", kind: "dynamic", line: lineAt(node.start) });
    } else if (node.type === "MemberExpression") {
      const object = node.object as Node;
      if (object.type !== "Identifier") return;
      const binding = bindings.get(object.name as string);
      // A local of the same name in a scope around it is not the import (rollup renames only module-scope clashes).
      if (!binding || shadowed(object.name as string)) return;
      const property = node.property as Node;
      const name = node.computed ? (property.type === "Literal" ? String(property.value) : "(computed)") : (property.name as string);
      uses.push({ module: binding[0], kind: "member", name, of: binding[1], line: lineAt(node.start) });
    }
  });
  return uses;
}

/**
 * What is wrong with an ES module's imports on each platform, given the list: a module the platform does not
 * have, a default import from a module without one, a named import (or a member of a namespace import) that it
 * does not export, a member of a default import outside its listed static shape, dynamic imports. Empty when none.
 */
export function checkImports(code: string, list: ExportList, platforms: string[] = Object.keys(list.platforms)): string[] {
  const problems: string[] = [];
  const uses = importsOf(code);
  for (const platform of platforms) {
    const modules = platformModules(list, platform);
    for (const use of uses) {
      const where = `${platform}, line ${use.line}`;
      if (use.kind === "dynamic") {
        problems.push(`${where}: dynamic import of ${use.module}: the Moddable linker only sees static imports`);
        continue;
      }
      const entry = modules.get(use.module);
      if (!entry) {
        if (use.kind !== "member") problems.push(`${where}: module "${use.module}" does not exist on ${platform}${absence(list, use.module, platform)}`);
        continue;
      }
      const from = `"${use.module}" (${entry.source})`;
      if (use.kind === "default" && !entry.default) {
        const globals = entry.globals ? `; its body installs the global${Object.keys(entry.globals).length > 1 ? "s" : ""} ${Object.keys(entry.globals).join(", ")}` : "";
        problems.push(`${where}: import default from ${from}: it has no default export (named: ${entry.named.join(", ") || "none"}${globals})`);
      } else if (use.kind === "named" && !entry.named.includes(use.name!)) {
        problems.push(`${where}: import { ${use.name} } from ${from}: it exports no "${use.name}" (named: ${entry.named.join(", ") || "none"}; default: ${entry.default})`);
      } else if (use.kind === "member" && use.of === "namespace" && !entry.named.includes(use.name!) && !(use.name === "default" && entry.default)) {
        problems.push(`${where}: ${use.name} of import * from ${from}: it exports no "${use.name}" (named: ${entry.named.join(", ") || "none"})`);
      } else if (use.kind === "member" && use.of === "default") {
        const members = entry.shape?.default?.static;
        if (members !== undefined && !members.includes(use.name!)) {
          problems.push(`${where}: .${use.name} of the default export of ${from}: not one of its members (${members.join(", ")})`);
        }
      }
    }
  }
  return problems;
}

/** Comments out of a JavaScript source, roughly (enough for module sources: no regex literals with slashes). */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[^:"'\\])\/\/.*$/gm, "$1");
}

/** A module source's exports by a text scan: standard ES module syntax, and XS's `function f() @ "host"` and `class C @ "destructor"`. */
export function scanSourceExports(text: string): { default: boolean; named: string[] } {
  const code = stripComments(text);
  let hasDefault = /^\s*export\s+default\b/m.test(code);
  const named = new Set<string>();
  for (const match of code.matchAll(/^\s*export\s+(?:async\s+)?(?:class|function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)/gm)) named.add(match[1]);
  for (const match of code.matchAll(/^\s*export\s*\{([^}]*)\}/gm)) {
    for (const item of match[1].split(",")) {
      const parts = item.trim().split(/\s+as\s+/);
      const exported = (parts[1] ?? parts[0]).trim();
      if (exported === "") continue;
      if (exported === "default") hasDefault = true;
      else named.add(exported);
    }
  }
  return { default: hasDefault, named: [...named].sort() };
}

/** Whether a member name appears in a source as a member would: a method, accessor, property or assignment. */
export function sourceMentions(text: string, member: string): boolean {
  return new RegExp(`(^|[^\\w$])${member.replace(/\$/g, "\\$")}([^\\w$]|$)`).test(stripComments(text));
}
