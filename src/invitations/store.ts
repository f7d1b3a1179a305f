import type { Deps } from '../app/deps.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { InvitationRow, InvitationStatus } from './tables.ts';

/**
 * Every statement on the invitations table, prepared once per Deps through deps.statement. The rules (expiry,
 * duplicates, who may invite, acceptance) and the transactions stay in invitations.ts.
 */

interface InvitationRecord {
  id: string;
  company_id: string;
  email: string;
  role: CompanyRole;
  business_unit_id: string | null;
  modules: string;
  permissions: string;
  invited_by: string | null;
  inviter_name: string;
  token_hash: string;
  status: InvitationStatus;
  expires_at: number;
  sent_count: number;
  accepted_user_id: string | null;
  accepted_at: number | null;
  cancelled_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = `id, company_id, email, role, business_unit_id, modules, permissions, invited_by, inviter_name, token_hash, status,
  expires_at, sent_count, accepted_user_id, accepted_at, cancelled_at, created_at, updated_at`;

function toInvitation(r: InvitationRecord): InvitationRow {
  return {
    id: r.id,
    companyId: r.company_id,
    email: r.email,
    role: r.role,
    businessUnitId: r.business_unit_id,
    modules: JSON.parse(r.modules) as string[],
    permissions: JSON.parse(r.permissions) as string[],
    invitedBy: r.invited_by,
    inviterName: r.inviter_name,
    tokenHash: r.token_hash,
    status: r.status,
    expiresAt: new Date(r.expires_at),
    sentCount: r.sent_count,
    acceptedUserId: r.accepted_user_id,
    acceptedAt: r.accepted_at === null ? null : new Date(r.accepted_at),
    cancelledAt: r.cancelled_at === null ? null : new Date(r.cancelled_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function one(r: unknown): InvitationRow | undefined {
  return r ? toInvitation(r as InvitationRecord) : undefined;
}

export function selectInvitationById(deps: Deps, id: string): InvitationRow | undefined {
  return one(deps.statement(`SELECT ${COLUMNS} FROM invitations WHERE id = ?`).get(id));
}

export function selectInvitationInCompany(deps: Deps, companyId: string, id: string): InvitationRow | undefined {
  return one(deps.statement(`SELECT ${COLUMNS} FROM invitations WHERE id = ? AND company_id = ?`).get(id, companyId));
}

export function selectInvitationByTokenHash(deps: Deps, tokenHash: string): InvitationRow | undefined {
  return one(deps.statement(`SELECT ${COLUMNS} FROM invitations WHERE token_hash = ?`).get(tokenHash));
}

/** A company's invitations, newest first. */
export function selectInvitationsOfCompany(deps: Deps, companyId: string): InvitationRow[] {
  return (deps.statement(`SELECT ${COLUMNS} FROM invitations WHERE company_id = ? ORDER BY created_at DESC`).all(companyId) as InvitationRecord[]).map(
    toInvitation,
  );
}

/** The id of the pending invitation of this email to the company, if any (at most one: a unique index). */
export function selectPendingInvitationId(deps: Deps, companyId: string, email: string): string | undefined {
  return deps
    .statement("SELECT id FROM invitations WHERE company_id = ? AND email = ? AND status = 'pending'")
    .pluck()
    .get(companyId, email) as string | undefined;
}

/** Pending invitations whose expiry has passed: of one company, or of every company when companyId is null. */
export function selectDueInvitations(deps: Deps, companyId: string | null, now: Date): { id: string; companyId: string }[] {
  return deps
    .statement(
      `SELECT id, company_id AS companyId FROM invitations
        WHERE (? IS NULL OR company_id = ?) AND status = 'pending' AND expires_at <= ?`,
    )
    .all(companyId, companyId, now.getTime()) as { id: string; companyId: string }[];
}

export function insertInvitation(deps: Deps, row: InvitationRow): void {
  deps
    .statement(`INSERT INTO invitations (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      row.id,
      row.companyId,
      row.email,
      row.role,
      row.businessUnitId,
      JSON.stringify(row.modules),
      JSON.stringify(row.permissions),
      row.invitedBy,
      row.inviterName,
      row.tokenHash,
      row.status,
      row.expiresAt.getTime(),
      row.sentCount,
      row.acceptedUserId,
      row.acceptedAt?.getTime() ?? null,
      row.cancelledAt?.getTime() ?? null,
      row.createdAt.getTime(),
      row.updatedAt.getTime(),
    );
}

/** A resend: a new token, a fresh expiry, pending again. */
export function updateInvitationToken(deps: Deps, row: InvitationRow): void {
  deps
    .statement('UPDATE invitations SET token_hash = ?, status = ?, expires_at = ?, sent_count = ?, updated_at = ? WHERE id = ?')
    .run(row.tokenHash, row.status, row.expiresAt.getTime(), row.sentCount, row.updatedAt.getTime(), row.id);
}

export function markInvitationExpired(deps: Deps, id: string, now: Date): void {
  deps.statement("UPDATE invitations SET status = 'expired', updated_at = ? WHERE id = ?").run(now.getTime(), id);
}

export function markInvitationCancelled(deps: Deps, id: string, now: Date): void {
  deps.statement("UPDATE invitations SET status = 'cancelled', cancelled_at = ?, updated_at = ? WHERE id = ?").run(now.getTime(), now.getTime(), id);
}

export function markInvitationAccepted(deps: Deps, id: string, userId: string, now: Date): void {
  deps
    .statement("UPDATE invitations SET status = 'accepted', accepted_user_id = ?, accepted_at = ?, updated_at = ? WHERE id = ?")
    .run(userId, now.getTime(), now.getTime(), id);
}
