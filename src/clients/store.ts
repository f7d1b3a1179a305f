import type { Deps } from '../app/deps.ts';
import { cachePerOwner, createCommittedReadCache } from '../db/committed-read-cache.ts';
import type { ClientType, GrantType } from './tables.ts';

/** An application as services see it (lists parsed). */
export interface OAuthClient {
  id: string;
  tenantId: string;
  clientId: string;
  name: string;
  clientType: ClientType;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  scopes: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  enabled: boolean;
  secretRotatedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

interface ClientRecord {
  id: string;
  tenant_id: string;
  client_id: string;
  name: string;
  client_type: ClientType;
  secret_hash: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  scopes: string;
  access_token_ttl: number;
  refresh_token_ttl: number;
  enabled: number;
  secret_rotated_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `id, tenant_id, client_id, name, client_type, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types,
  scopes, access_token_ttl, refresh_token_ttl, enabled, secret_rotated_at, created_at, updated_at`;

function toClient(r: ClientRecord): OAuthClient {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    clientId: r.client_id,
    name: r.name,
    clientType: r.client_type,
    secretHash: r.secret_hash,
    redirectUris: JSON.parse(r.redirect_uris),
    postLogoutRedirectUris: JSON.parse(r.post_logout_redirect_uris),
    grantTypes: JSON.parse(r.grant_types),
    scopes: JSON.parse(r.scopes),
    accessTokenTtl: r.access_token_ttl,
    refreshTokenTtl: r.refresh_token_ttl,
    enabled: r.enabled === 1,
    secretRotatedAt: r.secret_rotated_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * The token endpoint reads its client on every request; the row changes rarely. Kept while unchanged (see
 * committed-read-cache.ts: a `kimauth clients update` from the shell is seen at the next request). Shared: treat as
 * read-only.
 */
const cachedClients = cachePerOwner((sqlite: Deps['sqlite']) => createCommittedReadCache<OAuthClient>(sqlite));

export function selectClient(deps: Deps, tenantId: string, clientId: string): OAuthClient | undefined {
  return cachedClients(deps.sqlite).get(`${tenantId} ${clientId}`, () => {
    const r = deps.statement(`SELECT ${COLUMNS} FROM oauth_clients WHERE tenant_id = ? AND client_id = ?`).get(tenantId, clientId) as
      | ClientRecord
      | undefined;
    return r ? toClient(r) : undefined;
  });
}

export function selectClients(deps: Deps, tenantId: string): OAuthClient[] {
  return (deps.statement(`SELECT ${COLUMNS} FROM oauth_clients WHERE tenant_id = ? ORDER BY created_at, client_id`).all(tenantId) as ClientRecord[]).map(
    toClient,
  );
}

export function insertClient(deps: Deps, c: OAuthClient): void {
  cachedClients(deps.sqlite).invalidate();
  deps
    .statement(
      `INSERT INTO oauth_clients (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      c.id,
      c.tenantId,
      c.clientId,
      c.name,
      c.clientType,
      c.secretHash,
      JSON.stringify(c.redirectUris),
      JSON.stringify(c.postLogoutRedirectUris),
      JSON.stringify(c.grantTypes),
      JSON.stringify(c.scopes),
      c.accessTokenTtl,
      c.refreshTokenTtl,
      c.enabled ? 1 : 0,
      c.secretRotatedAt,
      c.createdAt,
      c.updatedAt,
    );
}

export function updateClientRow(deps: Deps, c: OAuthClient): void {
  cachedClients(deps.sqlite).invalidate();
  deps
    .statement(
      `UPDATE oauth_clients SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_redirect_uris = ?, grant_types = ?, scopes = ?,
         access_token_ttl = ?, refresh_token_ttl = ?, enabled = ?, secret_rotated_at = ?, updated_at = ? WHERE id = ?`,
    )
    .run(
      c.name,
      c.secretHash,
      JSON.stringify(c.redirectUris),
      JSON.stringify(c.postLogoutRedirectUris),
      JSON.stringify(c.grantTypes),
      JSON.stringify(c.scopes),
      c.accessTokenTtl,
      c.refreshTokenTtl,
      c.enabled ? 1 : 0,
      c.secretRotatedAt,
      c.updatedAt,
      c.id,
    );
}

export function deleteClientRow(deps: Deps, id: string): void {
  cachedClients(deps.sqlite).invalidate();
  deps.statement('DELETE FROM oauth_clients WHERE id = ?').run(id);
}

/** Every scope any client of the tenant may ask for (discovery's scopes_supported). */
export function selectTenantScopes(deps: Deps, tenantId: string): string[] {
  const rows = deps.statement('SELECT scopes FROM oauth_clients WHERE tenant_id = ?').all(tenantId) as { scopes: string }[];
  return [...new Set(rows.flatMap((r) => JSON.parse(r.scopes) as string[]))];
}
