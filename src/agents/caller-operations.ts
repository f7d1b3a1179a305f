import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { authorize, decide } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import { agentView, createAgent, getAgent, listAgents, revokeAgent, rotateAgentToken, updateAgent, type AgentInput, type AgentUpdate } from './agents.ts';
import type { AgentOwner } from './owners.ts';
import type { AgentRow } from './store.ts';

/**
 * The agents services as a caller reaches them over the tenant API (`/t/{slug}/api/v1/agents…`): owners manage
 * their own agents with a Bearer token; tenant admins (and API keys with agents:write) manage all.
 */
const ownerOf = (row: AgentRow): AgentOwner => ({ type: row.owner_type as AgentOwner['type'], id: row.owner_id });

export function listAgentsAs(deps: Deps, caller: Principal, slug: string) {
  const tenant = getTenant(deps, slug);
  if (decide(deps, caller, 'agent.listAll', { companyId: tenant.id }).allowed) return listAgents(deps, tenant.id);
  if (caller.type !== 'user') return [];
  return listAgents(deps, tenant.id, { type: 'user', id: caller.id });
}

export function getAgentAs(deps: Deps, caller: Principal, slug: string, ref: string) {
  const tenant = getTenant(deps, slug);
  const row = getAgent(deps, tenant.id, ref);
  authorize(deps, caller, 'agent.read', { companyId: tenant.id, owner: ownerOf(row) });
  return agentView(deps, row);
}

/** The owner defaults to the calling user. */
export function createAgentAs(deps: Deps, caller: Principal, slug: string, input: Omit<AgentInput, 'owner'> & { owner?: AgentOwner }) {
  const tenant = getTenant(deps, slug);
  const owner = input.owner ?? (caller.type === 'user' ? { type: 'user' as const, id: caller.id } : undefined);
  if (!owner) throw validationError('Name the owner of the agent (a user or a group of the tenant)');
  authorize(deps, caller, 'agent.manage', { companyId: tenant.id, owner });
  return createAgent(deps, tenant, { ...input, owner }, caller);
}

export function updateAgentAs(deps: Deps, caller: Principal, slug: string, ref: string, input: AgentUpdate) {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'agent.manage', { companyId: tenant.id, owner: ownerOf(getAgent(deps, tenant.id, ref)) });
  return updateAgent(deps, tenant, ref, input, caller);
}

export function rotateAgentTokenAs(deps: Deps, caller: Principal, slug: string, ref: string) {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'agent.manage', { companyId: tenant.id, owner: ownerOf(getAgent(deps, tenant.id, ref)) });
  return rotateAgentToken(deps, tenant, ref, caller);
}

export function revokeAgentAs(deps: Deps, caller: Principal, slug: string, ref: string) {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'agent.manage', { companyId: tenant.id, owner: ownerOf(getAgent(deps, tenant.id, ref)) });
  return revokeAgent(deps, tenant.id, ref, caller);
}
