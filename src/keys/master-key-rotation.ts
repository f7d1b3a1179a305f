import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { decryptSecret, encryptSecret, rotateMasterKeyring, writeMasterKeyring } from './master-key.ts';
import { selectSealedPrivateKeys, updateSealedPrivateKey } from './store.ts';
import { signingKeyAad as aad } from './signing-keys.ts';
import { resealTotpSecrets } from '../mfa/second-factor.ts';

export interface MasterKeyRotation {
  previousKeyId: string;
  currentKeyId: string;
  /** Signing private keys now encrypted under the new master key. */
  reencryptedKeys: number;
  /** Every key id the key file now holds (old ones are kept to read old audit entries and secrets). */
  keyIds: string[];
}

/**
 * Makes a fresh master key current. Order matters for crash safety: the key file (old keys kept) is written
 * first and atomically, so whatever happens next every row stays decryptable; then, in one transaction, every
 * signing private key is re-encrypted under the new key and the rotation is audited in the platform chain.
 * Audit entries are never rewritten: each names its key_id, and verify derives that key's HMAC key.
 */
export function rotateMasterKey(deps: Deps, actor: Actor): MasterKeyRotation {
  const previousKeyId = deps.masterKeys.currentId;
  const next = rotateMasterKeyring(deps.masterKeys);
  writeMasterKeyring(deps.config.masterKeyFile, next);
  // Adopt the new ring in this process, so the audit entry below is already HMAC-ed under the new key.
  deps.masterKeys.keys = next.keys;
  deps.masterKeys.currentId = next.currentId;

  const reencryptedKeys = deps.sqlite.transaction(() => {
    const rows = selectSealedPrivateKeys(deps);
    for (const row of rows) {
      const pkcs8 = decryptSecret(deps.masterKeys, row.privateKeyEnc, aad(row.kid), row.masterKeyId);
      updateSealedPrivateKey(deps, row.kid, encryptSecret(deps.masterKeys, pkcs8, aad(row.kid)), next.currentId);
      pkcs8.fill(0);
    }
    const resealedTotpSecrets = resealTotpSecrets(deps);
    deps.audit.append(deps.platformTenantId(), {
      actor,
      type: 'master_key.rotated',
      target: { type: 'master_key', id: next.currentId },
      payload: { previousKeyId, reencryptedSigningKeys: rows.length, resealedTotpSecrets },
    });
    return rows.length;
  })();
  deps.keyring.invalidate();
  return { previousKeyId, currentKeyId: next.currentId, reencryptedKeys, keyIds: [...next.keys.keys()] };
}
