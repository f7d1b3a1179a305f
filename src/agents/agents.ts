import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import { displayName } from '../app/plain-text.ts';
import type { Actor } from '../audit/audit-log.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { newAgentToken } from './api-token.ts';
import { ownerEffectivePermissions, ownerStanding, type AgentOwner } from './owners.ts';
import {
  agentRowById,
  agentRowByName,
  agentRowsOfTenant,
  insertAgentRow,
  markAgentRevoked,
  updateAgentGrants,
  updateAgentTokenHash,
  type AgentRow,
} from './store.ts';

/**
 * Agents (seed 000): non-human actors of a tenant owned by a user or a group. An agent's effective permissions
 * are always its own grants ∩ its owner's current effective set, so an owner who loses a permission takes it from
 * their agents at once; an agent of an owner who is gone stops working.
 */
export interface Agent {
  id: string;
  tenantId: string;
  name: string;
  owner: AgentOwner;
  permissions: string[];
  audiences: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  tokenRotatedAt: string;
}

export interface AgentInput {
  name: string;
  owner: AgentOwner;
  permissions: readonly string[];
  audiences: readonly string[];
  /** Lifetime from now, in seconds; absent = until revoked. */
  expiresInSeconds?: number;
}

export interface AgentUpdate {
  name?: string;
  permissions?: readonly string[];
  audiences?: readonly string[];
  /** null clears the expiry. */
  expiresInSeconds?: number | null;
}

const PERMISSION = /^[a-z][a-z0-9_-]{0,62}:[a-z][a-z0-9_.-]{0,62}$/;
const AUDIENCE = /^[\w.:/@~-]{1,200}$/;
const nameSchema = displayName(100);

export function agentView(deps: Deps, row: AgentRow): Agent {
  const expired = row.expires_at !== null && row.expires_at <= deps.clock.nowMs();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    owner: { type: row.owner_type as AgentOwner['type'], id: row.owner_id },
    permissions: JSON.parse(row.permissions) as string[],
    audiences: JSON.parse(row.audiences) as string[],
    status: row.status === 'revoked' ? 'revoked' : expired ? 'expired' : 'active',
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    tokenRotatedAt: new Date(row.token_rotated_at).toISOString(),
  };
}

function checkedName(name: string): string {
  const parsed = nameSchema.safeParse(name);
  if (!parsed.success) throw validationError('The agent name must be 1–100 characters without control characters');
  return parsed.data;
}

function checkedPermissions(permissions: readonly string[]): string[] {
  const unique = [...new Set(permissions.map((p) => p.trim()).filter(Boolean))].sort();
  if (unique.length === 0) throw validationError('An agent needs at least one permission (action:resource, e.g. sync:orders)');
  for (const p of unique) if (!PERMISSION.test(p)) throw validationError(`"${p}" is not a permission (action:resource, e.g. sync:orders)`);
  return unique;
}

function checkedAudiences(audiences: readonly string[]): string[] {
  const unique = [...new Set(audiences.map((a) => a.trim()).filter(Boolean))];
  if (unique.length === 0) throw validationError('An agent needs at least one audience (the API its tokens are for, e.g. backend-api)');
  for (const a of unique) if (!AUDIENCE.test(a)) throw validationError(`"${a}" is not an audience (1–200 letters, digits or . : / @ ~ - _)`);
  return unique;
}

function expiryFrom(deps: Deps, seconds: number | null | undefined): number | null {
  if (seconds === undefined || seconds === null) return null;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 5 * 366 * 86_400) throw validationError('An agent expires between 1 minute and 5 years from now');
  return deps.clock.nowMs() + seconds * 1000;
}

/** The subset rule: every permission asked for must be in the owner's effective set now. */
function assertWithinOwner(deps: Deps, tenant: Pick<TenantRow, 'id' | 'slug'>, owner: AgentOwner, permissions: string[]): void {
  const held = new Set(ownerEffectivePermissions(deps, tenant, owner));
  const missing = permissions.filter((p) => !held.has(p));
  if (missing.length) {
    throw validationError(`The owner does not hold ${missing.join(', ')}: an agent gets only permissions its owner has`, { missing });
  }
}

function audit(deps: Deps, actor: Actor, type: string, row: AgentRow, payload: Record<string, unknown> = {}): void {
  deps.audit.append(row.tenant_id, {
    actor,
    type,
    target: { type: 'agent', id: row.id },
    payload: { name: row.name, owner: { type: row.owner_type, id: row.owner_id }, ...payload },
  });
}

export function getAgent(deps: Deps, tenantId: string, ref: string): AgentRow {
  const row = agentRowById(deps, tenantId, ref) ?? agentRowByName(deps, tenantId, ref);
  if (!row) throw notFound(`Agent "${ref}"`);
  return row;
}

export function listAgents(deps: Deps, tenantId: string, owner?: AgentOwner): Agent[] {
  return agentRowsOfTenant(deps, tenantId, owner).map((row) => agentView(deps, row));
}

