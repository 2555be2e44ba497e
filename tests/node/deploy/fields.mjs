// Unknown fields in a Kubernetes manifest. The schemas kubernetes-models validates against
// allow properties they do not list (the API server drops them with a warning), so a
// misspelt field name would pass. The package's type declarations list every field of every
// object: this walks a manifest along them and reports each field no declaration has.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const modules = join(dirname(new URL(import.meta.url).pathname), "..", "node_modules");
const cache = new Map();

function resolve(spec, from) {
    const base = spec.startsWith(".") ? join(dirname(from), spec) : join(modules, spec);
    return base.replace(/\.js$/, "") + ".d.ts";
}

/** The fields of the interface a .d.ts file declares: name → { type, imports }; null if none. */
function declaration(file) {
    if (cache.has(file)) return cache.get(file);
    let decl = null;
    if (existsSync(file)) {
        const text = readFileSync(file, "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
        const imports = new Map();
        for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g))
            for (const name of m[1].split(",")) imports.set(name.trim(), resolve(m[2], file));
        const head = /export interface \w+(?: extends [\w, ]+)? \{/.exec(text);
        if (head) decl = { imports, fields: fieldsOf(text, head.index + head[0].length) };
    }
    cache.set(file, decl);
    return decl;
}

function fieldsOf(text, at) {
    const fields = new Map();
    const prop = /\s*"([^"]+)"\??:\s*/y;
    for (;;) {
        prop.lastIndex = at;
        const m = prop.exec(text);
        if (!m) break;
        let depth = 0;
        let end = prop.lastIndex;
        for (; end < text.length; ++end) {
            const c = text[end];
            if (c === "{" || c === "<") ++depth;
            else if (c === "}" || c === ">") --depth;
            else if (c === ";" && depth === 0) break;
        }
        fields.set(m[1], text.slice(prop.lastIndex, end).replace(/\s+/g, " ").trim());
        at = end + 1;
    }
    return fields;
}

function walk(value, type, decl, where, problems) {
    if (value === null || typeof value !== "object") return;
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
        if (Array.isArray(value)) value.forEach((v, i) => walk(v, array[1], decl, `${where}[${i}]`, problems));
        return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
        for (const [k, v] of Object.entries(value)) walk(v, map[1], decl, `${where}.${k}`, problems);
        return;
    }
    const file = decl.imports.get(type);
    if (file) check(value, file, where, problems);
}

function check(obj, file, where, problems) {
    const decl = declaration(file);
    if (!decl) return; // a type alias (Quantity, IntOrString): no fields
    for (const [key, value] of Object.entries(obj)) {
        if (!decl.fields.has(key)) problems.push(`${where}.${key}: no such field`);
        else walk(value, decl.fields.get(key), decl, `${where}.${key}`, problems);
    }
}

/** Every field of `obj` (a manifest of apiVersion/kind) that its API type does not have. */
export function unknownFields(obj) {
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
    const file = join(modules, "kubernetes-models", group, version, `${obj.kind}.d.ts`);
    if (!declaration(file)) throw new Error(`no declaration for ${obj.apiVersion} ${obj.kind}`);
    const problems = [];
    check(obj, file, obj.kind, problems);
    return problems;
}
