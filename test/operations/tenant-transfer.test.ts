import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { listAuditEntries } from '../../src/audit/entries.ts';
import { verifyAuditChains } from '../../src/audit/verify.ts';
import { findUserByEmail } from '../../src/identity/users.ts';
import { sealToText } from '../../src/keys/master-key.ts';
import { upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { exportTenant } from '../../src/operations/transfer/export.ts';
import { importTenant } from '../../src/operations/transfer/import.ts';
import { tenantScopedTables } from '../../src/operations/transfer/store.ts';
import { createTenant, findTenant } from '../../src/tenants/tenants.ts';
import { ADMIN_EMAIL, createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser, createMember } from '../support/members.ts';

const PASSPHRASE = 'transfer passphrase';

describe('tenant export/import in-process: discovery, users, clashes, the re-sealed chain', () => {
  const dir = tempDir('kimauth-transfer-unit-');
  let source: TestInstance;
  let target: TestInstance;
  let archive: string;

  beforeAll(async () => {
    source = await createTestInstance();
    target = await createTestInstance();
    const acme = await createTenant(source.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    setCompanyEntitlements(source.deps, acme, ['basic', 'finance'], TEST_ACTOR);
    await createMember(source.deps, acme.id, 'boss@acme.test', 'TENANT_SUPERADMIN');
    // The platform admin is a member too: the same account (same id and email) exists on the target.
    const admin = findUserByEmail(source.deps, ADMIN_EMAIL)!;
    upsertCompanyMembership(source.deps, TEST_ACTOR, acme.id, { userId: admin.id, role: 'ADMIN' });
    const promoted = await createActiveUser(source.deps, 'platform@acme.test', 'PLATFORM_ADMIN');
    upsertCompanyMembership(source.deps, TEST_ACTOR, acme.id, { userId: promoted.id, role: 'ADMIN' });
    // Tables another capability might add: one with a tenant column, one that belongs to it through its parent only.
    for (const deps of [source.deps, target.deps]) {
      deps.sqlite.exec(`CREATE TABLE test_groups (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, secret TEXT);
        CREATE TABLE test_group_members (group_id TEXT NOT NULL REFERENCES test_groups(id), user_id TEXT NOT NULL REFERENCES users(id),
          PRIMARY KEY (group_id, user_id));`);
    }
    const grouped = await createActiveUser(source.deps, 'grouped@acme.test');
    source.deps.sqlite.prepare("INSERT INTO test_groups VALUES ('g-1', ?, 'Finance', ?)").run(acme.id, sealToText(source.deps.masterKeys, 'webhook-secret', 'test'));
    source.deps.sqlite.prepare("INSERT INTO test_groups VALUES ('g-other', ?, 'Elsewhere', NULL)").run(source.master.id);
    source.deps.sqlite.prepare("INSERT INTO test_group_members VALUES ('g-1', ?)").run(grouped.id);
    source.deps.sqlite.prepare("INSERT INTO test_group_members VALUES ('g-other', ?)").run(source.admin.id);
    archive = path.join(dir.path, 'acme.kimauth');
    const exported = await exportTenant(source.deps, { tenant: 'acme', out: archive, passphrase: PASSPHRASE, actor: TEST_ACTOR });
    // A value sealed under the source's master key cannot open elsewhere: the export names its column.
    expect(exported.sealedColumns).toEqual(['test_groups.secret']);
  });
  afterAll(() => {
    source.close();
    target.close();
    dir.remove();
  });

  it('discovers every table with a foreign key to tenants, whatever its column is called', () => {
    const tables = tenantScopedTables(source.deps);
    const byName = new Map(tables.map((t) => [t.name, t]));
    expect(byName.get('company_memberships')).toMatchObject({ tenantColumns: ['company_id'], referenceOnly: false, userColumns: ['user_id'] });
    expect(byName.get('payments')?.tenantColumns).toEqual(['tenant_id']);
    expect(byName.get('user_access_preferences')).toMatchObject({ referenceOnly: true });
    expect(byName.has('audit_entries')).toBe(false); // handled on its own (re-sealed)
  });

  it('refuses a user whose email belongs to another account here, and writes nothing', async () => {
    const clash = await createActiveUser(target.deps, 'boss@acme.test');
    try {
      await expect(importTenant(target.deps, { file: archive, passphrase: PASSPHRASE, actor: TEST_ACTOR })).rejects.toThrow(/boss@acme\.test .* clashes/);
      expect(findTenant(target.deps, 'acme')).toBeUndefined();
    } finally {
      target.deps.sqlite.prepare('DELETE FROM users WHERE id = ?').run(clash.id);
    }
  });

  it('imports: same account reused, new ones created without platform roles, entitlements along, chain verifies', async () => {
    const result = await importTenant(target.deps, { file: archive, passphrase: PASSPHRASE, actor: TEST_ACTOR });
    expect(result).toMatchObject({
      usersCreated: 3,
      usersAlreadyPresent: 1,
      tables: { company_entitlements: 2, company_memberships: 3, test_groups: 1, test_group_members: 1 },
    });
    expect(target.deps.sqlite.prepare('SELECT group_id FROM test_group_members').pluck().all()).toEqual(['g-1']);
    expect(findUserByEmail(target.deps, 'grouped@acme.test')).toBeDefined();
    expect(findUserByEmail(target.deps, 'platform@acme.test')?.globalRole).toBe('NONE');
    const acme = findTenant(target.deps, 'acme')!;
    expect(acme.id).toBe(findTenant(source.deps, 'acme')!.id);

    const report = await verifyAuditChains(target.deps);
    expect(report.ok, JSON.stringify(report.firstBreak)).toBe(true);
    const entries = listAuditEntries(target.deps, { tenantId: acme.id, limit: 100 });
    const sourceEntries = listAuditEntries(source.deps, { tenantId: acme.id, limit: 100 });
    // Same events in the same order, then the import entry naming the source chain's end.
    expect(sourceEntries.at(-1)?.type).toBe('tenant.exported');
    expect(entries.map((e) => e.type)).toEqual([...sourceEntries.slice(0, -1).map((e) => e.type), 'tenant.imported']);
    const imported = entries.at(-1)!;
    const lastSource = source.deps.sqlite.prepare('SELECT seq, hmac FROM audit_entries WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1').get(acme.id) as { seq: number; hmac: string };
    // The export entry came after the snapshot, so the archive's chain ends one before it.
    expect(imported.payload).toMatchObject({ sourceSlug: 'acme', sourceChain: { lastSeq: lastSource.seq - 1 } });
    // The signing key works under the target's master key.
    expect(target.deps.keyring.active(acme.id).privateKey.asymmetricKeyType).toBe('rsa');
  });
});
