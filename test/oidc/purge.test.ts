import { describe, expect, it } from 'vitest';
import { createTestInstance } from '../support/deps.ts';
import { insertAuthorizationCode, insertRevokedAccessToken, isAccessTokenRevoked, selectAuthorizationCode } from '../../src/oidc/store.ts';
import { purgeOidcArtefacts } from '../../src/oidc/purge-job.ts';

describe('oidc purge job', () => {
  it('deletes codes a day past their minute and revocations past their exp, audited', async () => {
    const t = await createTestInstance();
    try {
      const now = t.clock.nowMs();
      const code = (hash: string, expiresAtMs: number) =>
        insertAuthorizationCode(t.deps, {
          codeHash: hash, tenantId: t.master.id, clientId: 'c', redirectUri: 'https://a/cb', codeChallenge: null, scope: 'openid', nonce: null,
          ssoSessionId: 's', userId: 'u', authTimeMs: now, expiresAtMs, usedAtMs: null, grantSessionId: null,
        });
      code('old', now - 25 * 3600_000);
      code('recent', now - 3600_000);
      insertRevokedAccessToken(t.deps, 'gone', t.master.id, now - 1);
      insertRevokedAccessToken(t.deps, 'live', t.master.id, now + 60_000);
      expect(purgeOidcArtefacts(t.deps)).toEqual({ codes: 1, revocations: 1 });
      expect(selectAuthorizationCode(t.deps, 'old')).toBeUndefined();
      expect(selectAuthorizationCode(t.deps, 'recent')).toBeDefined();
      expect(isAccessTokenRevoked(t.deps, 'live')).toBe(true);
      expect(t.deps.sqlite.prepare("SELECT count(*) AS n FROM audit_entries WHERE event_type = 'oidc.purged'").get()).toEqual({ n: 1 });
      expect(purgeOidcArtefacts(t.deps)).toEqual({ codes: 0, revocations: 0 });
    } finally {
      t.close();
    }
  });
});
