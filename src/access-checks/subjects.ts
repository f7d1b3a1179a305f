import type { Deps } from '../app/deps.ts';
import { agentRowMayAct, tenantIssuer } from '../agents/agent-tokens.ts';
import { agentEffectivePermissions } from '../agents/agents.ts';
import { agentRowById, agentStandingRowById, type AgentRow } from '../agents/store.ts';
import { effectivePermissionsOf } from '../permissions/effective-permissions.ts';
import { groupAndAncestorIds, groupIdsReachedBy } from '../permissions/group-reach.ts';
import type { TenantTokenVerifier } from '../tokens/tenant-tokens.ts';

/** Whom a check is about: an access token of the tenant, or an actor named by type and id. */
export type SubjectRef = string | { type: 'user' | 'group' | 'agent'; id: string };

/**
 * A subject resolved once (a batch resolves each distinct subject once): what it may do by permission, and what
 * ownership needs — who it is, the groups it belongs to, and for an agent its owner.
 */
export interface ResolvedSubject {
  type: string;
  id: string;
  /** Null when the subject is unknown here, not a member, revoked or its token invalid. */
  can: ReadonlySet<string> | null;
  /** Why `can` is null. */
  refusal?: string;
  /** Groups the subject belongs to (with ancestors); for an agent, its owner's. Read only when ownership asks. */
  groupIds(): ReadonlySet<string>;
  /** An agent's owner: the agent acts on what its owner owns, within its own grants. */
  owner?: { type: string; id: string };
  /** For an agent: the owner on record whose standing was checked to let it act (so that owner is present). */
  vouchingOwner?: { type: string; id: string };
}

const EMPTY: ReadonlySet<string> = new Set();
const refused = (type: string, id: string, refusal: string): ResolvedSubject => ({ type, id, can: null, refusal, groupIds: () => EMPTY });

function once(read: () => ReadonlySet<string>): () => ReadonlySet<string> {
  let value: ReadonlySet<string> | undefined;
  return () => (value ??= read());
}

function ofActor(deps: Deps, tenant: { id: string; slug: string }, type: string, id: string, tokenCan?: readonly string[], owner?: { type: string; id: string }): ResolvedSubject {
  switch (type) {
    case 'user':
    case 'group': {
      let can = tokenCan;
      if (!can) {
        const effective = effectivePermissionsOf(deps, tenant.id, { type, id });
        if (!effective.member) return refused(type, id, type === 'user' ? 'the user is not an active member of this tenant' : 'no such group in this tenant');
        can = effective.permissions;
      }
      const groupIds = once(() => (type === 'user' ? groupIdsReachedBy(deps, tenant.id, id) : groupAndAncestorIds(deps, tenant.id, id)));
      return { type, id, can: new Set(can), groupIds };
    }
    case 'agent': {
      // A token carries its grants: only the agent's standing is read. Named by id, its grants are read too.
      const row = tokenCan ? agentStandingRowById(deps, tenant.id, id) : agentRowById(deps, tenant.id, id);
      if (!row || !agentRowMayAct(deps, row)) return refused(type, id, 'the agent is revoked, expired or its owner is gone');
      const vouchingOwner = { type: row.owner_type, id: row.owner_id };
      const agentOwner = owner ?? vouchingOwner;
      const groupIds = once(() =>
        agentOwner.type === 'user' ? groupIdsReachedBy(deps, tenant.id, agentOwner.id) : groupAndAncestorIds(deps, tenant.id, agentOwner.id),
      );
      const can = tokenCan ?? agentEffectivePermissions(deps, tenant, row as AgentRow);
      return { type, id, can: new Set(can), groupIds, owner: agentOwner, vouchingOwner };
    }
    case 'client':
      return { type, id, can: new Set(tokenCan ?? []), groupIds: () => EMPTY };
    default:
      return refused(type, id, `unknown actor type "${type}"`);
  }
}

/**
 * Resolves a subject. A token is taken at its word for `can` (it is what the tenant issued, within one
 * access-token lifetime), but an agent's token stops counting the moment the agent is revoked.
 */
export function resolveSubject(deps: Deps, tenant: { id: string; slug: string }, verifier: TenantTokenVerifier, ref: SubjectRef): ResolvedSubject {
  if (typeof ref !== 'string') return ofActor(deps, tenant, ref.type, ref.id);
  const claims = verifier.verify(tenant, tenantIssuer(deps, tenant.slug), ref);
  if (!claims) return refused('token', '', 'the subject token is not a live access token of this tenant');
  return ofActor(deps, tenant, claims.actor_type, claims.sub, claims.can, claims.owner);
}
