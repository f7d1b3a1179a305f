import type { Deps } from '../app/deps.ts';

/** All SQL of the passkeys context: WebAuthn credentials per user, and the challenges already used. */
export interface PasskeyRow {
  credential_id: string;
  user_id: string;
  name: string;
  public_key: Buffer;
  counter: number;
  /** JSON array of the authenticator's transports (usb, internal, hybrid, …). */
  transports: string;
  device_type: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

export function insertPasskey(deps: Deps, row: PasskeyRow): void {
  deps
    .statement(
      `INSERT INTO passkeys (credential_id, user_id, name, public_key, counter, transports, device_type, backed_up, created_at, last_used_at)
       VALUES (@credential_id, @user_id, @name, @public_key, @counter, @transports, @device_type, @backed_up, @created_at, @last_used_at)`,
    )
    .run(row);
}

export function findPasskey(deps: Deps, credentialId: string): PasskeyRow | undefined {
  return deps.statement('SELECT * FROM passkeys WHERE credential_id = ?').get(credentialId) as PasskeyRow | undefined;
}

export function listPasskeysOf(deps: Deps, userId: string): PasskeyRow[] {
  return deps.statement('SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, credential_id').all(userId) as PasskeyRow[];
}

export function hasPasskey(deps: Deps, userId: string): boolean {
  return deps.statement('SELECT 1 FROM passkeys WHERE user_id = ? LIMIT 1').get(userId) !== undefined;
}

/** Every passkey of a user (an operator's MFA reset); returns how many went. */
export function deletePasskeysOf(deps: Deps, userId: string): number {
  return deps.statement('DELETE FROM passkeys WHERE user_id = ?').run(userId).changes;
}

export function deletePasskey(deps: Deps, userId: string, credentialId: string): boolean {
  return deps.statement('DELETE FROM passkeys WHERE user_id = ? AND credential_id = ?').run(userId, credentialId).changes === 1;
}

/** Records a use; the signature counter only moves forward (a counter of 0 is an authenticator that does not count). */
export function recordPasskeyUse(deps: Deps, credentialId: string, counter: number, nowMs: number): boolean {
  return (
    deps
      .statement('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ? AND (counter < ? OR (counter = 0 AND ? = 0))')
      .run(counter, nowMs, credentialId, counter, counter).changes === 1
  );
}

/** Marks a challenge used; false when it already was (a replayed ceremony). */
export function spendChallenge(deps: Deps, challenge: string, expiresAtMs: number): boolean {
  return deps.statement('INSERT INTO passkey_spent_challenges (challenge, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(challenge, expiresAtMs).changes === 1;
}

/** Forgets used challenges that have expired anyway (their sealed page is refused by its expiry). */
export function purgeSpentChallenges(deps: Deps, before: number): number {
  return deps.statement('DELETE FROM passkey_spent_challenges WHERE expires_at < ?').run(before).changes;
}
