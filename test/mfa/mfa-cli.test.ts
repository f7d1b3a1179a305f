import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { findUserByEmail } from '../../src/identity/users.ts';
import { rotateMasterKey } from '../../src/keys/master-key-rotation.ts';
import { purgeSpentSignInSteps } from '../../src/mfa/retention.ts';
import { completeSignIn, verifyMfaSignIn, type MfaRequired } from '../../src/mfa/sign-in.ts';
import { createLoginThrottle } from '../../src/identity/login-throttle.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { CLIENT, codeNow, enrolTotp } from '../support/mfa.ts';

/** `kimauth users mfa show|reset` and `tenants update --[no-]require-mfa` against one temp data dir. */
describe('CLI: MFA for operators', () => {
  const dir = tempDir('kimauth-mfa-cli-');
  const dataDir = path.join(dir.path, 'data');
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv], { stdin: 'jane-password-1\n', env: {} });
  const withDeps = async <T>(fn: (deps: Deps) => T | Promise<T>): Promise<T> => {
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
    try {
      return await fn(deps);
    } finally {
      deps.close();
    }
  };
  const audit = (deps: Deps, type: string) =>
    deps.sqlite.prepare('SELECT actor_type, payload FROM audit_entries WHERE event_type = ? ORDER BY id').all(type) as { actor_type: string; payload: string }[];

  beforeAll(async () => {
    expect((await run('init', '--yes', '--admin-email', 'root@example.com')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
    const created = await run('users', 'create', '--email', 'jane@acme.com', '--name', 'Jane', '--password-stdin');
    expect(created.code, created.stderr).toBe(0);
    expect((await run('users', 'memberships', 'set', 'jane@acme.com', '--tenant', 'acme', '--role', 'SUBMITTER')).code).toBe(0);
  });
  afterAll(() => dir.remove());

  it('tenants update --require-mfa / --no-require-mfa, shown by tenants show and audited in both chains', async () => {
    const on = await run('tenants', 'update', 'acme', '--require-mfa', '--json');
    expect(on.code, on.stderr).toBe(0);
    expect(on.json()).toMatchObject({ slug: 'acme', requireMfa: true });
    expect((await run('tenants', 'show', 'acme', '--json')).json()).toMatchObject({ requireMfa: true });
    expect((await run('tenants', 'show', 'acme')).stdout).toMatch(/requires MFA\s+yes/);
    const mfaShow = await run('users', 'mfa', 'show', 'jane@acme.com', '--json');
    expect(mfaShow.json()).toMatchObject({ email: 'jane@acme.com', totp: 'none', requiredBy: ['acme'] });

    const off = await run('tenants', 'update', 'acme', '--no-require-mfa', '--name', 'Acme GmbH', '--json');
    expect(off.json()).toMatchObject({ name: 'Acme GmbH', requireMfa: false });
    expect((await run('tenants', 'update', 'acme')).code).toBe(2);
    await withDeps((deps) => {
      const entries = audit(deps, 'tenant.mfa_requirement_updated');
      // Each change in the tenant's chain and the platform's.
      expect(entries).toHaveLength(4);
      expect(entries.map((e) => JSON.parse(e.payload).requireMfa.to)).toEqual([true, true, false, false]);
    });
  });

  it('tenants update --magic-links / --no-magic-links, shown by tenants show and audited in the tenant chain', async () => {
    const on = await run('tenants', 'update', 'acme', '--magic-links', '--json');
    expect(on.code, on.stderr).toBe(0);
    expect(on.json()).toMatchObject({ slug: 'acme', magicLinks: true });
    expect((await run('tenants', 'show', 'acme')).stdout).toMatch(/magic links\s+offered/);
    expect((await run('tenants', 'update', 'acme', '--magic-links', '--json')).json()).toMatchObject({ magicLinks: true });
    const off = await run('tenants', 'update', 'acme', '--no-magic-links', '--json');
    expect(off.json()).toMatchObject({ magicLinks: false });
    await withDeps((deps) => {
      const entries = audit(deps, 'tenant.magic_links_updated');
      // Only the two changes (the repeated --magic-links changed nothing), by the operator.
      expect(entries.map((e) => [e.actor_type, JSON.parse(e.payload).magicLinks.to])).toEqual([
        [entries[0].actor_type, true],
        [entries[0].actor_type, false],
      ]);
      expect(entries[0].actor_type).not.toBe('anonymous');
    });
  });

  it('users mfa show and reset (audited as the operator)', async () => {
    const secret = await withDeps(async (deps) => {
      const jane = findUserByEmail(deps, 'jane@acme.com')!;
      return (await enrolTotp(deps, jane, () => undefined)).secret;
    });
    const shown = await run('users', 'mfa', 'show', 'jane@acme.com', '--json');
    expect(shown.json()).toMatchObject({ totp: 'active', recoveryCodes: { unused: 10, total: 10 }, requiredBy: [] });
    expect(shown.stdout).not.toContain(secret);
    expect((await run('users', 'mfa', 'show', 'jane@acme.com')).stdout).toMatch(/totp\s+active/);

    const reset = await run('users', 'mfa', 'reset', 'jane@acme.com');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/Reset MFA of jane@acme.com/);
    expect((await run('users', 'mfa', 'show', 'jane@acme.com', '--json')).json()).toMatchObject({ totp: 'none', recoveryCodes: { total: 0 } });
    expect((await run('users', 'mfa', 'reset', 'nobody@acme.com')).code).not.toBe(0);
    await withDeps((deps) => {
      const entries = audit(deps, 'mfa.reset');
      expect(entries).toHaveLength(1);
      expect(entries[0].actor_type).toBe('operator');
      expect(JSON.parse(entries[0].payload)).toMatchObject({ hadTotp: true, recoveryCodes: 10 });
    });
  });

  it('rotate-master re-seals TOTP secrets, which keep working; spent sign-in steps are purged after a day', async () => {
    await withDeps(async (deps) => {
      const jane = findUserByEmail(deps, 'jane@acme.com')!;
      const { secret } = await enrolTotp(deps, jane, () => undefined);
      const before = (deps.sqlite.prepare('SELECT secret_sealed FROM mfa_totp WHERE user_id = ?').get(jane.id) as { secret_sealed: string }).secret_sealed;
      const rotation = rotateMasterKey(deps, cliOperator());
      const after = (deps.sqlite.prepare('SELECT secret_sealed FROM mfa_totp WHERE user_id = ?').get(jane.id) as { secret_sealed: string }).secret_sealed;
      expect(before.startsWith(`${rotation.previousKeyId}.`)).toBe(true);
      expect(after.startsWith(`${rotation.currentKeyId}.`)).toBe(true);
      expect(JSON.parse(audit(deps, 'master_key.rotated').at(-1)!.payload)).toMatchObject({ resealedTotpSecrets: 1 });

      const challenge = (await completeSignIn(deps, ANONYMOUS_HTTP, jane.id, CLIENT, 'password')) as MfaRequired;
      // The confirming code was this step's; the next step's code is fresh (±1 step).
      await verifyMfaSignIn(deps, ANONYMOUS_HTTP, { mfaToken: challenge.mfaToken, code: codeNow(deps, secret, 30) }, CLIENT, createLoginThrottle(deps.clock));
      // Spent only a moment ago: kept (the daily sweep takes it after a day; see test/mfa/totp.test.ts).
      expect(purgeSpentSignInSteps(deps, cliOperator())).toEqual({ mfaChallenges: 0, magicLinks: 0, passkeyChallenges: 0 });
    });
  });
});
