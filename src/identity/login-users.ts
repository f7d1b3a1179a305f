import type { Deps } from '../app/deps.ts';
import type { AccountState } from './account-status.ts';
import type { GlobalRole } from './tables.ts';
import { selectSignInRecordByEmail, selectSignInRecordById, selectStandingRecordById, type SignInUserRecord } from './store.ts';

/** The columns sign-in and refresh need, read with one prepared statement (hot paths). */
export interface SignInUser extends AccountState {
  id: string;
  email: string;
  fullName: string;
  passwordHash: string | null;
  globalRole: GlobalRole;
  tokenVersion: number;
  /** OIDC `email_verified`: kimauth has proof the user controls this email (markEmailVerified). */
  emailVerified: boolean;
}

export function toSignInUser(r: SignInUserRecord): SignInUser {
  return {
    id: r.id,
    email: r.email,
    fullName: r.full_name,
    passwordHash: r.password_hash,
    globalRole: r.global_role,
    approvalStatus: r.approval_status,
    isActive: r.is_active === 1,
    deletedAt: r.deleted_at,
    tokenVersion: r.token_version,
    emailVerified: r.email_verified_at !== null,
  };
}

export function findSignInUserByEmail(deps: Deps, normalizedEmail: string): SignInUser | undefined {
  const r = selectSignInRecordByEmail(deps, normalizedEmail);
  return r ? toSignInUser(r) : undefined;
}

export type { SignInUserRecord };

/** The same fields by id: the one prepared read of hot paths that ask whether a user may still act. */
export function findSignInUserById(deps: Deps, userId: string): SignInUser | undefined {
  const r = selectSignInRecordById(deps, userId);
  return r ? toSignInUser(r) : undefined;
}

/** A user's standing: the account state, its global role and tokenVersion. */
export interface UserStanding extends AccountState {
  globalRole: GlobalRole;
  tokenVersion: number;
}

/** The standing alone, by id: for hot paths that ask only whether a user may still act (Bearer checks, agent owners). */
export function findUserStandingById(deps: Deps, userId: string): UserStanding | undefined {
  const r = selectStandingRecordById(deps, userId);
  if (!r) return undefined;
  return { globalRole: r.global_role, approvalStatus: r.approval_status, isActive: r.is_active === 1, deletedAt: r.deleted_at, tokenVersion: r.token_version };
}
