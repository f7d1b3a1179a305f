import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { isActiveMemberOf } from '../memberships/active-memberships.ts';
import { groupById } from '../permissions/store.ts';
import { agentStandingRowById } from '../agents/store.ts';

/** Who a payment profile (or a resource) belongs to: a user, a group or an agent of the tenant. */
export const PROFILE_ACTOR_TYPES = ['user', 'group', 'agent'] as const;
export type ProfileActorType = (typeof PROFILE_ACTOR_TYPES)[number];

export interface ProfileActor {
  type: ProfileActorType;
  id: string;
}

/**
 * The one check that an actor belongs to the tenant. Users: an active membership of the tenant (memberships
 * service); groups: an existing group of the tenant; agents: one that is not revoked.
 */
export function assertActorOfTenant(deps: Deps, tenantId: string, actor: ProfileActor): void {
  if (!(PROFILE_ACTOR_TYPES as readonly string[]).includes(actor.type)) {
    throw validationError(`actor.type must be one of ${PROFILE_ACTOR_TYPES.join(', ')}`);
  }
  if (!actor.id || actor.id.length > 200) throw validationError('actor.id is required (at most 200 characters)');
  switch (actor.type) {
    case 'user': {
      if (!isActiveMemberOf(deps, actor.id, tenantId)) throw validationError(`User ${actor.id} is not an active member of this tenant`);
      return;
    }
    case 'group':
      if (!groupById(deps, tenantId, actor.id)) throw validationError(`Group ${actor.id} does not exist in this tenant`);
      return;
    case 'agent': {
      const agent = agentStandingRowById(deps, tenantId, actor.id);
      if (!agent || agent.status === 'revoked') throw validationError(`Agent ${actor.id} is not an active agent of this tenant`);
      return;
    }
  }
}

/** Whether the actor still belongs to the tenant (the same rule as assertActorOfTenant, as a yes/no). */
export function isActorOfTenant(deps: Deps, tenantId: string, actor: ProfileActor): boolean {
  try {
    assertActorOfTenant(deps, tenantId, actor);
    return true;
  } catch {
    return false;
  }
}
