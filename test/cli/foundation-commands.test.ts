import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

describe('CLI: init, tenants, keys', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  beforeEach(() => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
  });
  afterEach(() => dir.remove());

  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);

  it('init --yes creates a private data dir, generates and prints the admin password once', async () => {
    const res = await run('init', '--yes', '--admin-email', 'ops@example.com', '--json');
    expect(res.code).toBe(0);
    const out = res.json<{ adminEmail: string; generatedPassword: string; dataDir: string }>();
    expect(out.adminEmail).toBe('ops@example.com');
    expect(out.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dataDir, 'master.key'), 'utf8')).not.toContain(out.generatedPassword);
  });

  it('init takes the admin password from stdin and never prints it', async () => {
    const res = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], {
      stdin: 'correct horse battery\n',
    });
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).not.toContain('correct horse battery');
    expect(res.stdout).toContain('ops@example.com');
  });

  it('refuses to initialise twice with exit 1 and a one-line reason', async () => {
    expect((await run('init', '--yes')).code).toBe(0);
    const again = await run('init', '--yes');
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already initialised/);
  });

  it('refuses a too-short admin password as a usage error (exit 2) and leaves no data dir behind', async () => {
    const res = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-password-stdin'], { stdin: 'short' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/at least 8/);
    expect((await run('init', '--yes')).code).toBe(0);
  });

  it('creates, lists and shows tenants as tables or JSON', async () => {
    await run('init', '--yes');
    const created = await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme', '--json');
    expect(created.code).toBe(0);
    const acme = created.json<{ id: string; slug: string }>();
    expect(acme.slug).toBe('acme');

    const list = await run('tenants', 'list', '--json');
    expect(list.json<Array<{ slug: string }>>().map((t) => t.slug).sort()).toEqual(['acme', 'master']);
    const table = await run('tenants', 'list');
    expect(table.stdout).toMatch(/slug.*name.*id/);
    expect(table.stdout).toContain('acme');

    const show = await run('tenants', 'show', acme.id, '--json');
    expect(show.json<{ slug: string; keys: unknown[] }>()).toMatchObject({ slug: 'acme', keys: [{ status: 'active' }] });

    const dup = await run('tenants', 'create', '--slug', 'acme', '--name', 'Again');
    expect(dup.code).toBe(1);
    const bad = await run('tenants', 'create', '--slug', 'Bad Slug', '--name', 'X');
    expect(bad.code).toBe(2);
    const reserved = await run('tenants', 'create', '--slug', 'master', '--name', 'X');
    expect(reserved.code).toBe(2);
  });

  it('rotates keys for one tenant or all, and refuses an early retire without --force', async () => {
    await run('init', '--yes');
    await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme');
    const before = (await run('keys', 'list', '--json')).json<Array<{ kid: string; tenant: string; status: string }>>();
    expect(before.filter((k) => k.status === 'active')).toHaveLength(2);

    const rotated = await run('keys', 'rotate', '--all', '--json');
    expect(rotated.code).toBe(0);
    expect(rotated.json<unknown[]>()).toHaveLength(2);

    const after = (await run('keys', 'list', '--tenant', 'acme', '--json')).json<Array<{ kid: string; status: string }>>();
    expect(after.map((k) => k.status).sort()).toEqual(['active', 'inactive']);
    const old = after.find((k) => k.status === 'inactive')!;

    const refused = await run('keys', 'retire', old.kid);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--force/);
    const forced = await run('keys', 'retire', old.kid, '--force', '--json');
    expect(forced.code).toBe(0);
    expect(forced.json<{ status: string }>().status).toBe('retired');
  });

  it('answers usage errors with exit 2 and commands on a missing data dir with exit 1', async () => {
    expect((await run('tenants', 'create', '--slug', 'x')).code).toBe(2);
    expect((await run('no-such-command')).code).toBe(2);
    const missing = await run('tenants', 'list');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/kimauth init/);
  });

  it('prints help with examples for every command', async () => {
    for (const argv of [[], ['init'], ['serve'], ['tenants'], ['tenants', 'create'], ['keys'], ['keys', 'rotate'], ['keys', 'retire']]) {
      const res = await cli([...argv, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Examples?:/);
    }
  });

  it('stops with exit 2 and the variable name on invalid configuration', async () => {
    await run('init', '--yes');
    const res = await cli(['--data-dir', dataDir, 'tenants', 'list'], { env: { KIMAUTH_ACCESS_TOKEN_TTL: 'soon' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/KIMAUTH_ACCESS_TOKEN_TTL/);
  });
});
