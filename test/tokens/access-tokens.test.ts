import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { issueAccessToken } from '../../src/tokens/access-tokens.ts';
import { revokeAllSessions, revokeSession, startSession } from '../../src/sessions/sessions.ts';
import { listSigningKeys, retireSigningKey, rotateSigningKey } from '../../src/keys/signing-keys.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { principalOf } from '../../src/http/plugins/authenticate.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('access tokens and the Bearer check', () => {
  let t: TestInstance;
  let app: App;
  beforeEach(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    app.get('/probe', { preHandler: app.authenticate }, async (req) => ({ userId: principalOf(req).userId }));
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  const signIn = async () => {
    const { session } = t.deps.sqlite.transaction(() => startSession(t.deps, t.admin.id))();
    const { accessToken } = await issueAccessToken(t.deps, t.admin, session);
    return { session, accessToken };
  };
  const probe = (token: string) => app.inject({ method: 'GET', url: '/probe', headers: { authorization: `Bearer ${token}` } });

  it('carries exactly the §8 claims, RS256 with the platform kid and no nbf', async () => {
    const { accessToken, session } = await signIn();
    const header = decodeProtectedHeader(accessToken);
    expect(header.alg).toBe('RS256');
    expect(header.kid).toBe(t.deps.keyring.active(t.master.id).kid);
    const claims = decodeJwt(accessToken);
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'authType', 'email', 'exp', 'globalRole', 'iat', 'id', 'isVendor', 'iss', 'name', 'roles', 'sessionId', 'sub', 'tokenVersion', 'vendorId'].sort(),
    );
    expect(claims).toMatchObject({
      id: t.admin.id,
      sub: t.admin.id,
      sessionId: session.id,
      authType: 'internal',
      globalRole: 'PLATFORM_SUPERADMIN',
      roles: 'Admin',
      isVendor: false,
      vendorId: null,
      tokenVersion: 1,
      aud: 'kimauth-apps',
    });
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it('accepts a live token and rejects revoked sessions, stale tokenVersion and expiry', async () => {
    const a = await signIn();
    expect((await probe(a.accessToken)).json()).toEqual({ userId: t.admin.id });

    t.deps.sqlite.transaction(() => revokeSession(t.deps, a.session.id, 'logout', TEST_ACTOR))();
    expect((await probe(a.accessToken)).json().error.code).toBe('session_revoked');

    const b = await signIn();
    t.deps.sqlite.prepare('UPDATE users SET token_version = token_version + 1 WHERE id = ?').run(t.admin.id);
    const stale = await probe(b.accessToken);
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('unauthorized');

    const c = await signIn();
    t.deps.sqlite.transaction(() => revokeAllSessions(t.deps, t.admin.id, 'test', TEST_ACTOR, { bumpTokenVersion: true }))();
    expect((await probe(c.accessToken)).json().error.code).toBe('session_revoked');

    t.deps.sqlite.prepare('UPDATE users SET token_version = 1 WHERE id = ?').run(t.admin.id);
    const d = await signIn();
    t.clock.advance(901_000);
    const expired = await probe(d.accessToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toEqual({ code: 'unauthorized', message: 'Access token has expired' });
  });

  it('stops accepting an already-verified token once its signing key is retired', async () => {
    const a = await signIn();
    expect((await probe(a.accessToken)).statusCode).toBe(200);
    expect((await probe(a.accessToken)).statusCode).toBe(200);
    const [old] = listSigningKeys(t.deps, t.master.id);
    await rotateSigningKey(t.deps, t.master.id, TEST_ACTOR);
    expect((await probe(a.accessToken)).statusCode).toBe(200);
    retireSigningKey(t.deps, old.kid, TEST_ACTOR, { force: true });
    const res = await probe(a.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toEqual({ code: 'unauthorized', message: 'Invalid access token' });
  });

  it('rejects a missing header with 401 unauthorized', async () => {
    const res = await app.inject({ method: 'GET', url: '/probe' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});
