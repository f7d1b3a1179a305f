import { STATUS_CODES } from 'node:http';
import { SEED_EXAMPLES } from './openapi-examples.ts';

/**
 * /openapi.json is made here, in two passes over what @fastify/swagger produces:
 *   tidySchemaNames  — seed 002's schema names instead of the zod provider's `X`/`XInput` pairs;
 *   documentOperations — what every operation needs and a route should not have to repeat: its `security`
 *     (from the hooks that enforce it, see `documentHook`), the standard error responses with the envelope
 *     schema, the seed's examples, plain response descriptions.
 * A route adds ONE thing itself: `operationId` in its schema (stable, descriptive, camelCase; client generators
 * name methods after it). test/http/openapi-lint.test.ts names every route without one.
 */

/**
 * fastify-type-provider-zod registers every named schema twice: `X` (the output form, for responses) and `XInput`
 * (the input form, for requests). Most of ours are used one way only, and integrators look for the seed's names
 * (`CreateUserRequest`, `AdminUserOut`). So: drop the variants no route reaches, and where only the input form is
 * reached, or both forms are the same, give it the plain name. A schema whose two forms differ keeps both.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = { paths?: Json; components?: { schemas?: Record<string, Json>; securitySchemes?: Record<string, Json> } };

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

/**
 * The ways in. A new kind of credential adds its scheme here and marks the hook that checks it with
 * `documentHook(hook, { security: [{ name: [] }] })`; schemes no operation uses are left out of the document.
 */
export const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from /auth/login or /auth/refresh' },
  internalApiKey: { type: 'apiKey', in: 'header', name: 'X-Internal-API-Key', description: 'KIMAUTH_INTERNAL_API_KEY, for machine callers' },
  tenantApiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'kimauth_<slug>_<43 base62 characters>',
    description: 'A tenant API key (`kimauth api-keys create`), on that tenant\'s /t/{slug}/… routes; the roles listed are the scope it needs',
  },
} as const;

export type SecurityRequirement = Record<string, string[]>;

/** What a request hook tells the document about the routes it guards. */
export interface HookDoc {
  /** The hook admits only these credentials (alternatives; `{}` = anonymous allowed). */
  security?: SecurityRequirement[];
  /** The hook may refuse with 429. */
  rateLimited?: boolean;
}

const HOOK_DOC = Symbol('kimauth.openapi.hook');

/** Marks a fastify hook (preHandler, onRequest…) so every route using it is documented accordingly. */
export function documentHook<T extends object>(hook: T, doc: HookDoc): T {
  Object.defineProperty(hook, HOOK_DOC, { value: doc });
  return hook;
}

/** What the document needs to know of one route, gathered from its options when it is registered. */
export interface RouteDoc extends HookDoc {
  key: string;
  /** The API-key scope a tenant API route needs (`config.requiredScope`, src/http/tenant-api.ts); null: none may. */
  requiredScope?: string | null;
}

type RouteHook = unknown;

/** For fastify's onRoute hook: the route's method(s) and OpenAPI path, with what its hooks say. */
export function routeDocs(route: { method: string | string[]; url: string; onRequest?: RouteHook; preValidation?: RouteHook; preHandler?: RouteHook; config?: unknown }): RouteDoc[] {
  const hooks = [route.onRequest, route.preValidation, route.preHandler].flat().filter(Boolean) as Array<{ [HOOK_DOC]?: HookDoc }>;
  const marks = hooks.map((h) => h[HOOK_DOC]).filter((d): d is HookDoc => Boolean(d));
  const config = route.config as { requiredScope?: string | null } | undefined;
  const doc: Omit<RouteDoc, 'key'> = {
    security: marks.find((m) => m.security)?.security,
    rateLimited: marks.some((m) => m.rateLimited),
    ...(config && 'requiredScope' in config ? { requiredScope: config.requiredScope ?? null } : {}),
  };
  const path = route.url.replace(/:(\w+)/g, '{$1}');
  return [route.method].flat().map((method) => ({ key: `${method.toLowerCase()} ${path}`, ...doc }));
}

