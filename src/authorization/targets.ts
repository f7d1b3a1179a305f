/**
 * What each action of the policy (policy.ts) is judged against: one entry per action, named `<thing>.<verb>`
 * (or the tenant-API scope it needs). TypeScript refuses an action without a rule in policy.ts' RULES, and a call
 * of authorize() with the wrong target.
 */
import type { EffectiveAccess } from '../access/effective-access.ts';
import type { UserRow } from '../identity/tables.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { ProfileActor } from '../payments/actors.ts';
import type { AccessChange } from './delegation.ts';
import type { PatchableUserField } from './rights-table.ts';

/** A user an action is aimed at: enough of the row to judge it. */
export type TargetUser = Pick<UserRow, 'id' | 'globalRole'>;

/** Every action, with the target it is judged against. */
export interface Targets {
  // The user directory (seed 002 §5.1).
  'user.list': Record<string, never>;
  'user.create': Record<string, never>;
  /** PATCH /internal/users/{id}: every field sent. */
  'user.update': { user: TargetUser; fields: readonly PatchableUserField[] };
  'user.delete': { user: TargetUser };
  /** A user's own fields and memberships: GET /auth/me, /auth/me/access (self), /internal/users/{id}/context (machine). */
  'user.context.read': { userId: string };

  // One company (§5.1a).
  'company.users.list': { companyId: string };
  'businessUnit.users.list': { companyId: string };
  /**
   * `user` null: no such (live) user — 404, once the caller's right in the company is established. `current`:
   * the role of the user's existing row in this company (null: none); `next`: the role asked for.
   */
  'membership.upsert': { companyId: string; userId: string; user: TargetUser | null; current: CompanyRole | null; next: CompanyRole; hasRowHere: boolean };
  /** `current` null: there is no such membership (404 once the caller's right here is established). */
  'membership.remove': { companyId: string; current: CompanyRole | null };
  /** `hasRowHere`: the user already has a company or business-unit membership row in this company. */
  'businessUnitMembership.upsert': { companyId: string; userId: string; user: TargetUser | null; hasRowHere: boolean };
  'businessUnitMembership.remove': { companyId: string };

  // Access (§13–§16).
  'entitlements.read': { companyId: string };
  'entitlements.set': { companyId: string };
  'access.read': { companyId: string; userId: string };
  /** `ownAccess`: the caller's own effective access in the company (see `needsOwnAccess`). */
  'access.change': { companyId: string; targetRole: CompanyRole; change: AccessChange; ownAccess: EffectiveAccess | null };
  /**
   * Putting permissions where they reach members (an access role's bundle, a group, an assignment): the caller
   * must control each one (§15), and `targetRole` (the member it reaches directly; null for a role or group) must be
   * a role it manages.
   */
  'access.delegate': { companyId: string; permissions: readonly string[]; targetRole: CompanyRole | null };
  'delegation.read': { companyId: string };
  'delegation.set': { companyId: string };

  // Invitations (§4.9).
  'invitation.create': { companyId: string; role: CompanyRole; change: AccessChange; ownAccess: EffectiveAccess | null };
  /** List, read, resend, cancel. */
  'invitation.manage': { companyId: string };

  // Payments, payment profiles and OSS reports of one tenant (API keys with payments:write / reports:read join here).
  /** Create, change or delete a payment profile belonging to `owner`. */
  'paymentProfile.manage': { companyId: string; owner: ProfileActor };
  'paymentProfile.read': { companyId: string; owner: ProfileActor };
  /** Every profile of the tenant (otherwise a caller lists only its own). */
  'paymentProfile.listAll': { companyId: string };
  /** Report a payment or a refund. */
  'payment.report': { companyId: string };
  'payment.read': { companyId: string };
  'ossReport.read': { companyId: string };

  // Applications (OAuth clients) of one tenant (issue 11); named by the API-key scope they need.
  'clients:read': { companyId: string };
  'clients:write': { companyId: string };
  /** The tenant as an OpenID Provider: signing algorithm, hosted-page branding. */
  'tenant.oidc.configure': { companyId: string };

  // The tenant API (/t/{slug}/api/v1/…): actions named by the API-key scope they need (`<resource>:read|write`).
  /** Members of the tenant and their effective permissions. */
  'users:read': { companyId: string };
  'users:write': { companyId: string };
  /** Access roles (bundles of permissions) and their assignments. */
  'roles:read': { companyId: string };
  'roles:write': { companyId: string };
  /** Groups, their members and their permissions. */
  'groups:read': { companyId: string };
  'groups:write': { companyId: string };
  /** Direct grants of permissions to members. */
  'grants:read': { companyId: string };
  'grants:write': { companyId: string };

  // The ownership registry (seed 000; API keys with ownership:read / ownership:write join here).
  /** Who owns a resource, one owner's resources, where a resource's money goes. */
  'ownership.read': { companyId: string };
  /** Register the owner of a resource nobody owns yet. */
  'ownership.register': { companyId: string };
  /** Transfer or forget a resource owned by `owner`. */
  'ownership.change': { companyId: string; owner: ProfileActor };
  /** What owners may do to their own resources, per resource type. */
  'ownerPolicy.set': { companyId: string };

  /** Ask the authorization check about a subject of the tenant (resource servers: API keys with authorize:read, clients, platform staff). */
  'decision.check': { companyId: string };

  // Agents (seed 000; API keys with agents:read / agents:write join here).
  /** Create, change, rotate or revoke an agent owned by `owner`; read it. */
  'agent.manage': { companyId: string; owner: { type: 'user' | 'group'; id: string } };
  'agent.read': { companyId: string; owner: { type: 'user' | 'group'; id: string } };
  /** Every agent of the tenant (otherwise a caller lists only its own). */
  'agent.listAll': { companyId: string };
  // The tenant API's credentials and integrations (issue 15 §6–§7). API keys are managed by people only (no scope
  // opens them); webhooks by people and by API keys with webhooks:read / webhooks:write.
  'apiKey.read': { companyId: string };
  'apiKey.manage': { companyId: string };
  'webhooks:read': { companyId: string };
  'webhooks:write': { companyId: string };
  // MFA (issue 13): a user's own authenticator, and what operators and platform staff may do about it.
  /** Enrol, confirm, regenerate recovery codes, disable, read: the user themself only. */
  'mfa.self': { userId: string };
  /** Whether a user has MFA (never its secret): platform staff, and the user. */
  'mfa.read': { user: TargetUser };
  /** Remove a user's authenticator and recovery codes (a lost phone): platform admins and the operator. */
  'mfa.reset': { user: TargetUser };
  /** Require MFA of a tenant's members, or stop requiring it. */
  'tenant.mfaPolicy.set': { companyId: string };
}

export type Action = keyof Targets;
