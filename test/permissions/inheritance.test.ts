import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { getMembershipAccess, setMembershipAccess } from '../../src/access/membership-access.ts';
import { removeCompanyMembership } from '../../src/memberships/memberships.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { describePath, effectivePermissionsOf } from '../../src/permissions/effective-permissions.ts';
import { explainUserPermissions, grantUserPermissions, revokeUserPermissions } from '../../src/permissions/grants.ts';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  grantGroupPermissions,
  listGroups,
  removeGroupMember,
  revokeGroupPermissions,
  updateGroup,
} from '../../src/permissions/groups.ts';
import { assignRole, createRole, deleteRole, unassignRole, updateRole } from '../../src/permissions/roles.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser, createMember } from '../support/members.ts';

const OP = TEST_ACTOR;

describe('effective permissions: direct ∪ roles ∪ groups and their ancestors', () => {
  let t: TestInstance;
  let deps: Deps;
  let acme: TenantRow;
  let alice: UserRow;
  const can = () => effectivePermissionsOf(deps, acme.id, { type: 'user', id: alice.id });
  const pathsOf = (permission: string) => (can().paths[permission] ?? []).map(describePath);

  beforeEach(async () => {
    t = await createTestInstance({ file: true });
    deps = t.deps;
    acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, OP);
    setCompanyEntitlements(deps, acme, ['basic', 'finance'], OP);
    alice = await createMember(deps, acme.id, 'alice@acme.test', 'SUBMITTER');
    createGroup(deps, OP, 'acme', { name: 'Engineering' });
    createGroup(deps, OP, 'acme', { name: 'Backend', parent: 'Engineering' });
    createGroup(deps, OP, 'acme', { name: 'On-call', parent: 'Backend' });
    await addGroupMember(deps, OP, 'acme', 'On-call', alice.email);
  });
  afterEach(() => t.close());

  const CHAIN = 'On-call → Backend → Engineering';

  it.each([
    {
      name: 'a permission on Engineering, removed by revoking it',
      give: () => grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
      path: `group ${CHAIN}`,
      take: () => revokeGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
    },
    {
      name: 'a role on Engineering, removed by unassigning it',
      give: async () => {
        await createRole(deps, OP, 'acme', { name: 'deployer', permissions: ['deploy:prod'] });
        await assignRole(deps, OP, 'acme', 'deployer', { group: 'Engineering' });
      },
      path: `role deployer via group ${CHAIN}`,
      take: () => unassignRole(deps, OP, 'acme', 'deployer', { group: 'Engineering' }),
    },
    {
      name: 'a role on Engineering, removed by deleting the role',
      give: async () => {
        await createRole(deps, OP, 'acme', { name: 'deployer', permissions: ['deploy:prod'] });
        await assignRole(deps, OP, 'acme', 'deployer', { group: 'Engineering' });
      },
      path: `role deployer via group ${CHAIN}`,
      take: () => deleteRole(deps, OP, 'acme', 'deployer'),
    },
    {
      name: 'a role on Engineering, removed by taking the permission out of the role',
      give: async () => {
        await createRole(deps, OP, 'acme', { name: 'deployer', permissions: ['deploy:prod'] });
        await assignRole(deps, OP, 'acme', 'deployer', { group: 'Engineering' });
      },
      path: `role deployer via group ${CHAIN}`,
      take: () => updateRole(deps, OP, 'acme', 'deployer', { permissions: [] }),
    },
    {
      name: 'a permission on Engineering, removed by leaving On-call',
      give: () => grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
      path: `group ${CHAIN}`,
      take: () => removeGroupMember(deps, OP, 'acme', 'On-call', alice.email),
    },
    {
      name: 'a permission on Engineering, removed by moving On-call to the top level',
      give: () => grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
      path: `group ${CHAIN}`,
      take: () => updateGroup(deps, OP, 'acme', 'On-call', { parent: null }),
    },
    {
      name: 'a permission on Engineering, removed by deleting the tree',
      give: () => grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
      path: `group ${CHAIN}`,
      take: () => deleteGroup(deps, OP, 'acme', 'Engineering', { recursive: true }),
    },
    {
      name: 'a role given directly, removed by unassigning it',
      give: async () => {
        await createRole(deps, OP, 'acme', { name: 'deployer', permissions: ['deploy:prod'] });
        await assignRole(deps, OP, 'acme', 'deployer', { user: alice.email });
      },
      path: 'role deployer',
      take: () => unassignRole(deps, OP, 'acme', 'deployer', { user: alice.email }),
    },
    {
      name: 'a direct grant, removed by revoking it',
      give: () => grantUserPermissions(deps, OP, 'acme', alice.email, ['deploy:prod']),
      path: 'direct',
      take: () => revokeUserPermissions(deps, OP, 'acme', alice.email, ['deploy:prod']),
    },
    {
      name: 'a permission on Engineering, removed with the tenant membership',
      give: () => grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']),
      path: `group ${CHAIN}`,
      take: async () => removeCompanyMembership(deps, OP, acme.id, alice.id),
    },
  ])('$name', async ({ give, path, take }) => {
    expect(can().permissions).toEqual([]);
    await give();
    expect(can().permissions).toEqual(['deploy:prod']);
    expect(pathsOf('deploy:prod')).toEqual([path]);
    await take();
    expect(can().permissions).toEqual([]);
  });

  it('lists every path a permission arrives by, and the groups and roles it passes', async () => {
    await grantUserPermissions(deps, OP, 'acme', alice.email, ['publish:article']);
    await grantGroupPermissions(deps, OP, 'acme', 'Backend', ['publish:article']);
    await createRole(deps, OP, 'acme', { name: 'editor', permissions: ['publish:article', 'edit:article'] });
    await assignRole(deps, OP, 'acme', 'editor', { user: alice.email });
    await assignRole(deps, OP, 'acme', 'editor', { group: 'Engineering' });
    await createRole(deps, OP, 'acme', { name: 'editor', clientId: 'web', permissions: ['web:edit'] });
    await assignRole(deps, OP, 'acme', 'editor', { user: alice.email }, 'web');

    const explained = await explainUserPermissions(deps, OP, 'acme', alice.email);
    expect(explained.permissions).toEqual([
      { permission: 'edit:article', paths: ['role editor', `role editor via group ${CHAIN}`] },
      {
        permission: 'publish:article',
        paths: ['direct', 'role editor', 'group On-call → Backend', `role editor via group ${CHAIN}`],
      },
      { permission: 'web:edit', paths: ['role editor (client web)'] },
    ]);
    expect(explained.groups).toEqual(['Backend', 'Engineering', 'On-call']);
    expect(explained.realmRoles).toEqual(['editor']);
    expect(explained.clientRoles).toEqual({ web: ['editor'] });
  });

  it('applies the module filter and reports what it drops, with the module', async () => {
    await grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['finance.report.view', 'market.sell', 'reports:read']);
    let eff = can();
    // finance is bought but not granted to alice's membership; market is not bought.
    expect(eff.permissions).toEqual(['reports:read']);
    expect(eff.dropped.map((d) => [d.permission, d.module])).toEqual([
      ['finance.report.view', 'finance'],
      ['market.sell', 'market'],
    ]);
    await setMembershipAccess(deps, OP, acme.id, alice.id, { modules: ['finance'] });
    eff = can();
    expect(eff.permissions).toEqual(['finance.report.view', 'reports:read']);
    setCompanyEntitlements(deps, acme, ['basic'], OP);
    expect(can().permissions).toEqual(['reports:read']);
    // Both changes of the effective set are named in the chain, the entitlement change included.
    const changes = (deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'permissions.changed' ORDER BY seq").all(acme.id) as { payload: string }[]).map((r) => JSON.parse(r.payload));
    expect(changes.slice(-2)).toEqual([
      { subjects: [{ type: 'user', id: alice.id }], added: ['finance.report.view'], removed: [] },
      { subjects: [{ type: 'user', id: alice.id }], added: [], removed: ['finance.report.view'] },
    ]);
  });

  it('refuses cycles (409) and deleting a group with sub-groups unless recursive', async () => {
    await expect(updateGroup(deps, OP, 'acme', 'Engineering', { parent: 'On-call' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(updateGroup(deps, OP, 'acme', 'Backend', { parent: 'Backend' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(deleteGroup(deps, OP, 'acme', 'Backend')).rejects.toMatchObject({ code: 'conflict' });
    expect(listGroups(deps, OP, 'acme').map((g) => [g.name, g.depth])).toEqual([
      ['Engineering', 0],
      ['Backend', 1],
      ['On-call', 2],
    ]);
    expect(await deleteGroup(deps, OP, 'acme', 'Backend', { recursive: true })).toEqual({ deleted: ['Backend', 'On-call'] });
    expect(listGroups(deps, OP, 'acme').map((g) => g.name)).toEqual(['Engineering']);
  });

  it('adds only members of the tenant to groups', async () => {
    const outsider = await createActiveUser(deps, 'bob@else.test');
    await expect(addGroupMember(deps, OP, 'acme', 'Backend', outsider.email)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('computes a group as a subject: its own and its ancestors’ permissions and roles', async () => {
    await grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']);
    await createRole(deps, OP, 'acme', { name: 'oncall', permissions: ['page:ack'] });
    await assignRole(deps, OP, 'acme', 'oncall', { group: 'On-call' });
    const backend = listGroups(deps, OP, 'acme').find((g) => g.name === 'Backend')!;
    const onCall = listGroups(deps, OP, 'acme').find((g) => g.name === 'On-call')!;
    expect(effectivePermissionsOf(deps, acme.id, { type: 'group', id: backend.id })).toMatchObject({
      permissions: ['deploy:prod'],
      groups: ['Backend', 'Engineering'],
      realmRoles: [],
    });
    expect(effectivePermissionsOf(deps, acme.id, { type: 'group', id: onCall.id })).toMatchObject({
      permissions: ['deploy:prod', 'page:ack'],
      realmRoles: ['oncall'],
    });
  });

  it('writes permissions.changed entries naming the users whose set moved, in the same transaction', async () => {
    const bob = await createMember(deps, acme.id, 'bob@acme.test', 'SUBMITTER');
    await addGroupMember(deps, OP, 'acme', 'Backend', bob.email);
    await grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']);
    await grantUserPermissions(deps, OP, 'acme', alice.email, ['deploy:prod']);
    await revokeGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']);
    const entries = (
      deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'permissions.changed' ORDER BY seq").all(acme.id) as { payload: string }[]
    ).map((r) => JSON.parse(r.payload));
    const sortSubjects = (ids: string[]) => ids.map((id) => ({ type: 'user', id })).sort((a, b) => a.id.localeCompare(b.id));
    expect(entries).toEqual([
      { subjects: sortSubjects([alice.id, bob.id]), added: ['deploy:prod'], removed: [] },
      // alice still holds it directly: only bob loses it.
      { subjects: [{ type: 'user', id: bob.id }], added: [], removed: ['deploy:prod'] },
    ]);
    // A refused change leaves nothing behind.
    await expect(updateGroup(deps, OP, 'acme', 'Engineering', { parent: 'Backend' })).rejects.toMatchObject({ code: 'conflict' });
    expect(deps.sqlite.prepare("SELECT count(*) AS n FROM audit_entries WHERE event_type = 'permissions.changed'").get()).toEqual({ n: 2 });
  });

  it('reports permissions.changed for changes made elsewhere too: `users access set`, membership removal', async () => {
    await grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']);
    await setMembershipAccess(deps, OP, acme.id, alice.id, { permissions: ['publish:article'] });
    // The membership view reports the one effective set as well.
    expect((await getMembershipAccess(deps, OP, acme.id, alice.id)).effective.permissions).toEqual(['deploy:prod', 'publish:article']);
    removeCompanyMembership(deps, OP, acme.id, alice.id);
    const entries = (
      deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'permissions.changed' ORDER BY seq").all(acme.id) as { payload: string }[]
    ).map((r) => JSON.parse(r.payload));
    const subjects = [{ type: 'user', id: alice.id }];
    expect(entries).toEqual([
      { subjects, added: ['deploy:prod'], removed: [] },
      { subjects, added: ['publish:article'], removed: [] },
      { subjects, added: [], removed: ['deploy:prod', 'publish:article'] },
    ]);
  });

  it('serves from memory until a change, and sees a change made by another process on the next call', async () => {
    await grantGroupPermissions(deps, OP, 'acme', 'Engineering', ['deploy:prod']);
    const first = can();
    expect(can()).toBe(first);
    const other = buildDeps({ config: deps.config, databaseFile: `${deps.config.dataDir}/kimauth.db`, masterKeys: deps.masterKeys, clock: t.clock });
    try {
      await grantGroupPermissions(other, OP, 'acme', 'Backend', ['review:code']);
    } finally {
      other.close();
    }
    expect(can().permissions).toEqual(['deploy:prod', 'review:code']);
  });
});
