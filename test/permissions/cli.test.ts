import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

describe('CLI: roles, groups, users permissions', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);
  const ok = async (...argv: string[]) => {
    const r = await run(...argv);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  beforeAll(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    await ok('init', '--yes');
    await ok('tenants', 'create', '--slug', 'acme', '--name', 'Acme');
    await ok('tenants', 'entitlements', 'set', 'acme', '--modules', 'basic,finance');
    for (const email of ['jane@acme.com', 'bob@acme.com']) {
      await ok('users', 'create', '--email', email, '--name', email.split('@')[0]);
    }
    await ok('users', 'memberships', 'set', 'jane@acme.com', '--tenant', 'acme', '--role', 'SUBMITTER');
    await ok('users', 'create', '--email', 'outsider@else.com', '--name', 'Out');
  });
  afterAll(() => dir.remove());

  it('creates, lists, shows, updates, assigns and deletes roles', async () => {
    const created = (await ok('roles', 'create', '--tenant', 'acme', '--name', 'editor', '--permissions', 'publish:article,edit:article', '--description', 'Editors', '--json')).json();
    expect(created).toMatchObject({ name: 'editor', scope: 'tenant', clientId: null, permissions: ['edit:article', 'publish:article'], description: 'Editors' });
    await ok('roles', 'create', '--tenant', 'acme', '--name', 'editor', '--client', 'web', '--permissions', 'web:edit');
    const dup = await run('roles', 'create', '--tenant', 'acme', '--name', 'editor');
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringMatching(/already exists/)]);

    const list = await ok('roles', 'list', '--tenant', 'acme');
    expect(list.stdout).toMatch(/editor\s*│\s*tenant/);
    expect(list.stdout).toMatch(/editor\s*│\s*client web/);
    expect((await ok('roles', 'list', '--tenant', 'acme', '--client', 'web', '--json')).json()).toHaveLength(1);

    await ok('roles', 'assign', '--tenant', 'acme', '--role', 'editor', '--user', 'jane@acme.com');
    await ok('roles', 'assign', '--tenant', 'acme', '--role', 'editor', '--client', 'web', '--user', 'jane@acme.com');
    const shown = (await ok('roles', 'show', 'editor', '--tenant', 'acme', '--json')).json<{ assignments: unknown[] }>();
    expect(shown.assignments).toEqual([{ type: 'user', id: expect.any(String), email: 'jane@acme.com' }]);
    const notMember = await run('roles', 'assign', '--tenant', 'acme', '--role', 'editor', '--user', 'outsider@else.com');
    expect(notMember.code).toBe(1);
    expect((await run('roles', 'assign', '--tenant', 'acme', '--role', 'editor')).code).toBe(2);
    expect((await run('roles', 'create', '--tenant', 'acme', '--name', 'bad name')).code).toBe(2);

    await ok('roles', 'update', 'editor', '--tenant', 'acme', '--permissions', 'publish:article');
    const explained = (await ok('users', 'permissions', 'show', 'jane@acme.com', '--tenant', 'acme', '--json')).json<{ permissions: unknown[] }>();
    expect(explained.permissions).toEqual([
      { permission: 'publish:article', paths: ['role editor'] },
      { permission: 'web:edit', paths: ['role editor (client web)'] },
    ]);
    await ok('roles', 'unassign', '--tenant', 'acme', '--role', 'editor', '--user', 'jane@acme.com');
    await ok('roles', 'delete', 'editor', '--tenant', 'acme', '--client', 'web');
    expect((await ok('users', 'permissions', 'show', 'jane@acme.com', '--tenant', 'acme', '--json')).json()).toMatchObject({ permissions: [] });
    await ok('roles', 'delete', 'editor', '--tenant', 'acme');
    expect((await run('roles', 'show', 'editor', '--tenant', 'acme')).code).toBe(1);
  });

  it('manages a group tree, its members and permissions; refuses cycles with exit 1', async () => {
    await ok('groups', 'create', '--tenant', 'acme', '--name', 'Engineering');
    await ok('groups', 'create', '--tenant', 'acme', '--name', 'Backend', '--parent', 'Engineering');
    await ok('groups', 'create', '--tenant', 'acme', '--name', 'On-call', '--parent', 'Backend');
    expect((await ok('groups', 'list', '--tenant', 'acme')).stdout).toBe('Engineering\n  └─ Backend\n    └─ On-call\n');

    await ok('groups', 'members', 'add', 'On-call', 'jane@acme.com', '--tenant', 'acme');
    const outsider = await run('groups', 'members', 'add', 'On-call', 'bob@acme.com', '--tenant', 'acme');
    expect([outsider.code, outsider.stderr]).toEqual([1, expect.stringMatching(/Member "bob@acme.com" of tenant "acme" not found/)]);
    expect((await ok('groups', 'members', 'list', 'On-call', '--tenant', 'acme', '--json')).json()).toEqual([
      { userId: expect.any(String), email: 'jane@acme.com', name: 'jane', addedAt: expect.any(String) },
    ]);

    await ok('groups', 'permissions', 'grant', 'Engineering', 'deploy:prod,finance.report.view', 'market.sell', '--tenant', 'acme');
    const show = await ok('users', 'permissions', 'show', 'jane@acme.com', '--tenant', 'acme');
    expect(show.stdout).toMatch(/deploy:prod\s*│ group On-call → Backend → Engineering/);
    expect(show.stdout).toContain('dropped (module not effective)');
    expect(show.stdout).toMatch(/finance\.report\.view\s*│ finance/);
    // A group as a subject is filtered by the tenant's entitlements alone (finance is bought, market is not).
    expect((await ok('groups', 'permissions', 'show', 'Backend', '--tenant', 'acme', '--json')).json()).toMatchObject({
      permissions: [
        { permission: 'deploy:prod', paths: ['group Backend → Engineering'] },
        { permission: 'finance.report.view', paths: ['group Backend → Engineering'] },
      ],
      dropped: [{ permission: 'market.sell', module: 'market', paths: ['group Backend → Engineering'] }],
    });

    const cycle = await run('groups', 'update', 'Engineering', '--parent', 'On-call', '--tenant', 'acme');
    expect([cycle.code, cycle.stderr]).toEqual([1, expect.stringMatching(/cycle/)]);
    await ok('groups', 'update', 'On-call', '--top-level', '--tenant', 'acme');
    expect((await ok('users', 'permissions', 'show', 'jane@acme.com', '--tenant', 'acme', '--json')).json()).toMatchObject({ permissions: [], groups: ['On-call'] });
    await ok('groups', 'update', 'On-call', '--parent', 'Backend', '--name', 'Pager', '--tenant', 'acme');
    expect((await ok('groups', 'show', 'Pager', '--tenant', 'acme', '--json')).json()).toMatchObject({ path: ['Engineering', 'Backend', 'Pager'] });

    await ok('groups', 'permissions', 'revoke', 'Engineering', 'deploy:prod', '--tenant', 'acme');
    await ok('groups', 'members', 'remove', 'Pager', 'jane@acme.com', '--tenant', 'acme');
    const refused = await run('groups', 'delete', 'Engineering', '--tenant', 'acme');
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/sub-groups/)]);
    expect((await ok('groups', 'delete', 'Engineering', '--recursive', '--tenant', 'acme', '--json')).json()).toEqual({ deleted: ['Engineering', 'Backend', 'Pager'] });
  });

  it('grants and revokes direct permissions on the membership rows `users access` shows', async () => {
    await ok('users', 'permissions', 'grant', 'jane@acme.com', '--tenant', 'acme', 'publish:article', 'edit:article');
    expect((await ok('users', 'access', 'show', 'jane@acme.com', '--company', 'acme', '--json')).json()).toMatchObject({ permissions: ['edit:article', 'publish:article'] });
    await ok('users', 'permissions', 'revoke', 'jane@acme.com', '--tenant', 'acme', 'edit:article');
    expect((await ok('users', 'permissions', 'show', 'jane@acme.com', '--tenant', 'acme', '--json')).json()).toMatchObject({ permissions: [{ permission: 'publish:article', paths: ['direct'] }] });
    expect((await run('users', 'permissions', 'revoke', 'jane@acme.com', '--tenant', 'acme', 'never:had')).code).toBe(1);
    expect((await run('users', 'permissions', 'grant', 'jane@acme.com', '--tenant', 'acme', 'bad perm!')).code).toBe(2);
    const audit = (await ok('audit', 'tail', '--tenant', 'acme', '--json')).stdout;
    expect(audit).toContain('permissions.changed');
  });

  it('has --help with an example on every command', async () => {
    for (const argv of [
      ['roles'],
      ['roles', 'create'],
      ['roles', 'assign'],
      ['groups'],
      ['groups', 'update'],
      ['groups', 'members', 'add'],
      ['groups', 'permissions', 'grant'],
      ['users', 'permissions'],
      ['users', 'permissions', 'show'],
    ]) {
      expect((await cli([...argv, '--help'])).stdout, argv.join(' ')).toMatch(/Examples?:/);
    }
  });
});
