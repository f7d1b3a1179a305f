import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { login } from '../../src/identity/login.ts';
import { createLoginThrottle } from '../../src/identity/login-throttle.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';

describe('CLI: users sessions list | revoke', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);

  /** Signs in through the same service as POST /auth/login, on the same data dir. */
  async function signIn(times: number): Promise<void> {
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
    try {
      const throttle = createLoginThrottle(deps.clock);
      for (let i = 0; i < times; i++) await login(deps, ANONYMOUS_HTTP, { email: 'ops@example.com', password: 'ops-password-1' }, { ip: '127.0.0.1' }, throttle);
    } finally {
      deps.close();
    }
  }

  beforeEach(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], {
      stdin: 'ops-password-1\n',
    });
    expect(init.code, init.stderr).toBe(0);
    await signIn(3);
  });
  afterEach(() => dir.remove());

  it('lists live sessions as a table and as JSON', async () => {
    const human = await run('users', 'sessions', 'list', 'ops@example.com');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/session.*created.*last used/);
    const listed = await run('--json', 'users', 'sessions', 'list', 'OPS@example.com');
    expect(listed.json<unknown[]>()).toHaveLength(3);
    expect(listed.json<Array<Record<string, unknown>>>()[0]).toMatchObject({ ip: '127.0.0.1', revokedAt: null });
  });

  it('revokes one session, then all of them; revoked ones show with --include-revoked', async () => {
    const [first] = (await run('--json', 'users', 'sessions', 'list', 'ops@example.com')).json<Array<{ id: string }>>();
    const one = await run('--json', 'users', 'sessions', 'revoke', first.id);
    expect(one.code).toBe(0);
    expect(one.json()).toMatchObject({ id: first.id, revokeReason: 'operator', revokedNow: true });
    expect((await run('--json', 'users', 'sessions', 'list', 'ops@example.com')).json<unknown[]>()).toHaveLength(2);

    const all = await run('--json', 'users', 'sessions', 'revoke', '--all', 'ops@example.com');
    expect(all.json()).toMatchObject({ revokedSessions: 2, tokenVersionBumped: true });
    expect((await run('--json', 'users', 'sessions', 'list', 'ops@example.com')).json<unknown[]>()).toHaveLength(0);
    expect((await run('--json', 'users', 'sessions', 'list', 'ops@example.com', '--include-revoked')).json<unknown[]>()).toHaveLength(3);
  });

  it('exits 1 for an unknown session or user, 2 for a usage error; --help has examples', async () => {
    const unknown = await run('users', 'sessions', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not found/);
    expect((await run('users', 'sessions', 'list', 'nobody@example.com')).code).toBe(1);
    expect((await run('users', 'sessions', 'revoke')).code).toBe(2);
    const help = await run('users', 'sessions', 'revoke', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
