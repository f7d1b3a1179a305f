import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import { buildTenantClaims } from '../claims/tenant-claims.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { signJws } from '../tokens/tenant-jws.ts';
import { getTenant } from '../tenants/tenants.ts';
import { agentEffectivePermissions, agentView } from './agents.ts';
import { agentTokenPrefix, looksLikeAgentToken } from './api-token.ts';
import type { AgentExchangeLimiter } from './exchange-limiter.ts';
import { ownerStanding } from './owners.ts';
import { agentRowByTokenHash, agentStandingRowById, type AgentRow, type AgentStandingRow } from './store.ts';

export interface AgentAccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** The audience the token is for (one of the agent's). */
  audience: string;
}

/** Every refusal of an exchange looks the same to the caller: which check failed is for the audit trail, not for them. */
const invalidToken = () => new AppError('unauthorized', 'Invalid or revoked agent token');

/** The tenant's issuer: `{KIMAUTH_PUBLIC_URL}/t/{slug}`, as the tenant's OpenID configuration names it. */
export const tenantIssuer = (deps: Deps, slug: string) => `${deps.config.publicUrl}/t/${slug}`;

/**
 * The agent a presented API token belongs to in this tenant, if it may still act: the token matches, the agent
 * is neither revoked nor expired, its owner is still present and the tenant is enabled.
 */
export function activeAgentOfToken(deps: Deps, tenant: { id: string; slug: string; status: string }, apiToken: string): AgentRow {
  if (!looksLikeAgentToken(apiToken) || !apiToken.startsWith(agentTokenPrefix(tenant.slug))) throw invalidToken();
  const row = agentRowByTokenHash(deps, hashOpaqueToken(apiToken));
  if (!row || row.tenant_id !== tenant.id || tenant.status !== 'active') throw invalidToken();
  if (agentView(deps, row).status !== 'active') throw invalidToken();
  if (!ownerStanding(deps, tenant.id, { type: row.owner_type as 'user' | 'group', id: row.owner_id }).present) throw invalidToken();
  return row;
}

/**
 * `POST /t/{slug}/v1/agents/token`: exchanges an agent's API token for a short-lived JWT signed with the tenant's
 * key — `actor_type: "agent"`, `sub` the agent id, `owner`, `aud` one of its audiences, and `can` = its grants ∩ its
 * owner's current permissions, so an owner's lost permission is gone from the very next token.
 */
export async function exchangeAgentToken(
  deps: Deps,
  slug: string,
  apiToken: string,
  options: { audience?: string; limiter?: AgentExchangeLimiter } = {},
): Promise<AgentAccessToken> {
  const tenant = getTenant(deps, slug);
  const row = activeAgentOfToken(deps, tenant, apiToken);
  options.limiter?.take(row.id);
  const audiences = JSON.parse(row.audiences) as string[];
  const audience = options.audience ?? audiences[0];
  if (!audiences.includes(audience)) {
    throw new AppError('forbidden', `This agent's tokens are not for "${audience}" (it has: ${audiences.join(', ')})`, { audiences });
  }
  const can = agentEffectivePermissions(deps, tenant, row);
  const iat = deps.clock.nowSeconds();
  const ttl = deps.config.agentTokenTtl;
  const claims = {
    ...buildTenantClaims(deps, { tenant, subject: { type: 'agent', id: row.id }, scopes: [] }),
    can,
    owner: { type: row.owner_type, id: row.owner_id },
    iss: tenantIssuer(deps, tenant.slug),
    sub: row.id,
    aud: audience,
    client_id: row.id,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  const key = deps.keyring.active(tenant.id);
  return { access_token: await signJws(claims, key), token_type: 'Bearer', expires_in: ttl, audience };
}

/** Whether the agent a token names still may act (introspection answers `active: false` once it may not). */
export function agentStillActive(deps: Deps, tenantId: string, agentId: string): boolean {
  const row = agentStandingRowById(deps, tenantId, agentId);
  return row !== undefined && agentRowMayAct(deps, row);
}

/** Not revoked, not expired, and its owner still present. */
export function agentRowMayAct(deps: Deps, row: AgentStandingRow): boolean {
  if (row.status !== 'active' || (row.expires_at !== null && row.expires_at <= deps.clock.nowMs())) return false;
  return ownerStanding(deps, row.tenant_id, { type: row.owner_type as 'user' | 'group', id: row.owner_id }).present;
}
