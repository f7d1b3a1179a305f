import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant, findTenant, listTenants } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('tenants', () => {
  let t: TestInstance;
  beforeEach(async () => {
    t = await createTestInstance();
  });
  afterEach(() => t.close());

  it('creates a tenant findable by id, slug and legacy code', async () => {
    t.clock.advance(1000);
    const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme', legacyCode: 'ACM-001' }, TEST_ACTOR);
    expect(acme.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const ref of [acme.id, 'acme', 'ACM-001']) expect(findTenant(t.deps, ref)?.id).toBe(acme.id);
    expect(listTenants(t.deps).map((x) => x.slug)).toEqual(['master', 'acme']);
  });

  it.each([
    ['Acme', 'upper case'],
    ['a', 'too short'],
    ['-acme', 'leading hyphen'],
    ['acme-', 'trailing hyphen'],
    ['ac me', 'space'],
    ['acme/x', 'slash'],
    ['a'.repeat(64), 'too long'],
  ])('rejects slug %j (%s) with validation_error', async (slug) => {
    await expect(createTenant(t.deps, { slug, name: 'X' }, TEST_ACTOR)).rejects.toMatchObject({ code: 'validation_error' });
  });

  it('reserves master and refuses duplicates with conflict', async () => {
    await expect(createTenant(t.deps, { slug: 'master', name: 'X' }, TEST_ACTOR)).rejects.toMatchObject({
      code: 'validation_error',
    });
    await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    await expect(createTenant(t.deps, { slug: 'acme', name: 'Other' }, TEST_ACTOR)).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(listTenants(t.deps)).toHaveLength(2);
  });
});