/** Creates an agent and returns its API token, which is shown this once and never again. */
export function createAgent(deps: Deps, tenant: Pick<TenantRow, 'id' | 'slug'>, input: AgentInput, actor: Actor): { agent: Agent; token: string } {
  const name = checkedName(input.name);
  const permissions = checkedPermissions(input.permissions);
  const audiences = checkedAudiences(input.audiences);
  const expiresAt = expiryFrom(deps, input.expiresInSeconds);
  const token = newAgentToken(tenant.slug);
  return deps.sqlite.transaction(() => {
    const standing = ownerStanding(deps, tenant.id, input.owner);
    if (!standing.present) throw validationError(standing.reason);
    assertWithinOwner(deps, tenant, input.owner, permissions);
    if (agentRowByName(deps, tenant.id, name)) throw conflict(`An agent named "${name}" already exists in this tenant`);
    const now = deps.clock.nowMs();
    const row: AgentRow = {
      id: `agt_${randomUUID().replaceAll('-', '')}`,
      tenant_id: tenant.id,
      name,
      owner_type: input.owner.type,
      owner_id: input.owner.id,
      permissions: JSON.stringify(permissions),
      audiences: JSON.stringify(audiences),
      token_hash: hashOpaqueToken(token),
      status: 'active',
      expires_at: expiresAt,
      created_at: now,
      updated_at: now,
      revoked_at: null,
      token_rotated_at: now,
    };
    insertAgentRow(deps, row);
    audit(deps, actor, 'agent.created', row, { permissions, audiences, expiresAt: expiresAt && new Date(expiresAt).toISOString() });
    return { agent: agentView(deps, row), token };
  })();
}

export function updateAgent(deps: Deps, tenant: Pick<TenantRow, 'id' | 'slug'>, ref: string, input: AgentUpdate, actor: Actor): Agent {
  return deps.sqlite.transaction(() => {
    const row = getAgent(deps, tenant.id, ref);
    if (row.status === 'revoked') throw conflict('A revoked agent cannot be changed; create a new one');
    const name = input.name === undefined ? row.name : checkedName(input.name);
    const permissions = input.permissions === undefined ? (JSON.parse(row.permissions) as string[]) : checkedPermissions(input.permissions);
    const audiences = input.audiences === undefined ? (JSON.parse(row.audiences) as string[]) : checkedAudiences(input.audiences);
    const expiresAt = input.expiresInSeconds === undefined ? row.expires_at : expiryFrom(deps, input.expiresInSeconds);
    const owner = { type: row.owner_type as AgentOwner['type'], id: row.owner_id };
    if (input.permissions !== undefined) assertWithinOwner(deps, tenant, owner, permissions);
    if (name !== row.name && agentRowByName(deps, tenant.id, name)) throw conflict(`An agent named "${name}" already exists in this tenant`);
    const now = deps.clock.nowMs();
    const next = { name, permissions: JSON.stringify(permissions), audiences: JSON.stringify(audiences), expires_at: expiresAt, updated_at: now };
    updateAgentGrants(deps, row.id, next);
    audit(deps, actor, 'agent.updated', { ...row, ...next }, { permissions, audiences });
    return agentView(deps, { ...row, ...next });
  })();
}

/** A new API token; the old one stops working at once. */
export function rotateAgentToken(deps: Deps, tenant: Pick<TenantRow, 'id' | 'slug'>, ref: string, actor: Actor): { agent: Agent; token: string } {
  const token = newAgentToken(tenant.slug);
  return deps.sqlite.transaction(() => {
    const row = getAgent(deps, tenant.id, ref);
    if (row.status === 'revoked') throw conflict('A revoked agent has no token to rotate');
    const now = deps.clock.nowMs();
    updateAgentTokenHash(deps, row.id, hashOpaqueToken(token), now);
    audit(deps, actor, 'agent.token_rotated', row);
    return { agent: agentView(deps, { ...row, token_rotated_at: now, updated_at: now }), token };
  })();
}

/** Revocation is immediate and final: the next exchange and every introspection of its tokens fail. */
export function revokeAgent(deps: Deps, tenantId: string, ref: string, actor: Actor): Agent {
  return deps.sqlite.transaction(() => {
    const row = getAgent(deps, tenantId, ref);
    if (row.status === 'revoked') return agentView(deps, row);
    const now = deps.clock.nowMs();
    markAgentRevoked(deps, row.id, now);
    audit(deps, actor, 'agent.revoked', row);
    return agentView(deps, { ...row, status: 'revoked', revoked_at: now, updated_at: now });
  })();
}

/**
 * What an agent may do right now: its grants ∩ its owner's current effective permissions; nothing when it is
 * revoked or expired or its owner is gone.
 */
export function agentEffectivePermissions(deps: Deps, tenant: Pick<TenantRow, 'id' | 'slug'>, row: AgentRow): string[] {
  if (agentView(deps, row).status !== 'active') return [];
  const owner = { type: row.owner_type as AgentOwner['type'], id: row.owner_id };
  if (!ownerStanding(deps, tenant.id, owner).present) return [];
  const held = new Set(ownerEffectivePermissions(deps, tenant, owner));
  return (JSON.parse(row.permissions) as string[]).filter((p) => held.has(p));
}
