import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { AppError, conflict, forbidden, notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { ownAccessFor, writeGrants } from '../access/membership-access.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';
import { authorize } from '../authorization/policy.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { normalizeModules, normalizePermissions } from '../access/modules.ts';
import type { UserRow } from '../identity/tables.ts';
import { createUser, findUserByEmail, findUserById, normalizeEmail } from '../identity/users.ts';
import { assertPasswordPolicy, verifyPassword } from '../identity/passwords.ts';
import { frontendLink } from '../mail/links.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { markEmailVerified } from '../identity/email-verification.ts';
import { writeBusinessUnitMembership, writeCompanyMembership } from '../memberships/memberships.ts';
import { getCompanyById as getCompany } from '../tenants/tenants.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import {
  insertInvitation,
  markInvitationAccepted,
  markInvitationCancelled,
  markInvitationExpired,
  selectDueInvitations,
  selectInvitationById,
  selectInvitationByTokenHash,
  selectInvitationInCompany,
  selectInvitationsOfCompany,
  selectPendingInvitationId,
  updateInvitationToken,
} from './store.ts';
import type { InvitationRow, InvitationStatus } from './tables.ts';

/** The statuses an invitation can be listed by (defined with the table). */
export { INVITATION_STATUSES, type InvitationStatus } from './tables.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

