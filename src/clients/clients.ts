import { randomBytes, randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError, conflict } from '../app/errors.ts';
import { assertPlainText } from '../app/control-characters.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { deleteClientRow, insertClient, selectClient, selectClients, updateClientRow, type OAuthClient } from './store.ts';
import { GRANT_TYPES, type ClientType, type GrantType } from './tables.ts';

export type { OAuthClient } from './store.ts';
export { selectClient as findClient, selectTenantScopes as tenantScopes } from './store.ts';

/** Scopes every tenant knows (OIDC Core §5.4, §11). */
export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
/** Kotauth's default access-token lifetime. */
export const DEFAULT_ACCESS_TOKEN_TTL = 300;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{2,100}$/;

export interface ClientSettings {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  scopes?: string[];
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  enabled?: boolean;
}

export interface CreateClientInput extends ClientSettings {
  name: string;
  type: ClientType;
  clientId?: string;
}

/** A client with its secret, the one time the secret is shown (create, rotate-secret). */
export interface ClientWithSecret {
  client: OAuthClient;
  clientSecret?: string;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** Absolute URIs, compared exactly later: https, or http on loopback only; no fragment, no credentials. */
export function assertRedirectUri(uri: string, what = 'redirect URI'): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw validationError(`Invalid ${what} "${uri}": not an absolute URI`);
  }
  if (url.hash || uri.includes('#')) throw validationError(`Invalid ${what} "${uri}": must not contain a fragment`);
  if (url.username || url.password) throw validationError(`Invalid ${what} "${uri}": must not contain credentials`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw validationError(`Invalid ${what} "${uri}": use https (http only on localhost / 127.0.0.1)`);
}

function ttl(value: number | undefined, fallback: number, what: string, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 30 || v > max) throw validationError(`${what} must be a whole number of seconds between 30 and ${max}`);
  return v;
}

/** Applies and checks settings; throws validation_error naming the bad field. */
function settle(deps: Deps, base: OAuthClient, input: ClientSettings): OAuthClient {
  const next: OAuthClient = { ...base };
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (!name || name.length > 200) throw validationError('A client needs a name (at most 200 characters)');
    assertPlainText('name', name);
    next.name = name;
  }
  if (input.redirectUris !== undefined) next.redirectUris = [...new Set(input.redirectUris)];
  if (input.postLogoutRedirectUris !== undefined) next.postLogoutRedirectUris = [...new Set(input.postLogoutRedirectUris)];
  next.redirectUris.forEach((u) => assertRedirectUri(u));
  next.postLogoutRedirectUris.forEach((u) => assertRedirectUri(u, 'post-logout redirect URI'));
  if (input.grantTypes !== undefined) {
    const unknown = input.grantTypes.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g));
    if (unknown.length) throw validationError(`Unknown grant type ${unknown.join(', ')}: use ${GRANT_TYPES.join(', ')}`);
    if (input.grantTypes.length === 0) throw validationError('A client needs at least one grant type');
    next.grantTypes = [...new Set(input.grantTypes)] as GrantType[];
  }
  if (next.clientType === 'public' && next.grantTypes.includes('client_credentials')) {
    throw validationError('A public client cannot use client_credentials (it has no secret)');
  }
  if (next.grantTypes.includes('authorization_code') && next.redirectUris.length === 0) {
    throw validationError('authorization_code needs at least one redirect URI (--redirect-uri)');
  }
  if (input.scopes !== undefined) {
    const bad = input.scopes.filter((s) => !SCOPE_TOKEN.test(s));
    if (bad.length) throw validationError(`Invalid scope ${bad.join(', ')}`);
    next.scopes = [...new Set(input.scopes)];
  }
  next.accessTokenTtl = ttl(input.accessTokenTtl, base.accessTokenTtl, 'access-token TTL', 86_400);
  next.refreshTokenTtl = ttl(input.refreshTokenTtl, base.refreshTokenTtl, 'refresh-token TTL', 31_536_000);
  if (input.enabled !== undefined) next.enabled = input.enabled;
  void deps;
  return next;
}

function clientOf(deps: Deps, tenant: TenantRow, clientId: string): OAuthClient {
  const client = selectClient(deps, tenant.id, clientId);
  if (!client) throw notFound(`Client "${clientId}" in tenant ${tenant.slug}`);
  return client;
}

const auditView = (c: OAuthClient) => ({
  clientId: c.clientId,
  name: c.name,
  type: c.clientType,
  redirectUris: c.redirectUris,
  postLogoutRedirectUris: c.postLogoutRedirectUris,
  grantTypes: c.grantTypes,
  scopes: c.scopes,
  accessTokenTtl: c.accessTokenTtl,
  refreshTokenTtl: c.refreshTokenTtl,
  enabled: c.enabled,
});

