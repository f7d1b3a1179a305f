import { randomUUID } from 'node:crypto';
import type { Channel } from '../audit/audit-log.ts';
import { selectTenantById } from '../tenants/store.ts';
import type { Deps } from '../app/deps.ts';
import { AppError, conflict, notFound, validationError } from '../app/errors.ts';
import { assertPlainText } from '../app/control-characters.ts';
import { authorize } from '../authorization/policy.ts';
import { apiKeyPrincipal, type ApiKeyPrincipal, type Principal } from '../authorization/principal.ts';
import { ALL_SCOPES, isScope, type Scope } from '../authorization/scopes.ts';
import { getTenant } from '../tenants/tenants.ts';
import { generateApiKey, hashApiKey } from './key-format.ts';
import {
  apiKeyByHash,
  apiKeyById,
  apiKeysOfTenant,
  insertApiKey,
  liveApiKeyByName,
  markApiKeyRevoked,
  touchApiKey,
  type ApiKeyRow,
} from './store.ts';

/** An API key as people and scripts see it: never the key, which is shown once, by createApiKey. */
export interface ApiKeyView {
  id: string;
  tenantId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  createdBy: { type: string; id: string | null };
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface CreateApiKeyInput {
  name: string;
  scopes: readonly string[];
  /** `90d`, `12h`, `30m`, or an ISO 8601 instant; absent = never expires. */
  expires?: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(deps: Deps, row: ApiKeyRow): ApiKeyView {
  const now = deps.clock.nowMs();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: iso(row.created_at)!,
    createdBy: { type: row.created_by_type, id: row.created_by_id },
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
    status: row.revoked_at !== null ? 'revoked' : row.expires_at !== null && row.expires_at <= now ? 'expired' : 'active',
  };
}

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--expires 90d` (or 12h, 30m, or an ISO 8601 instant) as an instant after `now`. */
export function parseExpiry(text: string, now: number): number {
  const duration = /^(\d{1,5})([mhd])$/.exec(text.trim());
  const at = duration ? now + Number(duration[1]) * DURATION_UNITS[duration[2]] : Date.parse(text);
  if (!Number.isFinite(at) || (!duration && !/^\d{4}-\d{2}-\d{2}/.test(text))) {
    throw validationError(`expires must be a duration like 90d, 12h or 30m, or an ISO 8601 date (got "${text}")`);
  }
  if (at <= now) throw validationError('expires must lie in the future');
  return at;
}

/** Scopes as given (`users:read,roles:write` split by the caller), checked and deduplicated. */
export function parseScopes(scopes: readonly string[]): Scope[] {
  const given = [...new Set(scopes.map((s) => s.trim()).filter(Boolean))];
  if (given.length === 0) throw validationError('Give at least one scope, e.g. users:read');
  const unknown = given.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw validationError(`Unknown scope ${unknown.join(', ')}: scopes are <resource>:read|write, one of ${ALL_SCOPES.join(', ')}`);
  }
  return given as Scope[];
}

export interface CreatedApiKey {
  apiKey: ApiKeyView;
  /** The key itself: shown once, never stored (only its SHA-256). */
  key: string;
}

/** Issues a key for the tenant (TENANT_SUPERADMIN/ADMIN, platform admins, the operator); audited in its chain. */
export function createApiKey(deps: Deps, caller: Principal, tenantRef: string, input: CreateApiKeyInput): CreatedApiKey {
  const tenant = getTenant(deps, tenantRef);
  const name = input.name?.trim() ?? '';
  if (!name || name.length > 100) throw validationError('An API key needs a name (at most 100 characters)');
  assertPlainText('name', name);
  const scopes = parseScopes(input.scopes);
  const now = deps.clock.nowMs();
  const expiresAt = input.expires ? parseExpiry(input.expires, now) : null;
  const key = generateApiKey(tenant.slug);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'apiKey.manage', { companyId: tenant.id });
    if (liveApiKeyByName(deps, tenant.id, name)) throw conflict(`An API key named "${name}" already exists in ${tenant.slug}; revoke it first or choose another name`);
    const row: ApiKeyRow = {
      id: randomUUID(),
      tenant_id: tenant.id,
      name,
      key_hash: hashApiKey(key),
      scopes: JSON.stringify(scopes),
      created_at: now,
      created_by_type: caller.type,
      created_by_id: caller.id,
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
    };
    insertApiKey(deps, row);
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'api_key.created',
      target: { type: 'api_key', id: row.id },
      payload: { name, scopes, expiresAt: iso(expiresAt) },
    });
    return { apiKey: view(deps, row), key };
  }).immediate();
}

export function listApiKeys(deps: Deps, caller: Principal, tenantRef: string, options: { includeRevoked?: boolean } = {}): ApiKeyView[] {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'apiKey.read', { companyId: tenant.id });
  return apiKeysOfTenant(deps, tenant.id, Boolean(options.includeRevoked)).map((row) => view(deps, row));
}

/** Revokes a key by id, or by the name of a live key; it stops working at once. Idempotent for a revoked id. */
export function revokeApiKey(deps: Deps, caller: Principal, tenantRef: string, ref: string): ApiKeyView {
  const tenant = getTenant(deps, tenantRef);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'apiKey.manage', { companyId: tenant.id });
    const row = apiKeyById(deps, tenant.id, ref) ?? liveApiKeyByName(deps, tenant.id, ref);
    if (!row) throw notFound(`API key "${ref}"`);
    const now = deps.clock.nowMs();
    if (markApiKeyRevoked(deps, row.id, now)) {
      deps.audit.append(tenant.id, { actor: caller, type: 'api_key.revoked', target: { type: 'api_key', id: row.id }, payload: { name: row.name } });
      return view(deps, { ...row, revoked_at: now });
    }
    return view(deps, row);
  }).immediate();
}

/** How often a key's last use is written: a key busy every second writes once a minute. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The Bearer check of an API key on a `/t/{slug}/…` route: an unknown, revoked or expired key is 401 at once; a
 * key of another tenant than the path's is 404 — the answer an unknown tenant gets — so keys cannot probe which
 * tenants exist; a key of a disabled tenant is 403. Returns the principal the route hands to its service.
 */
export function authenticateApiKey(deps: Deps, key: string, pathTenant: string | undefined, channel: Channel): ApiKeyPrincipal {
  const row = apiKeyByHash(deps, hashApiKey(key));
  if (!row) throw new AppError('unauthorized', 'Invalid API key');
  const now = deps.clock.nowMs();
  if (row.revoked_at !== null) throw new AppError('unauthorized', 'This API key has been revoked');
  if (row.expires_at !== null && row.expires_at <= now) throw new AppError('unauthorized', 'This API key has expired');
  if (pathTenant === undefined) throw new AppError('unauthorized', 'API keys are accepted only on tenant API routes (/t/{slug}/…)');
  const tenant = selectTenantById(deps, row.tenant_id);
  if (!tenant || (pathTenant !== tenant.slug && pathTenant !== tenant.id)) throw notFound(`Tenant "${pathTenant}"`);
  if (tenant.status !== 'active') throw new AppError('forbidden', 'This tenant is disabled');
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) touchApiKey(deps, row.id, now);
  return apiKeyPrincipal({ id: row.id, tenantId: row.tenant_id, scopes: JSON.parse(row.scopes) as string[] }, channel);
}
