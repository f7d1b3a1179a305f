import { afterEach, describe, expect, it } from 'vitest';
import { wipeExpiredSuccessors } from '../../src/sessions/refresh.ts';
import { authHarness, type AuthHarness } from '../support/auth.ts';

/** Issue 9 §5: KIMAUTH_REFRESH_REUSE_GRACE, in process on a fixed clock. */
describe('refresh-token reuse grace', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h?.close();
  });

  const refresh = (refreshToken: string) => h.post('/auth/refresh', { refreshToken });
  const sealedColumn = () =>
    h.t.deps.sqlite.prepare('SELECT successor_sealed FROM refresh_tokens WHERE successor_sealed IS NOT NULL').all() as Array<{ successor_sealed: string }>;

  it('is off by default: presenting a rotated token again revokes the session', async () => {
    h = await authHarness();
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    const again = await refresh(a.refreshToken);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('session_revoked');
    expect((await refresh(b.refreshToken)).json().error.code).toBe('session_revoked');
    expect(sealedColumn()).toEqual([]);
  });

  it('within the grace, before the successor was used, answers the same successor pair again', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    h.t.clock.advance(10_000);
    const replay = await refresh(a.refreshToken);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().data.refreshToken).toBe(b.refreshToken);
    expect((await h.get('/auth/me', replay.json().data.accessToken)).statusCode).toBe(200);
    // Replayed again (a second lost response): still the same successor.
    expect((await refresh(a.refreshToken)).json().data.refreshToken).toBe(b.refreshToken);
    // The successor works, once.
    const c = await refresh(b.refreshToken);
    expect(c.statusCode).toBe(200);
    expect(h.audit('session.revoked')).toEqual([]);
  });

  it('after the successor was used, the old token is reuse again: the session is revoked', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    const c = (await refresh(b.refreshToken)).json().data;
    const stolen = await refresh(a.refreshToken);
    expect(stolen.statusCode).toBe(401);
    expect(stolen.json().error.code).toBe('session_revoked');
    expect((await refresh(c.refreshToken)).json().error.code).toBe('session_revoked');
    expect(h.audit('session.revoked')[0].payload.reason).toBe('refresh_token_reuse');
  });

  it('the grace follows the chain: a just-rotated B replays C while C is unused', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    const c = (await refresh(b.refreshToken)).json().data;
    expect((await refresh(b.refreshToken)).json().data.refreshToken).toBe(c.refreshToken);
  });

  it('outside the grace, reuse revokes as before', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    h.t.clock.advance(30_001);
    const late = await refresh(a.refreshToken);
    expect(late.json().error.code).toBe('session_revoked');
    expect((await refresh(b.refreshToken)).json().error.code).toBe('session_revoked');
  });

  it('never replays into an ended session or for a deactivated account', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    (await refresh(a.refreshToken)).json();
    expect((await h.post('/auth/logout', { refreshToken: a.refreshToken })).statusCode).toBe(200);
    expect((await refresh(a.refreshToken)).json().error.code).toBe('session_revoked');

    const user = await h.user({ email: 'grace@example.com' });
    const x = await h.signIn('grace@example.com', 'user-password-1');
    (await refresh(x.refreshToken)).json();
    h.t.deps.sqlite.prepare('UPDATE users SET is_active = 0 WHERE id = ?').run(user.id);
    expect((await refresh(x.refreshToken)).json().error.code).toBe('account_inactive');
  });

  it('keeps the successor only sealed, and only until it is used or the grace ends', async () => {
    h = await authHarness({ refreshReuseGrace: 30 });
    const a = await h.signIn();
    const b = (await refresh(a.refreshToken)).json().data;
    const [row] = sealedColumn();
    expect(row.successor_sealed).not.toContain(b.refreshToken);
    expect(Buffer.from(row.successor_sealed.split('.')[1], 'base64').toString('latin1')).not.toContain(b.refreshToken);
    // Sealed for that row only: moved to another token's row it does not open.
    const c = (await refresh(b.refreshToken)).json().data;
    expect(sealedColumn()).toHaveLength(1); // A's copy went when B was used; B's copy of C is kept
    h.t.clock.advance(29_000);
    expect(wipeExpiredSuccessors(h.t.deps)).toBe(0);
    h.t.clock.advance(1_001);
    expect(wipeExpiredSuccessors(h.t.deps)).toBe(1);
    expect(sealedColumn()).toEqual([]);
    expect((await refresh(c.refreshToken)).statusCode).toBe(200);
  });
});