const ERROR_ENVELOPE = {
  type: 'object',
  description: 'Every error of the seed 002 routes (§2): a stable code and a message for people',
  properties: {
    success: { type: 'boolean', const: false },
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'Stable, machine-readable (validation_error, unauthorized, …)' },
        message: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['success', 'error'],
};

/** The error responses by status: when an operation can answer it, and the seed's code for it. */
const STANDARD_ERRORS: Array<{ status: string; code: string; message: string; applies: (op: OperationFacts) => boolean }> = [
  { status: '400', code: 'validation_error', message: 'email: Invalid input', applies: (op) => op.takesInput },
  { status: '401', code: 'unauthorized', message: 'Missing or malformed Authorization: Bearer header', applies: (op) => op.needsBearer },
  { status: '403', code: 'forbidden', message: 'Insufficient permissions', applies: (op) => op.secured },
  { status: '404', code: 'not_found', message: 'Not found', applies: (op) => op.hasPathParams },
  { status: '429', code: 'rate_limited', message: 'Too many requests; try again later', applies: (op) => op.rateLimited },
  { status: '500', code: 'internal_error', message: 'Internal server error', applies: () => true },
];

interface OperationFacts {
  takesInput: boolean;
  secured: boolean;
  needsBearer: boolean;
  hasPathParams: boolean;
  rateLimited: boolean;
}

type Operation = {
  operationId?: string;
  'x-required-scope'?: string | null;
  security?: SecurityRequirement[];
  parameters?: Json[];
  requestBody?: { content?: Record<string, { example?: Json }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Json; example?: Json }> }>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of a document, with its method and path. */
export function operationsOf(document: object): Array<{ method: string; path: string; operation: Operation }> {
  const paths = ((document as Doc).paths ?? {}) as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
}

/** See the top of this file. `routes` comes from `routeDocs` of every registered route. */
export function documentOperations<T extends object>(document: T, routes: Map<string, RouteDoc>): T {
  const doc = structuredClone(document) as Doc & T;
  const used = new Set<string>();
  for (const { method, path, operation } of operationsOf(doc)) {
    const route = routes.get(`${method} ${path}`);
    operation.security ??= route?.security ?? [];
    if (route?.requiredScope !== undefined) operation['x-required-scope'] = route.requiredScope;
    for (const requirement of operation.security) Object.keys(requirement).forEach((name) => used.add(name));

    const facts: OperationFacts = {
      takesInput: Boolean(operation.requestBody || operation.parameters?.length),
      secured: operation.security.some((r) => Object.keys(r).length > 0),
      needsBearer: operation.security.some((r) => 'bearerAuth' in r),
      hasPathParams: path.includes('{'),
      rateLimited: Boolean(route?.rateLimited),
    };
    const responses = (operation.responses ??= {});
    for (const [status, response] of Object.entries(responses)) {
      if (!response.description || response.description === 'Default Response') response.description = STATUS_CODES[Number(status)] ?? status;
    }
    for (const error of STANDARD_ERRORS) {
      if (responses[error.status] || !error.applies(facts)) continue;
      responses[error.status] = {
        description: STATUS_CODES[Number(error.status)]!,
        content: {
          'application/json': {
            schema: { $ref: `${REF_PREFIX}ErrorEnvelope` },
            example: { success: false, error: { code: error.code, message: error.message } },
          },
        },
      };
    }

    const examples = operation.operationId ? SEED_EXAMPLES[operation.operationId] : undefined;
    const body = operation.requestBody?.content?.['application/json'];
    if (examples?.request !== undefined && body) body.example = examples.request as Json;
    for (const [status, example] of Object.entries(examples?.responses ?? {})) {
      const media = responses[status]?.content?.['application/json'];
      if (media) media.example = example as Json;
    }
  }
  const components = (doc.components ??= {});
  components.schemas = { ...components.schemas, ErrorEnvelope: ERROR_ENVELOPE };
  components.securitySchemes = Object.fromEntries(
    Object.entries(SECURITY_SCHEMES).filter(([name]) => used.has(name)),
  ) as Record<string, Json>;
  return doc;
}
