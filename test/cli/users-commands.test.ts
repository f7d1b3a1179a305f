import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { verifyPassword } from '../../src/identity/passwords.ts';
import { findUserByEmail } from '../../src/identity/users.ts';
import type { AdminUserOut } from '../../src/identity/user-admin.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { runKimauth } from '../support/processes.ts';
import { openMailData } from '../../src/mail/outbox.ts';

const MAIL_ENV = { KIMAUTH_EMAIL_ENABLED: 'true', KIMAUTH_SMTP_URL: 'smtp://127.0.0.1:2525' };

/** The real `kimauth users …` / `tenants update` commands against one temp data dir. */
describe('CLI: users and tenants update', () => {
  const dir = tempDir('kimauth-users-cli-');
  const dataDir = path.join(dir.path, 'data');
  const run = (argv: string[], options: { stdin?: string } = {}) => cli(['--data-dir', dataDir, ...argv], { ...options, env: MAIL_ENV });
  /** Reads the data dir in-process, the way a second process would. */
  const inspect = <T>(fn: (deps: ReturnType<typeof buildDeps>) => T): T => {
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
    try {
      return fn(deps);
    } finally {
      deps.close();
    }
  };

  beforeAll(async () => {
    expect((await run(['init', '--yes', '--admin-email', 'root@example.com'])).code).toBe(0);
    expect((await run(['tenants', 'create', '--slug', 'acme', '--name', 'Acme'])).code).toBe(0);
  });
  afterAll(() => dir.remove());

  it('creates users (password only from stdin, never printed), shows and lists them as JSON and tables', async () => {
    const created = await run(['users', 'create', '--email', 'Jane@Acme.com', '--name', 'Jane Doe', '--password-stdin', '--json'], { stdin: 'jane-secret-pw\n' });
    expect(created.code, created.stderr).toBe(0);
    const jane = created.json<AdminUserOut>();
    expect(jane).toMatchObject({ email: 'jane@acme.com', approvalStatus: 'APPROVED', isActive: true, globalRole: 'NONE' });
    expect(created.stdout + created.stderr).not.toContain('jane-secret-pw');
    expect(await verifyPassword(inspect((d) => findUserByEmail(d, 'jane@acme.com'))!.passwordHash!, 'jane-secret-pw')).toBe(true);

    const pending = await run(['users', 'create', '--email', 'pend@acme.com', '--name', 'Pending', '--pending', '--inactive', '--json']);
    expect(pending.json<AdminUserOut>()).toMatchObject({ approvalStatus: 'PENDING', isActive: false });

    const list = await run(['users', 'list', '--approval-status', 'PENDING', '--json']);
    expect(list.json<{ users: AdminUserOut[]; total: number }>()).toMatchObject({ total: 1, users: [{ email: 'pend@acme.com' }] });
    const table = await run(['users', 'list']);
    expect(table.stdout).toMatch(/email.*name.*global role/);
    expect(table.stdout).toContain('jane@acme.com');

    const show = await run(['users', 'show', 'jane@acme.com', '--json']);
    expect(show.json<AdminUserOut>().id).toBe(jane.id);
    expect((await run(['users', 'show', jane.id])).stdout).toContain('tenant memberships');

    // The welcome mail is queued with a set-password link; the audit names the operator at the CLI.
    const facts = inspect((d) => ({
      mail: ((m: { id: string; template: string; data: string }) => ({ template: m.template, data: JSON.stringify(openMailData(d, m.id, m.data)) }))(
        d.sqlite.prepare("SELECT id, template, data FROM mail_outbox WHERE to_address = 'jane@acme.com'").get() as { id: string; template: string; data: string },
      ),
      audit: d.sqlite.prepare("SELECT actor_type, channel FROM audit_entries WHERE event_type = 'user.created' AND target_id = ?").get(jane.id),
    }));
    expect(facts.mail.template).toBe('user-created');
    expect(JSON.parse(facts.mail.data).setPasswordUrl).toMatch(/\/set-password\?token=/);
    expect(facts.mail.data).not.toContain('jane-secret-pw');
    expect(facts.audit).toEqual({ actor_type: 'operator', channel: 'cli' });
  });

  it('runs the lifecycle: approve, reject, disable, enable, update, set-password, delete', async () => {
    await run(['users', 'create', '--email', 'life@acme.com', '--name', 'Life', '--pending', '--inactive']);
    expect((await run(['users', 'approve', 'life@acme.com', '--json'])).json<AdminUserOut>()).toMatchObject({ approvalStatus: 'APPROVED', isActive: true });
    expect((await run(['users', 'disable', 'life@acme.com', '--json'])).json<AdminUserOut>()).toMatchObject({ isActive: false, tokenVersion: 2 });
    expect((await run(['users', 'enable', 'life@acme.com', '--json'])).json<AdminUserOut>().isActive).toBe(true);
    expect((await run(['users', 'reject', 'life@acme.com', '--json'])).json<AdminUserOut>().approvalStatus).toBe('REJECTED');
    const updated = await run(['users', 'update', 'life@acme.com', '--name', 'Life Two', '--global-role', 'PLATFORM_MODERATOR', '--phone', '+1 555', '--json']);
    expect(updated.json<AdminUserOut>()).toMatchObject({ fullName: 'Life Two', globalRole: 'PLATFORM_MODERATOR', phoneNumber: '+1 555' });

    const noSecret = await run(['users', 'set-password', 'life@acme.com']);
    expect(noSecret.code).toBe(2);
    const file = path.join(dir.path, 'pw.txt');
    writeFileSync(file, 'from-a-file-pw\n');
    expect((await run(['users', 'set-password', 'life@acme.com', '--password-file', file])).code).toBe(0);
    expect(await verifyPassword(inspect((d) => findUserByEmail(d, 'life@acme.com'))!.passwordHash!, 'from-a-file-pw')).toBe(true);
    expect((await run(['users', 'set-password', 'life@acme.com', '--password-stdin'], { stdin: 'short' })).code).toBe(2);

    const deleted = await run(['users', 'delete', 'life@acme.com', '--json']);
    expect(deleted.json<AdminUserOut>().deletedAt).not.toBeNull();
    const again = await run(['users', 'delete', 'life@acme.com']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found/);
    const templates = inspect((d) =>
      (d.sqlite.prepare("SELECT template FROM mail_outbox WHERE to_address = 'life@acme.com' ORDER BY rowid").all() as { template: string }[]).map((r) => r.template),
    );
    expect(templates).toEqual(['user-created', 'account-approved', 'account-deactivated', 'account-rejected', 'password-changed-by-admin', 'account-deleted']);
  });

  it('refuses to disable the last platform admin and answers unknown users with exit 1', async () => {
    const last = await run(['users', 'disable', 'root@example.com']);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last active platform admin/);
    expect((await run(['users', 'show', 'ghost@acme.com'])).code).toBe(1);
    expect((await run(['users', 'update', 'root@example.com', '--global-role', 'KING'])).code).toBe(2);
  });

  it('sets, lists and removes tenant and business-unit memberships', async () => {
    await run(['users', 'create', '--email', 'mem@acme.com', '--name', 'Mem']);
    const bu = randomUUID();
    const early = await run(['users', 'memberships', 'set', 'mem@acme.com', '--tenant', 'acme', '--role', 'MANAGER']);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/business-unit membership/);

    const unit = await run(['users', 'business-units', 'set', 'mem@acme.com', '--tenant', 'acme', '--business-unit', bu, '--role', 'APPROVER', '--metadata', '{"invoiceViewScope":"BU"}', '--json']);
    expect(unit.json()).toMatchObject({ businessUnitId: bu, role: 'APPROVER', invoiceViewScope: 'BU' });
    const set = await run(['users', 'memberships', 'set', 'mem@acme.com', '--tenant', 'acme', '--role', 'MANAGER', '--approval-limit', '2500.00', '--json']);
    expect(set.json()).toMatchObject({ companySlug: 'acme', role: 'MANAGER', approvalLimit: '2500.00', isActive: true });
    const cleared = await run(['users', 'memberships', 'set', 'mem@acme.com', '--tenant', 'acme', '--role', 'MANAGER', '--clear-approval-limit', '--inactive', '--json']);
    expect(cleared.json()).toMatchObject({ approvalLimit: null, isActive: false });

    expect((await run(['users', 'memberships', 'list', 'mem@acme.com', '--json'])).json()).toEqual([expect.objectContaining({ role: 'MANAGER' })]);
    expect((await run(['users', 'business-units', 'list', 'mem@acme.com'])).stdout).toContain(bu);
    expect((await run(['users', 'list', '--tenant', 'acme', '--business-unit', bu, '--json'])).json<{ users: AdminUserOut[] }>().users.map((u) => u.email)).toEqual(['mem@acme.com']);

    expect((await run(['users', 'business-units', 'set', 'mem@acme.com', '--tenant', 'acme', '--business-unit', 'not-a-uuid', '--role', 'ADMIN'])).code).toBe(2);
    expect((await run(['users', 'memberships', 'set', 'mem@acme.com', '--tenant', 'acme', '--role', 'ADMIN', '--metadata', '[1]'])).code).toBe(2);
    expect((await run(['users', 'memberships', 'set', 'mem@acme.com', '--tenant', 'nowhere', '--role', 'ADMIN'])).code).toBe(1);

    expect((await run(['users', 'memberships', 'remove', 'mem@acme.com', '--tenant', 'acme'])).code).toBe(0);
    expect((await run(['users', 'memberships', 'remove', 'mem@acme.com', '--tenant', 'acme'])).code).toBe(1);
    expect((await run(['users', 'business-units', 'remove', 'mem@acme.com', '--tenant', 'acme', '--business-unit', bu, '--json'])).json()).toMatchObject({ removed: true });
    expect((await run(['users', 'memberships', 'list', 'mem@acme.com', '--json'])).json()).toEqual([]);
    const events = inspect((d) => {
      const acme = d.sqlite.prepare("SELECT id FROM tenants WHERE slug = 'acme'").get() as { id: string };
      return (d.sqlite.prepare('SELECT event_type FROM audit_entries WHERE tenant_id = ? ORDER BY seq').all(acme.id) as { event_type: string }[]).map((r) => r.event_type);
    });
    expect(events).toEqual(expect.arrayContaining(['bu_membership.upserted', 'membership.upserted', 'membership.removed', 'bu_membership.removed']));
  });

  it('bulk-creates from a JSON Lines file: one result line per row, exit 1 when any row failed', async () => {
    const file = path.join(dir.path, 'people.jsonl');
    writeFileSync(
      file,
      [
        '{"email":"b1@acme.com","fullName":"B One"}',
        '# a comment',
        '{"email":"b2@acme.com","fullName":"B Two","globalRole":"PLATFORM_MODERATOR"}',
        '{"email":"b1@acme.com","fullName":"Duplicate"}',
        'not json',
        '{"email":"b3@acme.com"}',
        '',
      ].join('\n'),
    );
    const res = await run(['users', 'create', '--from-file', file]);
    expect(res.code).toBe(1);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { line: 1, ok: true, user: { id: expect.any(String), email: 'b1@acme.com' } },
      { line: 3, ok: true, user: { id: expect.any(String), email: 'b2@acme.com' } },
      { line: 4, ok: false, error: { code: 'conflict', message: expect.stringMatching(/already exists/) } },
      { line: 5, ok: false, error: { code: 'validation_error', message: 'not valid JSON' } },
      { line: 6, ok: false, error: { code: 'validation_error', message: expect.stringMatching(/fullName/) } },
    ]);
    expect(res.stderr).toMatch(/3 of 5 row\(s\) failed/);

    const good = await run(['users', 'create', '--from-file', '-'], { stdin: '{"email":"b4@acme.com","fullName":"B Four"}\n' });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ line: 1, ok: true });
  });

  it('tenants update renames, re-codes and disables a tenant', async () => {
    const res = await run(['tenants', 'update', 'acme', '--name', 'Acme GmbH', '--legacy-code', 'ACME-1', '--status', 'disabled', '--json']);
    expect(res.json()).toMatchObject({ slug: 'acme', name: 'Acme GmbH', legacyCode: 'ACME-1', status: 'disabled' });
    expect((await run(['tenants', 'show', 'ACME-1', '--json'])).json()).toMatchObject({ slug: 'acme' });
    expect((await run(['tenants', 'update', 'acme', '--clear-legacy-code', '--status', 'active', '--json'])).json()).toMatchObject({ legacyCode: null, status: 'active' });
    expect((await run(['tenants', 'update', 'acme'])).code).toBe(2);
    expect((await run(['tenants', 'update', 'master', '--status', 'disabled'])).code).toBe(2);
    expect((await run(['tenants', 'update', 'acme', '--status', 'gone'])).code).toBe(2);
    const audit = inspect((d) => d.sqlite.prepare("SELECT COUNT(*) AS n FROM audit_entries WHERE event_type = 'tenant.updated'").get());
    expect(audit).toEqual({ n: 4 });
  });

  it('prints help with an example for every users command', async () => {
    const commands = [
      ['users'], ['users', 'list'], ['users', 'show'], ['users', 'create'], ['users', 'update'], ['users', 'approve'], ['users', 'reject'],
      ['users', 'disable'], ['users', 'enable'], ['users', 'delete'], ['users', 'set-password'], ['users', 'memberships'],
      ['users', 'memberships', 'list'], ['users', 'memberships', 'set'], ['users', 'memberships', 'remove'], ['users', 'business-units'],
      ['users', 'business-units', 'list'], ['users', 'business-units', 'set'], ['users', 'business-units', 'remove'], ['tenants', 'update'],
    ];
    for (const argv of commands) {
      const res = await cli([...argv, '--help']);
      expect(res.code, argv.join(' ')).toBe(0);
      expect(res.stdout, argv.join(' ')).toMatch(/Examples?:\n\s+\$ .*kimauth /);
    }
  });

  it('works as a real child process: bulk create from stdin, then list --json', async () => {
    const env = { KIMAUTH_DATA_DIR: dataDir };
    const bulk = await runKimauth(['users', 'create', '--from-file', '-'], { env, stdin: '{"email":"proc@acme.com","fullName":"Proc"}\n' });
    expect(bulk.code, bulk.stderr).toBe(0);
    expect(JSON.parse(bulk.stdout)).toMatchObject({ ok: true, user: { email: 'proc@acme.com' } });
    const list = await runKimauth(['users', 'list', '--limit', '500', '--json'], { env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).users.map((u: AdminUserOut) => u.email)).toContain('proc@acme.com');
    const usage = await runKimauth(['users', 'create', '--email', 'x@acme.com'], { env });
    expect(usage.code).toBe(2);
  });
});
