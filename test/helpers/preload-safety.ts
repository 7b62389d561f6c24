/**
 * What a preloaded module may keep at its top level. On the device the gateway bundle is preloaded: xsl runs its
 * body at build time and puts what it made in flash. There a module `let` and an unfrozen object each cost a RAM
 * alias (xsl warns "no const" / "not frozen"), and instances of Map, Set, typed arrays, DataView, Date, RegExp, ...
 * become immutable: a write throws at run time (a /g RegExp's `lastIndex`, a scratch buffer's bytes), on the device
 * only, never in Node or xsnap. /opt/moddable/documentation/xs/preload.md and "XS linker warnings.md" explain it.
 *
 * `checkPreloadSafety` reads an ES module's top-level statements (the rollup bundle, so binding names may carry
 * rollup's `$1` suffixes) and names every binding that breaks these rules:
 *  - no top-level `let` or `var`; no `import * as` (xsl counts a namespace binding as "no const");
 *  - no RegExp (literal, `new RegExp`, `RegExp()`) anywhere in a top-level initializer, whatever its flags;
 *  - every object or array literal is frozen: inside `deepFreeze(...)` (src/core/freeze.ts), or directly inside
 *    `Object.freeze(...)` (which freezes one level only);
 *  - no `new X(...)` and no call whose result could be mutable, unless the binding (or the function called) is in
 *    the caller's allow-list of tables that are only read after load. Calls known to return primitives
 *    (`Math.*`, `Date.UTC`, ...), calls inside deepFreeze (taken to return plain data, which it freezes), and
 *    function and class expressions are fine;
 *  - static class fields follow the same rules (static properties of a preloaded class are read-only).
 * Statements other than declarations (a loop filling a table at load) run once at build time and are not checked.
 */
import { parseAst } from "rollup/parseAst";

// ESTree nodes as rollup's parser returns them; only the fields read here.
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/** Built-ins whose instances xsl preloads as immutable, or that are mutable objects in their own right. */
const MUTABLE_CONSTRUCTORS = new Set([
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "ArrayBuffer", "SharedArrayBuffer", "DataView",
  "Date", "Array", "Object", "Promise", "Proxy", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
  "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
]);

/** Calls that return primitives (or frozen functions), so their results need no freezing. */
const PRIMITIVE_CALLS = /^(Math\.\w+|Date\.UTC|Number(\.\w+)?|String(\.\w+)?|BigInt|Boolean|Symbol(\.for)?|parseInt|parseFloat)$/;

/** The bundle's name for a binding or function without rollup's de-duplication suffix (`TABLE$1` -> `TABLE`). */
export function baseName(name: string): string {
  return name.replace(/\$\d+$/, "");
}

function calleeName(node: Node): string {
  if (node.type === "Identifier") return baseName(node.name as string);
  if (node.type === "MemberExpression" && !node.computed) return `${calleeName(node.object as Node)}.${(node.property as Node).name as string}`;
  return "";
}

function regexFlags(node: Node): string | null {
  if (node.type === "Literal" && node.regex) return (node.regex as { flags: string }).flags;
  if ((node.type === "NewExpression" || node.type === "CallExpression") && calleeName(node.callee as Node) === "RegExp") {
    const flags = (node.arguments as Node[])[1];
    if (!flags) return "";
    return flags.type === "Literal" && typeof flags.value === "string" ? flags.value : "?";
  }
  return null;
}

/**
 * Problems in `source`'s top level, one line each (binding name, what is wrong, source line). `allow` maps binding
 * or function names (without `$n`; `Class.field` for a static field) to why that table is only read after load.
 */
