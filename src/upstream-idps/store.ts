import type { Deps } from '../app/deps.ts';
import type { UpstreamIdpRow, UpstreamLinkRow, UpstreamSignInRow } from './tables.ts';

/** All SQL of the upstream-idps context (tables of migration 0095, described in tables.ts). */

export function insertIdp(deps: Deps, row: UpstreamIdpRow): void {
  deps
    .statement(
      `INSERT INTO upstream_idps (id, tenant_id, name, display_name, issuer, client_id, client_secret_sealed, scopes, allowed_domains,
                                  link_by_verified_email, create_users, auth_provider, created_at, updated_at)
       VALUES (@id, @tenant_id, @name, @display_name, @issuer, @client_id, @client_secret_sealed, @scopes, @allowed_domains,
               @link_by_verified_email, @create_users, @auth_provider, @created_at, @updated_at)`,
    )
    .run(row);
}

export function idpByName(deps: Deps, tenantId: string, name: string): UpstreamIdpRow | undefined {
  return deps.statement('SELECT * FROM upstream_idps WHERE tenant_id = ? AND name = ?').get(tenantId, name) as UpstreamIdpRow | undefined;
}

export function idpById(deps: Deps, id: string): UpstreamIdpRow | undefined {
  return deps.statement('SELECT * FROM upstream_idps WHERE id = ?').get(id) as UpstreamIdpRow | undefined;
}

export function idpsOfTenant(deps: Deps, tenantId: string): UpstreamIdpRow[] {
  return deps.statement('SELECT * FROM upstream_idps WHERE tenant_id = ? ORDER BY created_at, name').all(tenantId) as UpstreamIdpRow[];
}

/** The buttons of the hosted page: read on every page view, so one narrow prepared query. */
export function idpButtonsOfTenant(deps: Deps, tenantId: string): Array<Pick<UpstreamIdpRow, 'name' | 'display_name'>> {
  return deps.statement('SELECT name, display_name FROM upstream_idps WHERE tenant_id = ? ORDER BY created_at, name').all(tenantId) as Array<
    Pick<UpstreamIdpRow, 'name' | 'display_name'>
  >;
}

/** Deletes a provider with its links and pending sign-ins (ON DELETE CASCADE); returns how many links went. */
export function deleteIdp(deps: Deps, id: string): number {
  const links = (deps.statement('SELECT COUNT(*) AS n FROM upstream_idp_links WHERE idp_id = ?').get(id) as { n: number }).n;
  deps.statement('DELETE FROM upstream_idps WHERE id = ?').run(id);
  return links;
}

export function linkOf(deps: Deps, idpId: string, subject: string): UpstreamLinkRow | undefined {
  return deps.statement('SELECT * FROM upstream_idp_links WHERE idp_id = ? AND subject = ?').get(idpId, subject) as UpstreamLinkRow | undefined;
}

/** The link this provider already has to a user, under another subject (a user links once per provider). */
export function linkOfUser(deps: Deps, idpId: string, userId: string): UpstreamLinkRow | undefined {
  return deps.statement('SELECT * FROM upstream_idp_links WHERE idp_id = ? AND user_id = ?').get(idpId, userId) as UpstreamLinkRow | undefined;
}

export function insertLink(deps: Deps, row: UpstreamLinkRow): void {
  deps
    .statement(
      `INSERT INTO upstream_idp_links (idp_id, subject, user_id, provider_name, issuer, email, created_at)
       VALUES (@idp_id, @subject, @user_id, @provider_name, @issuer, @email, @created_at)`,
    )
    .run(row);
}

export function countLinks(deps: Deps, idpId: string): number {
  return (deps.statement('SELECT COUNT(*) AS n FROM upstream_idp_links WHERE idp_id = ?').get(idpId) as { n: number }).n;
}

export function insertSignIn(deps: Deps, row: UpstreamSignInRow): void {
  deps
    .statement(
      `INSERT INTO upstream_sign_ins (state_hash, idp_id, nonce, code_verifier_sealed, request, created_at, expires_at)
       VALUES (@state_hash, @idp_id, @nonce, @code_verifier_sealed, @request, @created_at, @expires_at)`,
    )
    .run(row);
}

/** Reads and deletes a pending sign-in in one statement: a state is good for one callback only. */
export function takeSignIn(deps: Deps, stateHash: string): UpstreamSignInRow | undefined {
  return deps.statement('DELETE FROM upstream_sign_ins WHERE state_hash = ? RETURNING *').get(stateHash) as UpstreamSignInRow | undefined;
}

/** Sign-ins nobody came back from: removed when a new one starts, so the table stays small without a job. */
export function deleteExpiredSignIns(deps: Deps, nowMs: number): void {
  deps.statement('DELETE FROM upstream_sign_ins WHERE expires_at <= ?').run(nowMs);
}
