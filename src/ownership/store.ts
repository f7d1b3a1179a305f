import type { Deps } from '../app/deps.ts';

/** All SQL of the ownership context: the registry of resource owners and the tenants' owner policies. */
export interface OwnerRow {
  tenant_id: string;
  app: string;
  resource_type: string;
  resource_id: string;
  owner_type: string;
  owner_id: string;
  created_at: number;
  updated_at: number;
}

export interface ResourceKey {
  app: string;
  type: string;
  id: string;
}

export function ownerRowOf(deps: Deps, tenantId: string, key: ResourceKey): OwnerRow | undefined {
  return deps
    .statement('SELECT * FROM resource_owners WHERE tenant_id = ? AND app = ? AND resource_type = ? AND resource_id = ?')
    .get(tenantId, key.app, key.type, key.id) as OwnerRow | undefined;
}

/** The owner alone, for the authorization check (two columns: no dates to read or format). */
export function ownerOfRow(deps: Deps, tenantId: string, key: ResourceKey): { owner_type: string; owner_id: string } | undefined {
  return deps
    .statement('SELECT owner_type, owner_id FROM resource_owners WHERE tenant_id = ? AND app = ? AND resource_type = ? AND resource_id = ?')
    .get(tenantId, key.app, key.type, key.id) as { owner_type: string; owner_id: string } | undefined;
}

/** A type's owner policy and a resource's owner in one read (either may be missing): the check's first question. */
export function ownerPolicyAndOwnerRow(
  deps: Deps,
  tenantId: string,
  key: ResourceKey,
): { actions: string | null; owner_type: string | null; owner_id: string | null } {
  return deps
    .statement(
      `SELECT p.actions AS actions, o.owner_type AS owner_type, o.owner_id AS owner_id
         FROM (SELECT ? AS tenant_id, ? AS app, ? AS resource_type, ? AS resource_id) AS k
         LEFT JOIN owner_policies AS p ON p.tenant_id = k.tenant_id AND p.resource_type = k.resource_type
         LEFT JOIN resource_owners AS o
           ON o.tenant_id = k.tenant_id AND o.app = k.app AND o.resource_type = k.resource_type AND o.resource_id = k.resource_id`,
    )
    .get(tenantId, key.app, key.type, key.id) as { actions: string | null; owner_type: string | null; owner_id: string | null };
}

export function insertOwnerRow(deps: Deps, row: OwnerRow): void {
  deps
    .statement(
      `INSERT INTO resource_owners (tenant_id, app, resource_type, resource_id, owner_type, owner_id, created_at, updated_at)
       VALUES (@tenant_id, @app, @resource_type, @resource_id, @owner_type, @owner_id, @created_at, @updated_at)`,
    )
    .run(row);
}

export function updateOwnerOfRow(deps: Deps, tenantId: string, key: ResourceKey, owner: { type: string; id: string }, now: number): void {
  deps
    .statement(
      'UPDATE resource_owners SET owner_type = ?, owner_id = ?, updated_at = ? WHERE tenant_id = ? AND app = ? AND resource_type = ? AND resource_id = ?',
    )
    .run(owner.type, owner.id, now, tenantId, key.app, key.type, key.id);
}

export function deleteOwnerRow(deps: Deps, tenantId: string, key: ResourceKey): void {
  deps.statement('DELETE FROM resource_owners WHERE tenant_id = ? AND app = ? AND resource_type = ? AND resource_id = ?').run(tenantId, key.app, key.type, key.id);
}

/** One page in key order, after `after` (exclusive); optionally one owner's resources only. */
export function ownerRowsPage(
  deps: Deps,
  tenantId: string,
  options: { owner?: { type: string; id: string }; after?: ResourceKey; limit: number },
): OwnerRow[] {
  const after = options.after ?? { app: '', type: '', id: '' };
  if (options.owner) {
    return deps
      .statement(
        `SELECT * FROM resource_owners WHERE tenant_id = ? AND owner_type = ? AND owner_id = ?
           AND (app, resource_type, resource_id) > (?, ?, ?)
         ORDER BY app, resource_type, resource_id LIMIT ?`,
      )
      .all(tenantId, options.owner.type, options.owner.id, after.app, after.type, after.id, options.limit) as OwnerRow[];
  }
  return deps
    .statement(
      `SELECT * FROM resource_owners WHERE tenant_id = ? AND (app, resource_type, resource_id) > (?, ?, ?)
       ORDER BY app, resource_type, resource_id LIMIT ?`,
    )
    .all(tenantId, after.app, after.type, after.id, options.limit) as OwnerRow[];
}

export function ownerPolicyActions(deps: Deps, tenantId: string, resourceType: string): string | undefined {
  const row = deps.statement('SELECT actions FROM owner_policies WHERE tenant_id = ? AND resource_type = ?').get(tenantId, resourceType) as
    | { actions: string }
    | undefined;
  return row?.actions;
}

export function ownerPolicyRows(deps: Deps, tenantId: string): Array<{ resource_type: string; actions: string; updated_at: number }> {
  return deps.statement('SELECT resource_type, actions, updated_at FROM owner_policies WHERE tenant_id = ? ORDER BY resource_type').all(tenantId) as Array<{
    resource_type: string;
    actions: string;
    updated_at: number;
  }>;
}

export function upsertOwnerPolicyRow(deps: Deps, tenantId: string, resourceType: string, actions: string, now: number): void {
  deps
    .statement(
      `INSERT INTO owner_policies (tenant_id, resource_type, actions, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, resource_type) DO UPDATE SET actions = excluded.actions, updated_at = excluded.updated_at`,
    )
    .run(tenantId, resourceType, actions, now);
}

export function deleteOwnerPolicyRow(deps: Deps, tenantId: string, resourceType: string): boolean {
  return deps.statement('DELETE FROM owner_policies WHERE tenant_id = ? AND resource_type = ?').run(tenantId, resourceType).changes > 0;
}
