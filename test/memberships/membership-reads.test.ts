import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { softDeleteUser } from '../../src/identity/user-admin.ts';
import { activeCompanyRole, activeMembershipsOf, isActiveMemberOf } from '../../src/memberships/active-memberships.ts';
import {
  companyMembershipsOfUsers,
  businessUnitMembershipsOfUsers,
  listCompanyMembershipsOfUser,
  memberIdsOfCompany,
  upsertBusinessUnitMembership,
  upsertCompanyMembership,
} from '../../src/memberships/memberships.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTenant, updateTenant } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser } from '../support/members.ts';

const BU_1 = '11111111-1111-4111-8111-111111111111';
const BU_2 = '22222222-2222-4222-8222-222222222222';

/**
 * The membership reads no longer join tenants or users: the company's slug, name and status come from the tenants
 * context and liveness from identity. These pin what the joins used to give.
 */
describe('membership reads through the tenants and identity contexts', () => {
  let t: TestInstance;
  let zeta: TenantRow;
  let alpha: TenantRow;

  beforeEach(async () => {
    t = await createTestInstance();
    // Created in this order so that creation order and slug order differ.
    zeta = await createTenant(t.deps, { slug: 'zeta', name: 'Zeta Ltd' }, TEST_ACTOR);
    alpha = await createTenant(t.deps, { slug: 'alpha', name: 'Alpha Inc' }, TEST_ACTOR);
  });
  afterEach(() => t.close());

  it('lists a user’s companies by slug with their names, and keeps metadata as stored', async () => {
    const user = await createActiveUser(t.deps, 'jane@example.com');
    upsertCompanyMembership(t.deps, TEST_ACTOR, zeta.id, { userId: user.id, role: 'ADMIN', metadata: { invoiceViewScope: 'COMPANY', n: [1, 2] } });
    upsertCompanyMembership(t.deps, TEST_ACTOR, alpha.id, { userId: user.id, role: 'SUBMITTER', approvalLimit: '2500.00', isActive: false });

    const entries = listCompanyMembershipsOfUser(t.deps, user.id);
    expect(entries.map((e) => [e.companySlug, e.companyName, e.role, e.isActive])).toEqual([
      ['alpha', 'Alpha Inc', 'SUBMITTER', false],
      ['zeta', 'Zeta Ltd', 'ADMIN', true],
    ]);
    expect(entries[0].approvalLimit).toBe('2500.00');
    expect(entries[1].metadata).toEqual({ invoiceViewScope: 'COMPANY', n: [1, 2] });
    expect(entries[1].invoiceViewScope).toBe('COMPANY');
    // The filtered path (many users, one statement) gives the same entries.
    expect(companyMembershipsOfUsers(t.deps, [user.id]).get(user.id)).toEqual(entries);
    expect(listCompanyMembershipsOfUser(t.deps, user.id, { activeOnly: true }).map((e) => e.companySlug)).toEqual(['zeta']);
    expect(listCompanyMembershipsOfUser(t.deps, user.id, { companyId: alpha.id }).map((e) => e.companySlug)).toEqual(['alpha']);
  });

  it('narrows many users’ memberships by company, business unit and activity in one call', async () => {
    const a = await createActiveUser(t.deps, 'a@example.com');
    const b = await createActiveUser(t.deps, 'b@example.com');
    const c = await createActiveUser(t.deps, 'c@example.com');
    upsertCompanyMembership(t.deps, TEST_ACTOR, zeta.id, { userId: a.id, role: 'ADMIN' });
    upsertCompanyMembership(t.deps, TEST_ACTOR, alpha.id, { userId: b.id, role: 'FINANCE' });
    upsertBusinessUnitMembership(t.deps, TEST_ACTOR, zeta.id, BU_1, { userId: a.id, role: 'APPROVER' });
    upsertBusinessUnitMembership(t.deps, TEST_ACTOR, zeta.id, BU_2, { userId: a.id, role: 'SUBMITTER', isActive: false });
    upsertBusinessUnitMembership(t.deps, TEST_ACTOR, alpha.id, BU_1, { userId: b.id, role: 'ADMIN' });

    const companies = companyMembershipsOfUsers(t.deps, [a.id, b.id, c.id], { companyId: zeta.id });
    expect([...companies].map(([id, rows]) => [id, rows.map((r) => r.companySlug)])).toEqual([
      [a.id, ['zeta']],
      [b.id, []],
      [c.id, []],
    ]);
    const units = businessUnitMembershipsOfUsers(t.deps, [a.id, b.id], { businessUnitId: BU_1 });
    expect(units.get(a.id)!.map((r) => r.companyId)).toEqual([zeta.id]);
    expect(units.get(b.id)!.map((r) => r.companyId)).toEqual([alpha.id]);
    expect(businessUnitMembershipsOfUsers(t.deps, [a.id], { companyId: zeta.id, activeOnly: true }).get(a.id)!.map((r) => r.businessUnitId)).toEqual([BU_1]);
    expect(companyMembershipsOfUsers(t.deps, []).size).toBe(0);
  });

  it('a disabled company gives no active role, while the membership stays on record', async () => {
    const user = await createActiveUser(t.deps, 'jane@example.com');
    upsertCompanyMembership(t.deps, TEST_ACTOR, zeta.id, { userId: user.id, role: 'ADMIN' });
    expect(activeCompanyRole(t.deps, user.id, zeta.id)).toBe('ADMIN');

    updateTenant(t.deps, zeta.id, { status: 'disabled' }, TEST_ACTOR);
    expect(activeCompanyRole(t.deps, user.id, zeta.id)).toBeNull();
    expect(activeMembershipsOf(t.deps, user.id)).toEqual([{ companyId: zeta.id, role: 'ADMIN', companyActive: false }]);
    expect(isActiveMemberOf(t.deps, user.id, zeta.id)).toBe(true);
    expect(listCompanyMembershipsOfUser(t.deps, user.id).map((e) => e.companySlug)).toEqual(['zeta']);
  });

  it('member ids leave out deleted users and come ordered by email', async () => {
    const zed = await createActiveUser(t.deps, 'zed@example.com');
    const amy = await createActiveUser(t.deps, 'amy@example.com');
    const gone = await createActiveUser(t.deps, 'bob@example.com');
    for (const u of [zed, amy, gone]) {
      upsertCompanyMembership(t.deps, TEST_ACTOR, zeta.id, { userId: u.id, role: 'SUBMITTER' });
      upsertBusinessUnitMembership(t.deps, TEST_ACTOR, zeta.id, BU_1, { userId: u.id, role: 'SUBMITTER' });
    }
    expect(memberIdsOfCompany(t.deps, zeta.id)).toEqual([amy.id, gone.id, zed.id]);
    softDeleteUser(t.deps, TEST_ACTOR, gone.id);
    expect(memberIdsOfCompany(t.deps, zeta.id)).toEqual([amy.id, zed.id]);
    expect(memberIdsOfCompany(t.deps, zeta.id, BU_1)).toEqual([amy.id, zed.id]);
    expect(memberIdsOfCompany(t.deps, alpha.id)).toEqual([]);
  });
});
