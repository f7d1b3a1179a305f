import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant, updateTenant } from '../../src/tenants/tenants.ts';
import { selectTenantById, selectTenantBySlug, tenantIsActive } from '../../src/tenants/store.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

/** Tenant rows are kept in memory between reads (committed-read-cache.ts); a change is seen at the next read. */
describe('tenant lookups kept in memory', () => {
  let t: TestInstance;
  beforeEach(async () => {
    t = await createTestInstance();
  });
  afterEach(() => t.close());

  it('sees an update made through any copy of the deps at the next read (one cache per connection)', async () => {
    const tenant = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const requestDeps = { ...t.deps };
    expect(selectTenantBySlug(requestDeps, 'acme')?.status).toBe('active');
    expect(tenantIsActive(requestDeps, tenant.id)).toBe(true);
    updateTenant(t.deps, 'acme', { status: 'disabled', name: 'Acme GmbH' }, TEST_ACTOR);
    expect(selectTenantBySlug(requestDeps, 'acme')).toMatchObject({ status: 'disabled', name: 'Acme GmbH' });
    expect(selectTenantById(requestDeps, tenant.id)?.status).toBe('disabled');
    expect(tenantIsActive(requestDeps, tenant.id)).toBe(false);
  });

  it('shares rows frozen: a caller cannot change what the next one reads', async () => {
    await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const row = selectTenantBySlug(t.deps, 'acme')!;
    expect(() => Object.assign(row, { status: 'disabled' })).toThrow(TypeError);
    expect(selectTenantBySlug(t.deps, 'acme')?.status).toBe('active');
  });
});
