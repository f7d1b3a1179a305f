import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import { hasControlCharacters } from '../app/plain-text.ts';
import type { Actor } from '../audit/audit-log.ts';
import { storedActions } from './owner-policy.ts';
import { assertActorOfTenant, isActorOfTenant, PROFILE_ACTOR_TYPES, type ProfileActor } from '../payments/actors.ts';
import {
  deleteOwnerRow,
  insertOwnerRow,
  ownerOfRow,
  ownerPolicyAndOwnerRow,
  ownerRowOf,
  ownerRowsPage,
  updateOwnerOfRow,
  type OwnerRow,
  type ResourceKey,
} from './store.ts';

/**
 * The ownership registry (seed 000): which actor of a tenant owns a resource of one of its applications. kimauth
 * stores the owner, never the resource; applications ask it who may act on a resource and where its money goes.
 */
export type Owner = ProfileActor;
export type { ResourceKey };

export interface Ownership {
  resource: ResourceKey;
  owner: Owner;
  /** False once the owner left the tenant (a user without an active membership): an admin should transfer it. */
  ownerPresent: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface OwnershipPage {
  items: Ownership[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

const PART = /^[\w.:@~-]{1,200}$/;

/** App, type and id are the application's own names: 1–200 letters, digits and `. : @ ~ - _`. */
export function checkedResource(key: ResourceKey): ResourceKey {
  for (const [field, value] of Object.entries({ app: key.app, type: key.type, id: key.id })) {
    if (typeof value !== 'string' || !PART.test(value) || hasControlCharacters(value)) {
      throw validationError(`resource.${field} must be 1–200 letters, digits or . : @ ~ - _`);
    }
  }
  return { app: key.app, type: key.type, id: key.id };
}

export function checkedOwner(owner: Owner): Owner {
  if (!owner || !(PROFILE_ACTOR_TYPES as readonly string[]).includes(owner.type)) {
    throw validationError(`owner.type must be one of ${PROFILE_ACTOR_TYPES.join(', ')}`);
  }
  if (typeof owner.id !== 'string' || owner.id.length === 0 || owner.id.length > 200) throw validationError('owner.id is required (at most 200 characters)');
  return { type: owner.type, id: owner.id };
}

function view(deps: Deps, row: OwnerRow): Ownership {
  const owner = { type: row.owner_type as Owner['type'], id: row.owner_id };
  return {
    resource: { app: row.app, type: row.resource_type, id: row.resource_id },
    owner,
    ownerPresent: ownerIsPresent(deps, row.tenant_id, owner),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const describe = (key: ResourceKey) => `${key.app}/${key.type}/${key.id}`;

function audit(deps: Deps, tenantId: string, actor: Actor, type: string, key: ResourceKey, payload: Record<string, unknown>): void {
  deps.audit.append(tenantId, { actor, type, target: { type: 'resource', id: describe(key) }, payload: { resource: key, ...payload } });
}

/** Whether a registered owner still belongs to the tenant; one that left keeps its resources, listed for transfer. */
export function ownerIsPresent(deps: Deps, tenantId: string, owner: Owner): boolean {
  return isActorOfTenant(deps, tenantId, owner);
}

/** Who owns a resource (null: nobody registered one), without the registry's dates or presence: the check's read. */
export function ownerOf(deps: Deps, tenantId: string, key: ResourceKey): Owner | null {
  const row = ownerOfRow(deps, tenantId, checkedResource(key));
  return row ? { type: row.owner_type as Owner['type'], id: row.owner_id } : null;
}

/** What owners may do to resources of its type, and who owns this resource, in one read (the check asks both). */
export function ownerActionsAndOwner(deps: Deps, tenantId: string, key: ResourceKey): { actions: string[]; owner: Owner | null } {
  const row = ownerPolicyAndOwnerRow(deps, tenantId, checkedResource(key));
  const owner = row.owner_type !== null && row.owner_id !== null ? { type: row.owner_type as Owner['type'], id: row.owner_id } : null;
  return { actions: storedActions(row.actions), owner };
}

/** The owner of a resource, or null when nobody registered one. */
export function findOwnership(deps: Deps, tenantId: string, key: ResourceKey): Ownership | null {
  const row = ownerRowOf(deps, tenantId, checkedResource(key));
  return row ? view(deps, row) : null;
}

export function getOwnership(deps: Deps, tenantId: string, key: ResourceKey): Ownership {
  const found = findOwnership(deps, tenantId, key);
  if (!found) throw notFound(`An owner of ${describe(key)}`);
  return found;
}

/**
 * Registers the owner of a resource. Setting the same owner again changes nothing (idempotent, as PUT is); a
 * different owner of an already owned resource is a transfer, which must be asked for as one (409).
 */
export function setOwnership(deps: Deps, tenantId: string, key: ResourceKey, owner: Owner, actor: Actor): { ownership: Ownership; created: boolean } {
  const resource = checkedResource(key);
  const next = checkedOwner(owner);
  return deps.sqlite.transaction(() => {
    const existing = ownerRowOf(deps, tenantId, resource);
    if (existing) {
      if (existing.owner_type === next.type && existing.owner_id === next.id) return { ownership: view(deps, existing), created: false };
      throw conflict(`${describe(resource)} is owned by ${existing.owner_type} ${existing.owner_id}: transfer it instead`);
    }
    assertActorOfTenant(deps, tenantId, next);
    const now = deps.clock.nowMs();
    const row: OwnerRow = {
      tenant_id: tenantId,
      app: resource.app,
      resource_type: resource.type,
      resource_id: resource.id,
      owner_type: next.type,
      owner_id: next.id,
      created_at: now,
      updated_at: now,
    };
    insertOwnerRow(deps, row);
    audit(deps, tenantId, actor, 'ownership.set', resource, { owner: next });
    return { ownership: view(deps, row), created: true };
  })();
}

/** Hands a resource to a new owner of the tenant; audited with the old and the new owner. */
export function transferOwnership(deps: Deps, tenantId: string, key: ResourceKey, owner: Owner, actor: Actor): Ownership {
  const resource = checkedResource(key);
  const next = checkedOwner(owner);
  return deps.sqlite.transaction(() => {
    const existing = ownerRowOf(deps, tenantId, resource);
    if (!existing) throw notFound(`An owner of ${describe(resource)}`);
    const previous = { type: existing.owner_type, id: existing.owner_id };
    if (previous.type === next.type && previous.id === next.id) return view(deps, existing);
    assertActorOfTenant(deps, tenantId, next);
    const now = deps.clock.nowMs();
    updateOwnerOfRow(deps, tenantId, resource, next, now);
    audit(deps, tenantId, actor, 'ownership.transferred', resource, { from: previous, to: next });
    return view(deps, { ...existing, owner_type: next.type, owner_id: next.id, updated_at: now });
  })();
}

/** Forgets who owns a resource (the application deleted it). */
export function removeOwnership(deps: Deps, tenantId: string, key: ResourceKey, actor: Actor): void {
  const resource = checkedResource(key);
  deps.sqlite.transaction(() => {
    const existing = ownerRowOf(deps, tenantId, resource);
    if (!existing) throw notFound(`An owner of ${describe(resource)}`);
    deleteOwnerRow(deps, tenantId, resource);
    audit(deps, tenantId, actor, 'ownership.removed', resource, { owner: { type: existing.owner_type, id: existing.owner_id } });
  })();
}

const encodeCursor = (key: ResourceKey) => Buffer.from(JSON.stringify([key.app, key.type, key.id])).toString('base64url');

function decodeCursor(cursor: string): ResourceKey {
  try {
    const [app, type, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as string[];
    if ([app, type, id].every((p) => typeof p === 'string')) return { app, type, id };
  } catch {
    // fall through to the one message below
  }
  throw validationError('after is not a cursor this list returned');
}

/**
 * The tenant's registered resources in key order, a page at a time; one owner's, or only those whose owner is
 * gone (`orphaned`), which an admin then transfers — resources are never silently orphaned.
 */
export function listOwnerships(
  deps: Deps,
  tenantId: string,
  options: { owner?: Owner; orphaned?: boolean; after?: string; limit?: number } = {},
): OwnershipPage {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const owner = options.owner ? checkedOwner(options.owner) : undefined;
  let after = options.after ? decodeCursor(options.after) : undefined;
  if (!options.orphaned) {
    const rows = ownerRowsPage(deps, tenantId, { owner, after, limit: limit + 1 });
    const items = rows.slice(0, limit).map((row) => view(deps, row));
    return { items, next: rows.length > limit ? encodeCursor(items[limit - 1].resource) : null };
  }
  // Orphans are found by looking at each owner, so read in batches until the page is full or the registry ends;
  // the cursor then points after the last row looked at.
  const items: Ownership[] = [];
  for (;;) {
    const rows = ownerRowsPage(deps, tenantId, { owner, after, limit });
    for (const row of rows) {
      const item = view(deps, row);
      after = item.resource;
      if (!item.ownerPresent) items.push(item);
      if (items.length === limit) return { items, next: encodeCursor(after) };
    }
    if (rows.length < limit) return { items, next: null };
  }
}
