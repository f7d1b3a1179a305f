import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/app/logger.ts';
import { verifyAuditChains } from '../../src/audit/verify.ts';
import { requestPasswordReset } from '../../src/identity/password-reset.ts';
import { issueSetPasswordToken, setPasswordWithToken } from '../../src/identity/set-password-tokens.ts';
import { createInvitation, INVITATION_TTL_MS } from '../../src/invitations/invitations.ts';
import { MAINTENANCE_PURGE_JOB, purgeExpired } from '../../src/jobs/maintenance.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { revokeSession, rotateRefreshToken, startSession } from '../../src/sessions/sessions.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser } from '../support/members.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const OPERATOR = TEST_ACTOR;
const CLIENT = { ip: '192.0.2.1', userAgent: null };

describe('maintenance purge: expired credentials and overdue invitations', () => {
  let t: TestInstance;
  afterEach(() => t?.close());

  const ids = (sql: string) => (t.deps.sqlite.prepare(sql).all() as Array<{ id: string }>).map((r) => r.id).sort();
  const audit = (type: string) =>
    t.deps.sqlite.prepare('SELECT tenant_id, actor_type, actor_id, target_id, payload FROM audit_entries WHERE event_type = ? ORDER BY id').all(type) as Array<{
      tenant_id: string;
      actor_type: string;
      actor_id: string | null;
      target_id: string | null;
      payload: string;
    }>;

  it('deletes what ended past its retention, expires overdue invitations with their audit entries, and leaves live rows alone', async () => {
    // Sessions live one day here, so an expired session is easy to make.
    t = await createTestInstance({ config: { refreshTokenTtl: 86_400, emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:2525' } });
    const { deps, clock } = t;
    const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const [ann, bob, cat, dan, eve] = await Promise.all(['ann', 'bob', 'cat', 'dan', 'eve'].map((n) => createActiveUser(deps, `${n}@example.com`)));
    const session = (userId: string) => deps.sqlite.transaction(() => startSession(deps, userId))();
    const revoke = (id: string) => deps.sqlite.transaction(() => revokeSession(deps, id, 'test', TEST_ACTOR))();
    const setPasswordLink = (userId: string) => deps.sqlite.transaction(() => issueSetPasswordToken(deps, userId))();

    // Day 0 (T0): a session revoked at once (with a rotated token), one that will simply expire, a reset token
    // and a set-password link nobody uses, and an invitation nobody accepts.
    const t0 = clock.nowMs();
    const revokedLongAgo = session(ann.id);
    deps.sqlite.transaction(() => rotateRefreshToken(deps, deps.sqlite.prepare('SELECT token_hash FROM refresh_tokens WHERE session_id = ?').pluck().get(revokedLongAgo.session.id) as string, revokedLongAgo.session.id))();
    revoke(revokedLongAgo.session.id);
    const expiredLongAgo = session(bob.id);
    requestPasswordReset(deps, ANONYMOUS_HTTP, { email: ann.email }, CLIENT);
    setPasswordLink(ann.id);
    const overdue = await createInvitation(deps, OPERATOR, acme.id, { email: 'late@example.com', role: 'SUBMITTER' });

    // Day 2: a session revoked within the 30-day window stays.
    clock.set(new Date(t0 + 2 * DAY));
    const revokedRecently = session(cat.id);
    revoke(revokedRecently.session.id);

    // The purge runs at P = day 31 + 1 h: sessions ended before day 1 + 1 h go, tokens spent before day 30 + 1 h go.
    const purgeAt = t0 + 31 * DAY + HOUR;
    // A set-password link used two days before the purge (its expiry still ahead) goes.
    clock.set(new Date(purgeAt - 2 * DAY));
    const used = setPasswordLink(dan.id);
    await setPasswordWithToken(deps, ANONYMOUS_HTTP, used.token, 'dan-new-password-1');
    // Reset requests 3 h and 2 h before: the first is spent by the second (used 2 h ago), the second expired 1 h ago.
    clock.set(new Date(purgeAt - 3 * HOUR));
    requestPasswordReset(deps, ANONYMOUS_HTTP, { email: dan.email }, CLIENT);
    clock.set(new Date(purgeAt - 2 * HOUR));
    requestPasswordReset(deps, ANONYMOUS_HTTP, { email: dan.email }, CLIENT);
    // Live at purge time: a session, a reset token, a set-password link and a fresh invitation.
    clock.set(new Date(purgeAt - HOUR));
    const live = session(eve.id);
    requestPasswordReset(deps, ANONYMOUS_HTTP, { email: eve.email }, CLIENT);
    const liveLink = setPasswordLink(eve.id);
    // (In another company: inviting into acme would itself write down acme's overdue invitation.)
    const globex = await createTenant(deps, { slug: 'globex', name: 'Globex' }, TEST_ACTOR);
    const fresh = await createInvitation(deps, OPERATOR, globex.id, { email: 'fresh@example.com', role: 'ADMIN' });
    clock.set(new Date(purgeAt));

    const sessionsBefore = ids('SELECT id FROM sessions');
    expect(sessionsBefore).toEqual([revokedLongAgo, expiredLongAgo, revokedRecently, live].map((s) => s.session.id).sort());
    expect(ids('SELECT token_hash AS id FROM refresh_tokens')).toHaveLength(5);
    expect(ids('SELECT token_hash AS id FROM password_reset_tokens')).toHaveLength(4);
    expect(ids('SELECT token_hash AS id FROM user_set_password_tokens')).toHaveLength(3);
    expect(overdue.invitation.expiresAt).toBe(new Date(t0 + INVITATION_TTL_MS).toISOString());

    const report = purgeExpired(deps, TEST_ACTOR);

    expect(report).toEqual({
      deleted: { sessions: 2, refreshTokens: 3, passwordResetTokens: 1, setPasswordTokens: 2 },
      invitationsExpired: 1,
      sessionsEndedBefore: new Date(purgeAt - 30 * DAY).toISOString(),
      tokensSpentBefore: new Date(purgeAt - DAY).toISOString(),
    });
    expect(ids('SELECT id FROM sessions')).toEqual([revokedRecently, live].map((s) => s.session.id).sort());
    expect(ids('SELECT session_id AS id FROM refresh_tokens')).toEqual([revokedRecently, live].map((s) => s.session.id).sort());
    // Ann's day-0 token is gone; Dan's two recent ones (one used, one expired within the day) and Eve's stay.
    expect(ids('SELECT user_id AS id FROM password_reset_tokens')).toEqual([dan.id, dan.id, eve.id].sort());
    expect(ids('SELECT token_hash AS id FROM user_set_password_tokens')).toHaveLength(1);
    expect(await setPasswordWithToken(deps, ANONYMOUS_HTTP, liveLink.token, 'eve-new-password-1')).toEqual({ userId: eve.id });
    expect(ids("SELECT id FROM invitations WHERE status = 'expired'")).toEqual([overdue.invitation.id]);
    expect(ids("SELECT id FROM invitations WHERE status = 'pending'")).toEqual([fresh.invitation.id]);

    // One housekeeping entry in the platform chain; the expiry in the company's chain.
    const purged = audit('maintenance.purged');
    expect(purged).toHaveLength(1);
    expect(purged[0]).toMatchObject({ tenant_id: t.master.id, actor_type: 'operator', actor_id: 'test' });
    expect(JSON.parse(purged[0].payload)).toEqual(report);
    expect(audit('invitation.expired')).toEqual([expect.objectContaining({ tenant_id: acme.id, target_id: overdue.invitation.id })]);
    expect((await verifyAuditChains(deps)).ok).toBe(true);

    // A second run finds nothing more, and still leaves one entry saying so.
    const again = purgeExpired(deps, TEST_ACTOR);
    expect(again.deleted).toEqual({ sessions: 0, refreshTokens: 0, passwordResetTokens: 0, setPasswordTokens: 0 });
    expect(again.invitationsExpired).toBe(0);
    expect(audit('maintenance.purged')).toHaveLength(2);
    expect(audit('invitation.expired')).toHaveLength(1);
  });

  it('runs daily at 03:30 UTC from the scheduler as the system', async () => {
    t = await createTestInstance();
    const scheduler = createScheduler(silentLogger());
    registerJobs(scheduler, t.deps);
    expect(scheduler.status().find((j) => j.name === MAINTENANCE_PURGE_JOB)?.cronTime).toBe('0 30 3 * * *');
    await scheduler.runNow(MAINTENANCE_PURGE_JOB);
    expect(audit('maintenance.purged')).toEqual([expect.objectContaining({ tenant_id: t.master.id, actor_type: 'system', actor_id: MAINTENANCE_PURGE_JOB })]);
  });
});
