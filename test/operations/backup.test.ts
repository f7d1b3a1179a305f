import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/app/config.ts';
import { writeMasterKeyring } from '../../src/keys/master-key.ts';
import { takeBackup } from '../../src/operations/backup/backup.ts';
import { restoreBackup } from '../../src/operations/backup/restore.ts';
import { NIGHTLY_BACKUP_JOB, runNightlyBackup } from '../../src/operations/backup/job.ts';
import { newestBackupRecord } from '../../src/operations/backup/store.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { listAuditEntries } from '../../src/audit/entries.ts';
import { createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('backups in-process: sealing to an RSA key, the nightly job and its rotation, damaged archives', () => {
  const dir = tempDir('kimauth-backup-unit-');
  const backupDir = path.join(dir.path, 'nightly');
  let t: TestInstance;

  beforeAll(async () => {
    t = await createTestInstance({ file: true, config: { backupDir, backupKeep: 2 } });
    writeMasterKeyring(t.deps.config.masterKeyFile, t.deps.masterKeys);
  });
  afterAll(() => {
    t.close();
    dir.remove();
  });

  it('seals to an RSA public key; only the private key opens it; a flipped byte is refused and nothing is left', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const out = path.join(dir.path, 'to-key.kimauth-backup');
    const pages: number[] = [];
    const result = await takeBackup(t.deps, {
      out,
      sealing: { type: 'public-key', pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      kind: 'manual',
      actor: TEST_ACTOR,
      onProgress: (p) => pages.push(p.remainingPages),
    });
    expect(pages.length).toBeGreaterThan(0);
    expect(result.includesMasterKey).toBe(true);
    expect(newestBackupRecord(t.deps)).toMatchObject({ id: result.id, kind: 'manual', sealing: 'public-key' });
    await expect(takeBackup(t.deps, { out, sealing: { type: 'none' }, kind: 'manual', actor: TEST_ACTOR })).rejects.toThrow(/already exists/);

    const target = (name: string) => testConfig({ dataDir: path.join(dir.path, name) });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(restoreBackup({ from: out, config: target('no-key'), opening: {}, actor: TEST_ACTOR })).rejects.toThrow(/give its private key/);

    const damaged = path.join(dir.path, 'damaged.kimauth-backup');
    const bytes = readFileSync(out);
    bytes[bytes.length - 100] ^= 0x01;
    writeFileSync(damaged, bytes);
    await expect(restoreBackup({ from: damaged, config: target('damaged'), opening: { privateKeyPem: privatePem }, actor: TEST_ACTOR })).rejects.toThrow(/changed or damaged/);
    expect(existsSync(path.join(dir.path, 'damaged'))).toBe(false);

    const report = await restoreBackup({ from: out, config: target('to-key'), opening: { privateKeyPem: privatePem }, actor: TEST_ACTOR });
    expect(report).toMatchObject({ integrity: 'ok', masterKey: 'from-backup', audit: { ok: true } });
  });

  it('serve registers the nightly job only with KIMAUTH_BACKUP_DIR; it keeps the newest KIMAUTH_BACKUP_KEEP, audited', async () => {
    const scheduler = createScheduler(t.deps.logger);
    registerJobs(scheduler, t.deps);
    expect(scheduler.status().map((j) => j.name)).toContain(NIGHTLY_BACKUP_JOB);
    const none = await createTestInstance();
    const plain = createScheduler(none.deps.logger);
    registerJobs(plain, none.deps);
    expect(plain.status().map((j) => j.name)).not.toContain(NIGHTLY_BACKUP_JOB);
    none.close();

    const names: string[] = [];
    for (let night = 0; night < 3; night++) {
      await scheduler.runNow(NIGHTLY_BACKUP_JOB);
      names.push(...readdirSync(backupDir).filter((n) => !names.includes(n)));
      t.clock.advance(24 * 60 * 60_000);
    }
    const { removed } = await runNightlyBackup(t.deps);
    expect(removed).toHaveLength(1);
    expect(readdirSync(backupDir).sort()).toHaveLength(2);
    expect(readdirSync(backupDir).sort()[0] > names[0]).toBe(true);
    const types = listAuditEntries(t.deps, { tenantId: t.master.id, limit: 100 }).map((e) => e.type);
    expect(types.filter((ty) => ty === 'backup.taken').length).toBeGreaterThanOrEqual(4);
    expect(types).toContain('backup.rotated');

    // A nightly (unsealed) backup holds no master key; restored with the instance's key file.
    const newest = path.join(backupDir, readdirSync(backupDir).sort().at(-1)!);
    const report = await restoreBackup({
      from: newest,
      config: testConfig({ dataDir: path.join(dir.path, 'from-nightly'), masterKeyFile: t.deps.config.masterKeyFile }),
      opening: {},
      actor: TEST_ACTOR,
    });
    expect(report.masterKey).toBe('existing-file');
  });
});
