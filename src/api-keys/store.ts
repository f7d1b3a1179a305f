import type { Deps } from '../app/deps.ts';

/** All SQL of the api-keys context (table api_keys, migration 0050). */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  created_by_type: string;
  created_by_id: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export function insertApiKey(deps: Deps, row: ApiKeyRow): void {
  deps
    .statement(
      `INSERT INTO api_keys (id, tenant_id, name, key_hash, scopes, created_at, created_by_type, created_by_id, expires_at, revoked_at, last_used_at)
       VALUES (@id, @tenant_id, @name, @key_hash, @scopes, @created_at, @created_by_type, @created_by_id, @expires_at, @revoked_at, @last_used_at)`,
    )
    .run(row);
}

export function apiKeyByHash(deps: Deps, keyHash: string): ApiKeyRow | undefined {
  return deps.statement('SELECT * FROM api_keys WHERE key_hash = ?').get(keyHash) as ApiKeyRow | undefined;
}

export function apiKeyById(deps: Deps, tenantId: string, id: string): ApiKeyRow | undefined {
  return deps.statement('SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?').get(tenantId, id) as ApiKeyRow | undefined;
}

export function liveApiKeyByName(deps: Deps, tenantId: string, name: string): ApiKeyRow | undefined {
  return deps.statement('SELECT * FROM api_keys WHERE tenant_id = ? AND name = ? AND revoked_at IS NULL').get(tenantId, name) as ApiKeyRow | undefined;
}

export function apiKeysOfTenant(deps: Deps, tenantId: string, includeRevoked: boolean): ApiKeyRow[] {
  return deps
    .statement(
      `SELECT * FROM api_keys WHERE tenant_id = @tenantId AND (@includeRevoked = 1 OR revoked_at IS NULL)
        ORDER BY created_at, name`,
    )
    .all({ tenantId, includeRevoked: includeRevoked ? 1 : 0 }) as ApiKeyRow[];
}

export function markApiKeyRevoked(deps: Deps, id: string, now: number): boolean {
  return deps.statement('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
}

/** Written at most once a minute per key (see authenticateApiKey), so a busy key does not write on every request. */
export function touchApiKey(deps: Deps, id: string, now: number): void {
  deps.statement('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, id);
}
