import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

describe('CLI: users access', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);
  beforeEach(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    expect((await run('init', '--yes')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
    expect((await run('tenants', 'entitlements', 'set', 'acme', '--modules', 'basic,finance')).code).toBe(0);
    expect((await run('users', 'create', '--email', 'jane@acme.test', '--name', 'Jane')).code).toBe(0);
    expect((await run('users', 'memberships', 'set', 'jane@acme.test', '--tenant', 'acme', '--role', 'SUBMITTER')).code).toBe(0);
  });
  afterEach(() => dir.remove());

  it('sets and shows grants with their effective result, audited; refuses non-members and bad input', async () => {
    const set = await run('users', 'access', 'set', 'jane@acme.test', '--company', 'acme', '--modules', 'basic,market', '--permissions', 'basic.view,market.sell,publish:article', '--json');
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({
      role: 'SUBMITTER',
      modules: ['basic', 'market'],
      effective: { modules: { basic: true, finance: false, market: false }, permissions: ['basic.view', 'publish:article'] },
    });
    const show = await run('users', 'access', 'show', 'jane@acme.test', '--company', 'acme');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/basic\s*│\s*yes/);
    expect(show.stdout).toContain('effective permissions: basic.view, publish:article');

    const cleared = await run('users', 'access', 'set', 'jane@acme.test', '--company', 'acme', '--permissions', '', '--json');
    expect(cleared.json()).toMatchObject({ modules: ['basic', 'market'], permissions: [] });

    expect((await run('users', 'create', '--email', 'bob@acme.test', '--name', 'Bob')).code).toBe(0);
    const notMember = await run('users', 'access', 'show', 'bob@acme.test', '--company', 'acme');
    expect(notMember.code).toBe(1);
    expect(notMember.stderr).toMatch(/Membership of user .* not found/);
    expect((await run('users', 'access', 'set', 'jane@acme.test', '--company', 'acme')).code).toBe(2);
    expect((await run('users', 'access', 'set', 'jane@acme.test', '--company', 'acme', '--modules', 'Not Valid')).code).toBe(2);
    for (const argv of [['users', 'access'], ['users', 'access', 'set'], ['users', 'access', 'show']]) {
      expect((await cli([...argv, '--help'])).stdout).toMatch(/Examples?:/);
    }
  });
});
