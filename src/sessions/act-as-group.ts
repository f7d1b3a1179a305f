import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { Channel } from '../audit/audit-log.ts';
import { AppError } from '../app/errors.ts';
import { tenantIssuer } from '../agents/agent-tokens.ts';
import { buildTenantClaims } from '../claims/tenant-claims.ts';
import { groupRef } from '../permissions/groups.ts';
import { groupIdsReachedBy } from '../permissions/group-reach.ts';
import { getTenant } from '../tenants/tenants.ts';
import { signJws } from '../tokens/tenant-jws.ts';
import type { TenantTokenVerifier } from '../tokens/tenant-tokens.ts';

/**
 * Acting on behalf of a group (seed 000): a member of a group exchanges its tenant access token for a token whose
 * actor is the group — `actor_type: "group"`, `sub` the group id, `act: {sub: <user id>}` (RFC 8693 §4.1) and the
 * group's `can`, not the user's. Groups never sign in themselves; only current members (of the group or a group
 * below it) may act as one, and each exchange checks that again, so leaving the group ends it at the next one.
 */
export interface ActAsToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token';
  group: { id: string; name: string };
}

export async function actAsGroup(
  deps: Deps,
  verifier: TenantTokenVerifier,
  request: { slug: string; userToken: string; group: string; channel: Channel },
): Promise<ActAsToken> {
  const { slug, userToken, group: groupName, channel } = request;
  const tenant = getTenant(deps, slug);
  const claims = verifier.verify(tenant, tenantIssuer(deps, tenant.slug), userToken);
  if (!claims || claims.actor_type !== 'user') throw new AppError('unauthorized', "Send a user's access token of this tenant as Authorization: Bearer");
  const group = groupRef(deps, tenant, groupName);
  const userId = claims.sub;
  if (!groupIdsReachedBy(deps, tenant.id, userId).has(group.id)) throw new AppError('forbidden', `Only members of ${group.name} may act on its behalf`);
  const iat = deps.clock.nowSeconds();
  const ttl = deps.config.agentTokenTtl;
  const sessionId = randomUUID();
  const payload = {
    ...buildTenantClaims(deps, { tenant, subject: { type: 'group', id: group.id }, scopes: [] }),
    iss: tenantIssuer(deps, tenant.slug),
    sub: group.id,
    aud: typeof claims.aud === 'string' || Array.isArray(claims.aud) ? claims.aud : tenantIssuer(deps, tenant.slug),
    act: { sub: userId },
    sid: sessionId,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  };
  deps.sqlite.transaction(() => {
    deps.audit.append(tenant.id, {
      actor: { type: 'user', id: userId, channel },
      type: 'session.acting_as_group',
      target: { type: 'group', id: group.id },
      payload: { group: group.name, user: userId, sid: sessionId, expiresAt: new Date((iat + ttl) * 1000).toISOString() },
    });
  })();
  const key = deps.keyring.active(tenant.id);
  return {
    access_token: await signJws(payload, key),
    token_type: 'Bearer',
    expires_in: ttl,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    group: { id: group.id, name: group.name },
  };
}
