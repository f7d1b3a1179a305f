import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/app/clock.ts';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { requestPasswordReset } from '../../src/identity/password-reset.ts';
import type { InvitationView } from '../../src/invitations/invitations.ts';
import type { PurgeReport } from '../../src/jobs/maintenance.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';
import { openMailData } from '../../src/mail/outbox.ts';

// Development exposure on: even then the CLI never prints an invitation's link.
const ENV = { KIMAUTH_EMAIL_ENABLED: 'true', KIMAUTH_SMTP_URL: 'smtp://127.0.0.1:2525', KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN: 'true' };
const DAY = 24 * 60 * 60_000;

/** The real `kimauth invitations …` and `kimauth maintenance purge` against one temp data dir. */
describe('CLI: invitations and maintenance', () => {
  const clock = fixedClock('2026-03-01T12:00:00Z');
  const dir = tempDir('kimauth-invitations-cli-');
  const dataDir = path.join(dir.path, 'data');
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv], { env: ENV, clock });
  const inspect = <T>(fn: (deps: Deps) => T): T => {
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: ENV }), clock });
    try {
      return fn(deps);
    } finally {
      deps.close();
    }
  };
  const auditOf = (type: string) =>
    inspect((d) => d.sqlite.prepare('SELECT actor_type, channel, target_id FROM audit_entries WHERE event_type = ? ORDER BY id').all(type)) as Array<{
      actor_type: string;
      channel: string;
      target_id: string | null;
    }>;

  beforeAll(async () => {
    expect((await run('init', '--yes', '--admin-email', 'root@example.com')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
  });
  afterAll(() => dir.remove());

  it('creates, lists, resends and cancels invitations as the operator; the link goes only into the mail', async () => {
    const created = await run('invitations', 'create', '--tenant', 'acme', '--email', 'Jane@Acme.com', '--role', 'ADMIN', '--modules', 'finance', '--json');
    expect(created.code, created.stderr).toBe(0);
    const jane = created.json<InvitationView>();
    expect(jane).toMatchObject({ email: 'jane@acme.com', role: 'ADMIN', modules: ['finance'], status: 'pending', sentCount: 1, invitedBy: { id: null, name: 'kimauth' } });
    const mailed = inspect((d) =>
      (d.sqlite.prepare("SELECT id, data FROM mail_outbox WHERE template = 'invitation'").all() as Array<{ id: string; data: string }>).map((m) =>
        JSON.stringify(openMailData(d, m.id, m.data)),
      ),
    );
    const token = /token=([^"&]+)/.exec(mailed[0])![1];
    expect(token.length).toBeGreaterThan(16);
    expect(created.stdout + created.stderr).not.toContain(token);
    expect(created.stdout).not.toContain('acceptUrl');
    expect(auditOf('invitation.created')).toEqual([{ actor_type: 'operator', channel: 'cli', target_id: jane.id }]);

    const human = await run('invitations', 'list', '--tenant', 'acme');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('jane@acme.com');
    expect(human.stdout).toContain('pending');

    const resent = await run('invitations', 'resend', jane.id, '--tenant', 'acme', '--json');
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.json<InvitationView>()).toMatchObject({ id: jane.id, sentCount: 2, status: 'pending' });

    const cancelled = await run('invitations', 'cancel', jane.id, '--tenant', 'acme');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('Cancelled the invitation to jane@acme.com');
    const list = await run('invitations', 'list', '--tenant', 'acme', '--status', 'cancelled', '--json');
    expect(list.json<InvitationView[]>().map((i) => [i.id, i.status])).toEqual([[jane.id, 'cancelled']]);
    // A cancelled invitation cannot be resent: a failure (1), not a usage error.
    const again = await run('invitations', 'resend', jane.id, '--tenant', 'acme');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cancelled');
  });

  it('answers usage errors with exit 2 and unknown tenants with exit 1', async () => {
    expect((await run('invitations', 'create', '--tenant', 'acme', '--email', 'max@acme.com')).code).toBe(2);
    const manager = await run('invitations', 'create', '--tenant', 'acme', '--email', 'max@acme.com', '--role', 'MANAGER');
    expect(manager.code).toBe(2);
    expect(manager.stderr).toContain('businessUnitId');
    expect((await run('invitations', 'list', '--tenant', 'nope')).code).toBe(1);
    const help = await run('invitations', 'create', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });

  it('`maintenance purge` deletes spent tokens now and records one audit entry as the operator', async () => {
    inspect((d) => requestPasswordReset(d, ANONYMOUS_HTTP, { email: 'root@example.com' }, { ip: '127.0.0.1', userAgent: null }));
    expect((await run('maintenance', 'purge', '--json')).json<PurgeReport>().deleted.passwordResetTokens).toBe(0);
    clock.advance(2 * DAY);
    const purged = await run('maintenance', 'purge', '--json');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.json<PurgeReport>()).toMatchObject({ deleted: { passwordResetTokens: 1, sessions: 0 }, invitationsExpired: 0 });
    expect(inspect((d) => d.sqlite.prepare('SELECT count(*) FROM password_reset_tokens').pluck().get())).toBe(0);
    expect(auditOf('maintenance.purged')).toEqual([
      { actor_type: 'operator', channel: 'cli', target_id: null },
      { actor_type: 'operator', channel: 'cli', target_id: null },
    ]);
    const human = await run('maintenance', 'purge');
    expect(human.stdout).toMatch(/password-reset tokens deleted\s+0/);
    expect((await run('maintenance', 'purge', '--help')).stdout).toContain('Examples:');
  });
});
