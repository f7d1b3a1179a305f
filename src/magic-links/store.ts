import type { Deps } from '../app/deps.ts';

/** All SQL of the magic-links context: one-time sign-in links, by the SHA-256 of their token. */
export interface MagicLinkRow {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export function insertMagicLink(deps: Deps, row: Omit<MagicLinkRow, 'used_at'>): void {
  deps
    .statement('INSERT INTO magic_link_tokens (token_hash, user_id, created_at, expires_at, used_at) VALUES (@token_hash, @user_id, @created_at, @expires_at, NULL)')
    .run(row);
}

/** A newer link replaces the earlier unused ones of the user. */
export function spendOpenLinksOf(deps: Deps, userId: string, nowMs: number): number {
  return deps.statement('UPDATE magic_link_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL').run(nowMs, userId).changes;
}

export function findMagicLink(deps: Deps, tokenHash: string): MagicLinkRow | undefined {
  return deps.statement('SELECT * FROM magic_link_tokens WHERE token_hash = ?').get(tokenHash) as MagicLinkRow | undefined;
}

/** Spends a link that is unused and unexpired; false when it is not (single use under concurrency). */
export function spendMagicLink(deps: Deps, tokenHash: string, nowMs: number): boolean {
  return (
    deps.statement('UPDATE magic_link_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?').run(nowMs, tokenHash, nowMs).changes === 1
  );
}

/** Deletes links used or expired before `before`. */
export function purgeMagicLinks(deps: Deps, before: number): number {
  return deps.statement('DELETE FROM magic_link_tokens WHERE used_at < ? OR expires_at < ?').run(before, before).changes;
}

/** Whether the tenant's hosted sign-in page offers magic links (off unless set). */
export function findTenantMagicLinks(deps: Deps, tenantId: string): boolean {
  const enabled = deps.statement('SELECT enabled FROM tenant_magic_link_settings WHERE tenant_id = ?').pluck().get(tenantId) as number | undefined;
  return enabled === 1;
}

export function upsertTenantMagicLinks(deps: Deps, tenantId: string, enabled: boolean, nowMs: number): void {
  deps
    .statement(
      'INSERT INTO tenant_magic_link_settings (tenant_id, enabled, updated_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at',
    )
    .run(tenantId, enabled ? 1 : 0, nowMs);
}