export function createClient(deps: Deps, caller: Principal, tenantRef: string, input: CreateClientInput): ClientWithSecret {
  const tenant = getTenant(deps, tenantRef);
  const clientId = input.clientId ?? randomBytes(12).toString('base64url');
  if (!CLIENT_ID_PATTERN.test(clientId)) throw validationError('client_id: 2–100 letters, digits, ".", "_", "~" or "-"');
  const secret = input.type === 'confidential' ? newOpaqueToken() : undefined;
  const now = deps.clock.nowMs();
  const blank: OAuthClient = {
    id: randomUUID(),
    tenantId: tenant.id,
    clientId,
    name: '',
    clientType: input.type,
    secretHash: secret ? hashOpaqueToken(secret) : null,
    redirectUris: [],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: [...STANDARD_SCOPES],
    accessTokenTtl: DEFAULT_ACCESS_TOKEN_TTL,
    refreshTokenTtl: deps.config.refreshTokenTtl,
    enabled: true,
    secretRotatedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  if (input.type !== 'public' && input.type !== 'confidential') throw validationError('type must be public or confidential');
  const client = settle(deps, blank, input);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'clients:write', { companyId: tenant.id });
    if (selectClient(deps, tenant.id, clientId)) throw conflict(`Client "${clientId}" already exists in tenant ${tenant.slug}`);
    insertClient(deps, client);
    deps.audit.append(tenant.id, { actor: caller, type: 'client.created', target: { type: 'client', id: clientId }, payload: auditView(client) });
    return { client, clientSecret: secret };
  })();
}

export function listClients(deps: Deps, caller: Principal, tenantRef: string): OAuthClient[] {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'clients:read', { companyId: tenant.id });
  return selectClients(deps, tenant.id);
}

export function showClient(deps: Deps, caller: Principal, tenantRef: string, clientId: string): OAuthClient {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'clients:read', { companyId: tenant.id });
  return clientOf(deps, tenant, clientId);
}

export function updateClient(deps: Deps, caller: Principal, tenantRef: string, clientId: string, input: ClientSettings): OAuthClient {
  const tenant = getTenant(deps, tenantRef);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'clients:write', { companyId: tenant.id });
    const before = clientOf(deps, tenant, clientId);
    const next = settle(deps, before, input);
    const was = auditView(before) as Record<string, unknown>;
    const now = auditView(next) as Record<string, unknown>;
    const changed = Object.keys(now).filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
    if (changed.length === 0) return before;
    next.updatedAt = deps.clock.nowMs();
    updateClientRow(deps, next);
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'client.updated',
      target: { type: 'client', id: clientId },
      payload: Object.fromEntries(changed.map((k) => [k, { from: was[k], to: now[k] }])),
    });
    return next;
  })();
}

/** A new secret for a confidential client; the old one stops working at once. */
export function rotateClientSecret(deps: Deps, caller: Principal, tenantRef: string, clientId: string): ClientWithSecret {
  const tenant = getTenant(deps, tenantRef);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'clients:write', { companyId: tenant.id });
    const before = clientOf(deps, tenant, clientId);
    if (before.clientType !== 'confidential') throw validationError(`Client "${clientId}" is public: it has no secret`);
    const secret = newOpaqueToken();
    const now = deps.clock.nowMs();
    const next = { ...before, secretHash: hashOpaqueToken(secret), secretRotatedAt: now, updatedAt: now };
    updateClientRow(deps, next);
    deps.audit.append(tenant.id, { actor: caller, type: 'client.secret_rotated', target: { type: 'client', id: clientId } });
    return { client: next, clientSecret: secret };
  })();
}

export function deleteClient(deps: Deps, caller: Principal, tenantRef: string, clientId: string): void {
  const tenant = getTenant(deps, tenantRef);
  deps.sqlite.transaction(() => {
    authorize(deps, caller, 'clients:write', { companyId: tenant.id });
    const client = clientOf(deps, tenant, clientId);
    deleteClientRow(deps, client.id);
    deps.audit.append(tenant.id, { actor: caller, type: 'client.deleted', target: { type: 'client', id: clientId }, payload: { name: client.name } });
  })();
}

/** RFC 7591 §2 / §3.2.1 names (plus kimauth's own settings), what `--json` and the HTTP API show. */
export function clientMetadata(client: OAuthClient, tenantSlug: string, clientSecret?: string) {
  return {
    client_id: client.clientId,
    ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    client_name: client.name,
    client_type: client.clientType,
    token_endpoint_auth_method: client.clientType === 'public' ? 'none' : 'client_secret_basic',
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: client.scopes.join(' '),
    access_token_ttl: client.accessTokenTtl,
    refresh_token_ttl: client.refreshTokenTtl,
    enabled: client.enabled,
    tenant: tenantSlug,
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    updated_at: new Date(client.updatedAt).toISOString(),
  };
}

export type ClientMetadata = ReturnType<typeof clientMetadata>;