export function checkPreloadSafety(source: string, allow: Readonly<Record<string, string>> = {}): string[] {
  const ast = parseAst(source) as unknown as { body: Node[] };
  const problems: string[] = [];
  const lineOf = (node: Node) => source.slice(0, node.start).split("\n").length;
  const report = (name: string, node: Node, what: string) => problems.push(`${name} (line ${lineOf(node)}): ${what}`);
  const allowed = (name: string, node?: Node) => baseName(name) in allow || (node !== undefined && calleeName(node) in allow);

  /**
   * Walk a top-level initializer. `frozen`: this node itself is frozen by the call around it; `deep`: inside
   * deepFreeze, so every literal below is frozen too. Function bodies run later, at call time: not entered.
   */
  const walk = (name: string, node: Node | null | undefined, frozen: boolean, deep: boolean): void => {
    if (!node || typeof node !== "object") return;
    const flags = regexFlags(node);
    if (flags !== null) {
      // Any flags: with g/y the preloaded lastIndex is read-only; without, the SDK's exec of a preloaded RegExp gives
      // its match data a malloc block the GC relocates as a chunk, so a collection during exec crashes (docs/ota.md).
      report(name, node, `a RegExp (flags "${flags}") made at load: preloaded, exec/replace can crash (no match data of its own) or throw (lastIndex read-only); make it per call`);
      return;
    }
    switch (node.type) {
      case "ArrowFunctionExpression":
      case "FunctionExpression":
        return;
      case "ClassExpression":
      case "ClassDeclaration":
        checkClass(name, node);
        return;
      case "ObjectExpression":
      case "ArrayExpression":
        if (!frozen && !deep) {
          report(name, node, "an object or array literal that is not frozen: wrap it in deepFreeze()");
          return;
        }
        for (const child of (node.properties ?? node.elements) as (Node | null)[]) {
          if (!child) continue;
          if (child.type === "Property") {
            if (child.computed) walk(name, child.key as Node, false, deep);
            walk(name, child.value as Node, false, deep);
          } else walk(name, child.type === "SpreadElement" ? (child.argument as Node) : child, false, deep);
        }
        return;
      case "NewExpression":
      case "CallExpression": {
        const callee = calleeName(node.callee as Node);
        const args = node.arguments as Node[];
        if (node.type === "CallExpression" && callee === "deepFreeze") {
          for (const arg of args) walk(name, arg, true, true);
          return;
        }
        if (node.type === "CallExpression" && callee === "Object.freeze") {
          walk(name, args[0], true, deep);
          return;
        }
        // Inside deepFreeze a helper's result (`u16(0, 2)` in a register map) is taken for plain data, which
        // deepFreeze freezes with the rest.
        if (node.type === "CallExpression" && (PRIMITIVE_CALLS.test(callee) || deep)) {
          for (const arg of args) walk(name, arg, false, deep);
          return;
        }
        if (!allowed(name, node.callee as Node)) {
          const what = node.type === "NewExpression" && MUTABLE_CONSTRUCTORS.has(callee.split(".")[0])
            ? `new ${callee}(): preloaded, it is read-only on the device (writes throw) and mutable everywhere else`
            : `${node.type === "NewExpression" ? "new " : ""}${callee || "(expression)"}() at load: its result may be mutable state`;
          report(name, node, `${what}; make it per instance or per call, or allow-list a table that is only read`);
          return;
        }
        for (const arg of args) walk(name, arg, false, deep);
        return;
      }
      default:
        // Identifiers, literals, operators, templates, members, conditionals: look inside for the above.
        for (const key of Object.keys(node)) {
          if (key === "type" || key === "start" || key === "end") continue;
          const value = node[key];
          if (Array.isArray(value)) for (const item of value) walk(name, item as Node, false, deep);
          else if (value && typeof value === "object" && typeof (value as Node).type === "string") walk(name, value as Node, false, deep);
        }
    }
  };

  const checkClass = (name: string, node: Node): void => {
    const className = (node.id as Node | null)?.name as string | undefined;
    for (const member of (node.body as { body: Node[] }).body) {
      if (!member.static || member.type !== "PropertyDefinition") continue;
      const key = member.key as Node;
      const field = `${baseName(className ?? name)}.${(key.name as string | undefined) ?? (key.value as string | undefined) ?? "?"}`;
      if (!allowed(field)) walk(field, member.value as Node | null, false, false);
    }
  };

  const checkDeclaration = (node: Node): void => {
    switch (node.type) {
      case "VariableDeclaration":
        for (const declarator of node.declarations as Node[]) {
          const id = declarator.id as Node;
          const name = id.type === "Identifier" ? (id.name as string) : source.slice(id.start, id.end);
          if (node.kind !== "const") {
            report(name, node, `a top-level "${node.kind as string}": xsl "no const", a RAM alias on the device; make it const (or instance state)`);
            continue;
          }
          if (!allowed(name)) walk(name, declarator.init as Node | null, false, false);
        }
        return;
      case "ClassDeclaration":
        checkClass((node.id as Node).name as string, node);
        return;
      case "ImportDeclaration":
        for (const specifier of node.specifiers as Node[]) {
          if (specifier.type === "ImportNamespaceSpecifier") {
            const local = (specifier.local as Node).name as string;
            report(local, node, `"import * as ${local}": xsl "no const" for the namespace binding; import the names`);
          }
        }
        return;
      default:
        return;
    }
  };

  for (const node of ast.body) {
    if (node.type === "ExportNamedDeclaration" || node.type === "ExportDefaultDeclaration") {
      const declaration = node.declaration as Node | null;
      if (!declaration) continue;
      if (declaration.type.endsWith("Declaration")) checkDeclaration(declaration);
      else walk("default", declaration, false, false);
    } else checkDeclaration(node);
  }
  return problems;
}
