/**
 * fastify-type-provider-zod registers every named schema twice: `X` (the output form, for responses) and `XInput`
 * (the input form, for requests). Most of ours are used one way only, and integrators look for the seed's names
 * (`CreateUserRequest`, `AdminUserOut`). So: drop the variants no route reaches, and where only the input form is
 * reached, or both forms are the same, give it the plain name. A schema whose two forms differ keeps both.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = { paths?: Json; components?: { schemas?: Record<string, Json> } };

const REF_PREFIX = '#/components/schemas/';

function refsIn(node: Json, into: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, into));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)) into.push(value.slice(REF_PREFIX.length));
      else refsIn(value, into);
    }
  }
  return into;
}

function rewriteRefs(node: Json, rename: (name: string) => string): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rename));
  if (node && typeof node === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] =
        key === '$ref' && typeof value === 'string' && value.startsWith(REF_PREFIX)
          ? REF_PREFIX + rename(value.slice(REF_PREFIX.length))
          : rewriteRefs(value, rename);
    }
    return out;
  }
  return node;
}

export function tidySchemaNames<T extends object>(document: T): T {
  const doc = document as Doc;
  const schemas = doc.components?.schemas;
  if (!schemas) return document;

  // Every schema a route reaches, directly or through other schemas.
  const reached = new Set<string>();
  const pending = refsIn(doc.paths ?? null);
  while (pending.length) {
    const name = pending.pop()!;
    if (reached.has(name) || !(name in schemas)) continue;
    reached.add(name);
    pending.push(...refsIn(schemas[name]));
  }

  const rename = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const plain = name.slice(0, -'Input'.length);
    if (!(plain in schemas)) continue;
    if (reached.has(name) && !reached.has(plain)) rename.set(name, plain);
    // Used both ways but the same once references are compared by plain name (enums, simple objects): one name.
    const plainRefs = (n: string) => (n.endsWith('Input') && n.slice(0, -5) in schemas ? n.slice(0, -5) : n);
    if (
      reached.has(name) &&
      reached.has(plain) &&
      JSON.stringify(rewriteRefs(schemas[name], plainRefs)) === JSON.stringify(rewriteRefs(schemas[plain], plainRefs))
    ) {
      rename.set(name, plain);
    }
  }
  const renamed = rewriteRefs(document as unknown as Json, (n) => rename.get(n) ?? n) as unknown as Doc & T;
  const out: Record<string, Json> = {};
  for (const name of Object.keys(schemas)) {
    if (rename.has(name)) out[rename.get(name)!] = renamed.components!.schemas![name];
    else if (reached.has(name) && ![...rename.values()].includes(name)) out[name] = renamed.components!.schemas![name];
  }
  renamed.components!.schemas = out;
  return renamed;
}