export interface InvitationView {
  id: string;
  companyId: string;
  email: string;
  role: CompanyRole;
  businessUnitId: string | null;
  modules: string[];
  permissions: string[];
  invitedBy: { id: string | null; name: string };
  status: InvitationStatus;
  expiresAt: string;
  sentCount: number;
  acceptedUserId: string | null;
  acceptedAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A pending invitation past its expiry reads as expired even before anything wrote that down. */
export function invitationView(deps: Deps, row: InvitationRow): InvitationView {
  const expired = row.status === 'pending' && row.expiresAt.getTime() <= deps.clock.nowMs();
  return {
    id: row.id,
    companyId: row.companyId,
    email: row.email,
    role: row.role,
    businessUnitId: row.businessUnitId,
    modules: row.modules,
    permissions: row.permissions,
    invitedBy: { id: row.invitedBy, name: row.inviterName },
    status: expired ? 'expired' : row.status,
    expiresAt: row.expiresAt.toISOString(),
    sentCount: row.sentCount,
    acceptedUserId: row.acceptedUserId,
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What create and resend hand back; `acceptUrl` only with KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN (development). */
export interface IssuedInvitation {
  invitation: InvitationView;
  acceptUrl?: string;
}

function acceptUrlFor(deps: Deps, token: string): string {
  return frontendLink(deps.config, 'accept-invitation', token);
}

function queueInvitationMail(deps: Deps, row: InvitationRow, company: TenantRow, token: string): void {
  enqueueMail(deps, {
    template: 'invitation',
    to: row.email,
    data: { companyName: company.name, inviterName: row.inviterName, role: row.role, acceptUrl: acceptUrlFor(deps, token), expiresAt: row.expiresAt.toISOString() },
  });
}

function issued(deps: Deps, row: InvitationRow, token: string): IssuedInvitation {
  const view = invitationView(deps, row);
  return deps.config.exposePasswordResetToken ? { invitation: view, acceptUrl: acceptUrlFor(deps, token) } : { invitation: view };
}

/**
 * Writes down that due pending invitations expired (so the pending-unique index frees up), each audited in its
 * company's chain. One company, or every company (the daily maintenance purge). Returns how many expired.
 */
function expireDue(deps: Deps, companyId: string | null, actor: Actor): number {
  const due = selectDueInvitations(deps, companyId, deps.clock.now());
  for (const { id, companyId: owner } of due) {
    markInvitationExpired(deps, id, deps.clock.now());
    deps.audit.append(owner, { actor, type: 'invitation.expired', target: { type: 'invitation', id }, payload: {} });
  }
  return due.length;
}

/** Marks every pending invitation past its expiry as expired. Call inside the transaction of the purge. */
export function expireDueInvitations(deps: Deps, actor: Actor): number {
  if (!deps.sqlite.inTransaction) throw new Error('expireDueInvitations must run inside a transaction');
  return expireDue(deps, null, actor);
}

export interface CreateInvitationInput {
  email: string;
  role: CompanyRole;
  businessUnitId?: string | null;
  modules?: string[];
  permissions?: string[];
}

function inviterName(deps: Deps, caller: Principal): string {
  if (caller.type === 'user') return findUserById(deps, caller.id)?.fullName ?? 'kimauth';
  return 'kimauth';
}

export async function createInvitation(deps: Deps, caller: Principal, companyId: string, input: CreateInvitationInput): Promise<IssuedInvitation> {
  const company = getCompany(deps, companyId);
  if (company.status !== 'active') throw forbidden('This company is disabled; enable it before inviting anyone');
  const email = normalizeEmail(input.email);
  const modules = normalizeModules(input.modules ?? []);
  const permissions = normalizePermissions(input.permissions ?? []);
  if (input.role === 'MANAGER' && !input.businessUnitId) {
    throw validationError('Inviting a MANAGER needs businessUnitId: the business unit the manager approves for (§5.1)');
  }
  const ownAccess = await ownAccessFor(deps, caller, company.id);
  const token = newOpaqueToken();
  const row = deps.sqlite.transaction(() => {
    authorize(deps, caller, 'invitation.create', { companyId: company.id, role: input.role, change: { modules, permissions }, ownAccess });
    const existingUser = findUserByEmail(deps, email);
    if (existingUser && activeCompanyRole(deps, existingUser.id, company.id)) throw conflict(`${email} is already a member of this company`);
    expireDue(deps, company.id, caller);
    if (selectPendingInvitationId(deps, company.id, email)) throw conflict(`${email} already has a pending invitation to this company`);
    const now = deps.clock.now();
    const row: InvitationRow = {
      id: randomUUID(),
      companyId: company.id,
      email,
      role: input.role,
      businessUnitId: input.businessUnitId ?? null,
      modules,
      permissions,
      invitedBy: caller.type === 'user' ? caller.id : null,
      inviterName: inviterName(deps, caller),
      tokenHash: hashOpaqueToken(token),
      status: 'pending',
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      sentCount: 1,
      acceptedUserId: null,
      acceptedAt: null,
      cancelledAt: null,
      createdAt: now,
      updatedAt: now,
    };
    insertInvitation(deps, row);
    deps.audit.append(company.id, {
      actor: caller,
      type: 'invitation.created',
      target: { type: 'invitation', id: row.id },
      payload: { email, role: row.role, businessUnitId: row.businessUnitId, modules, permissions, expiresAt: row.expiresAt.toISOString() },
    });
    queueInvitationMail(deps, row, company, token);
    return row;
  })();
  return issued(deps, row, token);
}

function invitationInCompany(deps: Deps, companyId: string, id: string): InvitationRow {
  const row = selectInvitationInCompany(deps, companyId, id);
  if (!row) throw notFound(`Invitation "${id}"`);
  return row;
}

export function listInvitations(deps: Deps, caller: Principal, companyId: string, filter: { status?: InvitationStatus } = {}): InvitationView[] {
  const company = getCompany(deps, companyId);
  authorize(deps, caller, 'invitation.manage', { companyId: company.id });
  const rows = selectInvitationsOfCompany(deps, company.id);
  const views = rows.map((r) => invitationView(deps, r));
  return filter.status ? views.filter((v) => v.status === filter.status) : views;
}

export function getInvitation(deps: Deps, caller: Principal, companyId: string, id: string): InvitationView {
  const company = getCompany(deps, companyId);
  authorize(deps, caller, 'invitation.manage', { companyId: company.id });
  return invitationView(deps, invitationInCompany(deps, company.id, id));
}

/** A new token and a new expiry; the old link stops working at once. Pending or expired invitations only. */
export function resendInvitation(deps: Deps, caller: Principal, companyId: string, id: string): IssuedInvitation {
  const company = getCompany(deps, companyId);
  const token = newOpaqueToken();
  const row = deps.sqlite.transaction(() => {
    authorize(deps, caller, 'invitation.manage', { companyId: company.id });
    const current = invitationInCompany(deps, company.id, id);
    if (current.status === 'accepted' || current.status === 'cancelled') throw conflict(`The invitation is ${current.status}`);
    expireDue(deps, company.id, caller);
    const clash = selectPendingInvitationId(deps, company.id, current.email);
    if (clash && clash !== current.id) throw conflict(`${current.email} already has another pending invitation to this company`);
    const now = deps.clock.now();
    const next: InvitationRow = {
      ...current,
      tokenHash: hashOpaqueToken(token),
      status: 'pending',
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      sentCount: current.sentCount + 1,
      updatedAt: now,
    };
    updateInvitationToken(deps, next);
    deps.audit.append(company.id, { actor: caller, type: 'invitation.resent', target: { type: 'invitation', id }, payload: { expiresAt: next.expiresAt.toISOString() } });
    queueInvitationMail(deps, next, company, token);
    return next;
  })();
  return issued(deps, row, token);
}

export function cancelInvitation(deps: Deps, caller: Principal, companyId: string, id: string): InvitationView {
  const company = getCompany(deps, companyId);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'invitation.manage', { companyId: company.id });
    const current = invitationInCompany(deps, company.id, id);
    if (current.status === 'accepted') throw conflict('The invitation was already accepted');
    if (current.status === 'cancelled') return invitationView(deps, current);
    const now = deps.clock.now();
    markInvitationCancelled(deps, id, now);
    deps.audit.append(company.id, { actor: caller, type: 'invitation.cancelled', target: { type: 'invitation', id }, payload: { email: current.email } });
    return invitationView(deps, { ...current, status: 'cancelled', cancelledAt: now, updatedAt: now });
  })();
}

