import type { Deps } from '../app/deps.ts';

/**
 * All SQL of the mfa context: TOTP authenticators, recovery codes, sign-in challenges (mfaToken) and tenants'
 * MFA requirement. Other contexts reach these rows only through the services of src/mfa.
 */
export type TotpStatus = 'pending' | 'active';

export interface TotpRow {
  user_id: string;
  /** sealToText(masterKeys, base32 secret, `mfa-totp:<userId>`). */
  secret_sealed: string;
  status: TotpStatus;
  last_step: number | null;
  created_at: number;
  confirmed_at: number | null;
}

export type ChallengePurpose = 'verify' | 'enroll';

export interface ChallengeRow {
  token_hash: string;
  user_id: string;
  purpose: ChallengePurpose;
  first_factor: string;
  failures: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

// TOTP authenticators

export function findTotp(deps: Deps, userId: string): TotpRow | undefined {
  return deps.statement('SELECT * FROM mfa_totp WHERE user_id = ?').get(userId) as TotpRow | undefined;
}

/** Whether the user has a confirmed authenticator (the sign-in hot path: one indexed read). */
export function hasActiveTotp(deps: Deps, userId: string): boolean {
  return deps.statement("SELECT 1 FROM mfa_totp WHERE user_id = ? AND status = 'active'").get(userId) !== undefined;
}

/** A new pending authenticator, replacing a pending (never an active) one. */
export function upsertPendingTotp(deps: Deps, userId: string, secretSealed: string, nowMs: number): void {
  deps
    .statement(
      `INSERT INTO mfa_totp (user_id, secret_sealed, status, last_step, created_at, confirmed_at) VALUES (?, ?, 'pending', NULL, ?, NULL)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = NULL, created_at = excluded.created_at
       WHERE mfa_totp.status = 'pending'`,
    )
    .run(userId, secretSealed, nowMs);
}

export function activateTotp(deps: Deps, userId: string, step: number, nowMs: number): boolean {
  return (
    deps.statement("UPDATE mfa_totp SET status = 'active', last_step = ?, confirmed_at = ? WHERE user_id = ? AND status = 'pending'").run(step, nowMs, userId)
      .changes === 1
  );
}

/** Records an accepted step; false when the same or a later step was accepted meanwhile (a replay lost the race). */
export function advanceTotpStep(deps: Deps, userId: string, step: number): boolean {
  return (
    deps.statement('UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND (last_step IS NULL OR last_step < ?)').run(step, userId, step).changes === 1
  );
}

export function deleteTotp(deps: Deps, userId: string): number {
  return deps.statement('DELETE FROM mfa_totp WHERE user_id = ?').run(userId).changes;
}

/** Every sealed secret (master-key rotation re-seals them). */
export function listTotpSecrets(deps: Deps): Array<Pick<TotpRow, 'user_id' | 'secret_sealed'>> {
  return deps.statement('SELECT user_id, secret_sealed FROM mfa_totp').all() as Array<Pick<TotpRow, 'user_id' | 'secret_sealed'>>;
}

export function updateTotpSecret(deps: Deps, userId: string, secretSealed: string): void {
  deps.statement('UPDATE mfa_totp SET secret_sealed = ? WHERE user_id = ?').run(secretSealed, userId);
}

// Recovery codes

export function replaceRecoveryCodes(deps: Deps, userId: string, codeHashes: string[], nowMs: number): void {
  deps.statement('DELETE FROM mfa_recovery_codes WHERE user_id = ?').run(userId);
  const insert = deps.statement('INSERT INTO mfa_recovery_codes (code_hash, user_id, created_at, used_at) VALUES (?, ?, ?, NULL)');
  for (const hash of codeHashes) insert.run(hash, userId, nowMs);
}

/** Spends an unused code of this user; false when there is none with that hash. */
export function spendRecoveryCode(deps: Deps, userId: string, codeHash: string, nowMs: number): boolean {
  return (
    deps.statement('UPDATE mfa_recovery_codes SET used_at = ? WHERE code_hash = ? AND user_id = ? AND used_at IS NULL').run(nowMs, codeHash, userId)
      .changes === 1
  );
}

export function countRecoveryCodes(deps: Deps, userId: string): { total: number; unused: number } {
  const row = deps
    .statement('SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), 0) AS unused FROM mfa_recovery_codes WHERE user_id = ?')
    .get(userId) as { total: number; unused: number };
  return row;
}

export function deleteRecoveryCodes(deps: Deps, userId: string): number {
  return deps.statement('DELETE FROM mfa_recovery_codes WHERE user_id = ?').run(userId).changes;
}

// Sign-in challenges

export function insertChallenge(deps: Deps, row: Omit<ChallengeRow, 'failures' | 'used_at'>): void {
  deps
    .statement(
      `INSERT INTO mfa_challenges (token_hash, user_id, purpose, first_factor, failures, created_at, expires_at, used_at)
       VALUES (@token_hash, @user_id, @purpose, @first_factor, 0, @created_at, @expires_at, NULL)`,
    )
    .run(row);
}

export function findChallenge(deps: Deps, tokenHash: string): ChallengeRow | undefined {
  return deps.statement('SELECT * FROM mfa_challenges WHERE token_hash = ?').get(tokenHash) as ChallengeRow | undefined;
}

/** Marks a challenge spent; false when it was spent meanwhile (single use under concurrency). */
export function spendChallenge(deps: Deps, tokenHash: string, nowMs: number): boolean {
  return deps.statement('UPDATE mfa_challenges SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(nowMs, tokenHash).changes === 1;
}

/** Counts a wrong code; returns the failures so far. */
export function recordChallengeFailure(deps: Deps, tokenHash: string): number {
  const row = deps.statement('UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = ? RETURNING failures').get(tokenHash) as
    | { failures: number }
    | undefined;
  return row?.failures ?? 0;
}

/** Spends every open challenge of a user (MFA disabled or reset: an mfaToken issued before must not outlive it). */
export function spendChallengesOf(deps: Deps, userId: string, nowMs: number): number {
  return deps.statement('UPDATE mfa_challenges SET used_at = ? WHERE user_id = ? AND used_at IS NULL').run(nowMs, userId).changes;
}

export function purgeChallenges(deps: Deps, before: number): number {
  return deps.statement('DELETE FROM mfa_challenges WHERE expires_at < ? OR used_at < ?').run(before, before).changes;
}

// Tenants' requirement

export function findTenantRequirement(deps: Deps, tenantId: string): boolean {
  const row = deps.statement('SELECT require_mfa FROM tenant_mfa_policies WHERE tenant_id = ?').get(tenantId) as { require_mfa: number } | undefined;
  return row?.require_mfa === 1;
}

export function upsertTenantRequirement(deps: Deps, tenantId: string, required: boolean, nowMs: number): void {
  deps
    .statement(
      `INSERT INTO tenant_mfa_policies (tenant_id, require_mfa, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET require_mfa = excluded.require_mfa, updated_at = excluded.updated_at`,
    )
    .run(tenantId, required ? 1 : 0, nowMs);
}

/** The ids of every tenant that requires MFA (a short list; joined with a user's memberships by the service). */
export function tenantsRequiringMfa(deps: Deps): string[] {
  return (deps.statement('SELECT tenant_id FROM tenant_mfa_policies WHERE require_mfa = 1').all() as { tenant_id: string }[]).map((r) => r.tenant_id);
}
