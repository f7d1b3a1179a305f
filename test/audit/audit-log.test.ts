import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEntries } from '../../src/audit/tables.ts';
import { computeAuditHmac, GENESIS_HMAC, type AuditEntry } from '../../src/audit/audit-log.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { eq, asc } from 'drizzle-orm';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('audit.append', () => {
  let t: TestInstance;
  beforeEach(async () => {
    t = await createTestInstance();
  });
  afterEach(() => t.close());

  const chain = (tenantId: string) =>
    t.deps.db.select().from(auditEntries).where(eq(auditEntries.tenantId, tenantId)).orderBy(asc(auditEntries.seq)).all();

  it('links each entry to the previous one by HMAC, per tenant, from a zero genesis', async () => {
    const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const entries = chain(acme.id);
    expect(entries.map((e) => e.eventType)).toEqual(['tenant.created', 'key.created']);
    expect(entries[0].seq).toBe(1);
    expect(entries[0].prevHmac).toBe(GENESIS_HMAC);
    expect(entries[1].prevHmac).toBe(entries[0].hmac);
    const key = t.deps.audit.hmacKey(entries[0].keyId);
    for (const e of entries) {
      const { id: _id, ...rest } = e;
      expect(computeAuditHmac(key, rest as Omit<AuditEntry, 'hmac'>)).toBe(e.hmac);
    }
    // The platform chain records the creation too, and continues its own sequence.
    const platform = chain(t.master.id);
    expect(platform.at(-1)?.eventType).toBe('tenant.created');
    expect(platform.at(-1)?.targetId).toBe(acme.id);
  });

  it('records the actor, channel, time from the injected clock, and a canonical payload', () => {
    t.clock.set('2026-05-05T05:05:05Z');
    const entry = t.deps.sqlite.transaction(() =>
      t.deps.audit.append(t.master.id, {
        actor: { type: 'user', id: 'u-1', channel: 'http' },
        type: 'test.event',
        target: { type: 'thing', id: 't-1' },
        payload: { b: 2, a: 1 },
      }),
    )();
    expect(entry).toMatchObject({ actorType: 'user', actorId: 'u-1', channel: 'http', at: Date.parse('2026-05-05T05:05:05Z') });
    expect(entry.payload).toBe('{"a":1,"b":2}');
  });

  it('refuses to append outside a transaction', () => {
    expect(() => t.deps.audit.append(t.master.id, { actor: TEST_ACTOR, type: 'x' })).toThrow(/inside the transaction/);
  });

  it('is rolled back with the change it belongs to', () => {
    const before = chain(t.master.id).length;
    expect(() =>
      t.deps.sqlite.transaction(() => {
        t.deps.audit.append(t.master.id, { actor: TEST_ACTOR, type: 'doomed' });
        throw new Error('change failed');
      })(),
    ).toThrow('change failed');
    expect(chain(t.master.id)).toHaveLength(before);
  });

  it('changes the HMAC when any covered field changes', () => {
    const e = chain(t.master.id)[0];
    const { id: _id, ...base } = e;
    const key = t.deps.audit.hmacKey();
    const original = computeAuditHmac(key, base);
    for (const field of ['payload', 'actorId', 'eventType', 'prevHmac'] as const) {
      expect(computeAuditHmac(key, { ...base, [field]: `${base[field]}x` })).not.toBe(original);
    }
    expect(computeAuditHmac(key, { ...base, seq: base.seq + 1 })).not.toBe(original);
  });
});