export interface AcceptInvitationInput {
  token: string;
  /** New users: their display name and password. */
  name?: string;
  password?: string;
  /** When sent (x-org), must be the invitation's company. */
  companyId?: string;
}

export interface AcceptedInvitation {
  invitation: InvitationView;
  userId: string;
  companyId: string;
  role: CompanyRole;
  createdUser: boolean;
}

function findByToken(deps: Deps, token: string): InvitationRow {
  const row = selectInvitationByTokenHash(deps, hashOpaqueToken(token));
  // Cancelled invitations and replaced tokens are simply unknown to the holder of the link.
  if (!row || row.status === 'cancelled') throw notFound('Invitation');
  return row;
}

/**
 * Accepts with the token. A new email becomes an approved, active user (the invitation vouches for it) with
 * `name` and `password`; an existing account must prove itself — signed in as that email, or its password.
 * User, membership, initial grants and the accepted status are written in one transaction.
 * Expired → 400 validation_error (status becomes expired); cancelled or replaced token → 404; accepted → 409.
 */
export async function acceptInvitation(deps: Deps, caller: Principal, input: AcceptInvitationInput): Promise<AcceptedInvitation> {
  const found = findByToken(deps, input.token);
  if (input.companyId && input.companyId !== found.companyId) throw notFound('Invitation');
  if (found.status === 'accepted') throw conflict('The invitation was already accepted');
  if (found.status === 'expired' || found.expiresAt.getTime() <= deps.clock.nowMs()) {
    // Written down by whoever presented the expired link (as the purge job would, later).
    deps.sqlite.transaction(() => expireDue(deps, found.companyId, caller))();
    throw validationError('The invitation has expired; ask for a new one');
  }
  const company = getCompany(deps, found.companyId);
  if (company.status !== 'active') throw forbidden('This company is disabled; the invitation cannot be accepted now');
  const existing = findUserByEmail(deps, found.email);
  // A signed-in caller (Bearer) proves the account; anyone else proves it with its password, or is new.
  const signedIn = caller.type === 'user' ? findUserById(deps, caller.id) : undefined;
  if (signedIn && signedIn.email !== found.email) throw forbidden('This invitation is for another email address');

  const complete = (user: UserRow, created: boolean): AcceptedInvitation => {
    // The accepted invitation is the authority for these writes; the invitee is their actor.
    const actor = provenUser(caller, user.id);
    const current = selectInvitationById(deps, found.id);
    // Re-checked inside the transaction: a resend, cancel or second accept in between wins.
    if (!current || current.tokenHash !== found.tokenHash || current.status !== 'pending') throw conflict('The invitation changed meanwhile; try again');
    if (activeCompanyRole(deps, user.id, company.id)) throw conflict('You are already a member of this company');
    if (current.role === 'MANAGER' && current.businessUnitId) {
      writeBusinessUnitMembership(deps, actor, company, current.businessUnitId, { userId: user.id, role: 'APPROVER', isActive: true });
    }
    // What the new member now holds is announced as permissions.changed (src/permissions).
    trackPermissionChanges(deps, company.id, actor, () => [user.id], () => {
      writeCompanyMembership(deps, actor, company, { userId: user.id, role: current.role, isActive: true });
      writeGrants(deps, company.id, user.id, { modules: current.modules, permissions: current.permissions }, actor);
    });
    const now = deps.clock.now();
    markInvitationAccepted(deps, found.id, user.id, now);
    deps.audit.append(company.id, {
      actor,
      type: 'invitation.accepted',
      target: { type: 'invitation', id: found.id },
      payload: { userId: user.id, createdUser: created, role: current.role },
    });
    // The invitation was mailed to this address.
    markEmailVerified(deps, user.id, 'invitation', actor);
    return {
      invitation: invitationView(deps, { ...current, status: 'accepted', acceptedUserId: user.id, acceptedAt: now, updatedAt: now }),
      userId: user.id,
      companyId: company.id,
      role: current.role,
      createdUser: created,
    };
  };

  if (existing) {
    if (existing.deletedAt || !existing.isActive) throw new AppError('account_inactive', 'Account is inactive');
    if (!signedIn) {
      if (!input.password) throw new AppError('unauthorized', 'An account with this email exists: sign in, or send its password');
      const okPassword = existing.passwordHash ? await verifyPassword(existing.passwordHash, input.password) : false;
      if (!okPassword) throw new AppError('unauthorized', 'Wrong password for the invited account');
    }
    return deps.sqlite.transaction(() => complete(existing, false))();
  }

  if (!input.name?.trim() || !input.password) throw validationError('A new account needs fullName and password');
  assertPasswordPolicy(input.password);
  let result: AcceptedInvitation | undefined;
  await createUser(
    deps,
    { email: found.email, fullName: input.name, password: input.password, approvalStatus: 'APPROVED', isActive: true },
    caller,
    { inTransaction: (user) => (result = complete(user, true)) },
  );
  return result!;
}
