import type { Deps } from '../app/deps.ts';

/** All SQL of the agents context. */
export interface AgentRow {
  id: string;
  tenant_id: string;
  name: string;
  owner_type: string;
  owner_id: string;
  /** JSON array of `action:resource` strings. */
  permissions: string;
  /** JSON array of audiences the agent's tokens may be for. */
  audiences: string;
  token_hash: string;
  status: 'active' | 'revoked';
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  token_rotated_at: number;
}

export function insertAgentRow(deps: Deps, row: AgentRow): void {
  deps
    .statement(
      `INSERT INTO agents (id, tenant_id, name, owner_type, owner_id, permissions, audiences, token_hash, status, expires_at,
         created_at, updated_at, revoked_at, token_rotated_at)
       VALUES (@id, @tenant_id, @name, @owner_type, @owner_id, @permissions, @audiences, @token_hash, @status, @expires_at,
         @created_at, @updated_at, @revoked_at, @token_rotated_at)`,
    )
    .run(row);
}

export function agentRowById(deps: Deps, tenantId: string, id: string): AgentRow | undefined {
  return deps.statement('SELECT * FROM agents WHERE tenant_id = ? AND id = ?').get(tenantId, id) as AgentRow | undefined;
}

/** What decides whether an agent may act now (status, expiry, owner): the authorization check's and introspection's read. */
export type AgentStandingRow = Pick<AgentRow, 'id' | 'tenant_id' | 'owner_type' | 'owner_id' | 'status' | 'expires_at'>;

export function agentStandingRowById(deps: Deps, tenantId: string, id: string): AgentStandingRow | undefined {
  return deps
    .statement('SELECT id, tenant_id, owner_type, owner_id, status, expires_at FROM agents WHERE tenant_id = ? AND id = ?')
    .get(tenantId, id) as AgentStandingRow | undefined;
}

export function agentRowByName(deps: Deps, tenantId: string, name: string): AgentRow | undefined {
  return deps.statement('SELECT * FROM agents WHERE tenant_id = ? AND name = ?').get(tenantId, name) as AgentRow | undefined;
}

/** The token exchange's one read: by the SHA-256 of the presented token. */
export function agentRowByTokenHash(deps: Deps, tokenHash: string): AgentRow | undefined {
  return deps.statement('SELECT * FROM agents WHERE token_hash = ?').get(tokenHash) as AgentRow | undefined;
}

export function agentRowsOfTenant(deps: Deps, tenantId: string, owner?: { type: string; id: string }): AgentRow[] {
  if (owner) {
    return deps
      .statement('SELECT * FROM agents WHERE tenant_id = ? AND owner_type = ? AND owner_id = ? ORDER BY name')
      .all(tenantId, owner.type, owner.id) as AgentRow[];
  }
  return deps.statement('SELECT * FROM agents WHERE tenant_id = ? ORDER BY name').all(tenantId) as AgentRow[];
}

export function updateAgentGrants(deps: Deps, id: string, fields: { name: string; permissions: string; audiences: string; expires_at: number | null; updated_at: number }): void {
  deps
    .statement('UPDATE agents SET name = @name, permissions = @permissions, audiences = @audiences, expires_at = @expires_at, updated_at = @updated_at WHERE id = @id')
    .run({ id, ...fields });
}

export function updateAgentTokenHash(deps: Deps, id: string, tokenHash: string, now: number): void {
  deps.statement('UPDATE agents SET token_hash = ?, token_rotated_at = ?, updated_at = ? WHERE id = ?').run(tokenHash, now, now, id);
}

export function markAgentRevoked(deps: Deps, id: string, now: number): void {
  deps.statement("UPDATE agents SET status = 'revoked', revoked_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
}
