import { chmodSync, renameSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { startViesStandIn, type ViesStandIn } from '../support/vies-stand-in.ts';

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }>;
}

describe('kimauth doctor: healthy → exit 0; wrong permissions, missing key, pending migration → exit 1 naming the check', () => {
  const dir = tempDir('kimauth-doctor-');
  const dataDir = path.join(dir.path, 'data');
  let vies: ViesStandIn;
  let env: NodeJS.ProcessEnv;
  const doctor = async () => {
    const run = await cli(['--data-dir', dataDir, 'doctor', '--json', '--timeout', '2000'], { env });
    return { code: run.code, stderr: run.stderr, report: run.json<Report>() };
  };
  const status = (report: Report, name: string) => report.checks.find((c) => c.name === name)?.status;

  beforeAll(async () => {
    vies = await startViesStandIn();
    env = { KIMAUTH_VIES_URL: vies.url };
    const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], { stdin: 'doctor-password-1', env });
    expect(init.code, init.stderr).toBe(0);
    expect((await cli(['--data-dir', dataDir, 'audit', 'heads', 'publish'], { env })).code).toBe(0);
    expect((await cli(['--data-dir', dataDir, 'backup', '--out', path.join(dir.path, 'first.kimauth-backup')], { env })).code).toBe(0);
  });
  afterAll(async () => {
    await vies.close();
    dir.remove();
  });

  it('a healthy data dir: every check ok, exit 0', async () => {
    const { code, report } = await doctor();
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['data-dir-permissions', 'master-key', 'free-disk', 'wal-size', 'migrations', 'clock-skew', 'smtp', 'entitlements-service', 'vies', 'webhook-failures', 'signing-key-rotation', 'last-backup']),
    );
  });

  it('a database readable by others fails data-dir-permissions, with the chmod to run', async () => {
    chmodSync(path.join(dataDir, 'kimauth.db'), 0o644);
    try {
      const { code, stderr, report } = await doctor();
      expect(code).toBe(1);
      expect(stderr).toMatch(/data-dir-permissions/);
      const check = report.checks.find((c) => c.name === 'data-dir-permissions')!;
      expect(check).toMatchObject({ status: 'fail', message: expect.stringContaining('kimauth.db is 644') });
      expect(check.fix).toMatch(/chmod 600/);
    } finally {
      chmodSync(path.join(dataDir, 'kimauth.db'), 0o600);
    }
  });

  it('a missing master key fails master-key (and the checks that need the database say why they did not run)', async () => {
    const key = path.join(dataDir, 'master.key');
    renameSync(key, `${key}.away`);
    try {
      const { code, stderr, report } = await doctor();
      expect(code).toBe(1);
      expect(stderr).toMatch(/master-key/);
      expect(status(report, 'master-key')).toBe('fail');
      expect(report.checks.find((c) => c.name === 'migrations')?.message).toMatch(/could not be opened/);
    } finally {
      renameSync(`${key}.away`, key);
    }
  });

  it('a pending migration fails migrations, and doctor does not apply it', async () => {
    const db = new Database(path.join(dataDir, 'kimauth.db'));
    const row = db.prepare("SELECT * FROM kimauth_migrations WHERE tag = '0060_backups'").get() as { tag: string; applied_at: number };
    db.prepare('DELETE FROM kimauth_migrations WHERE tag = ?').run(row.tag);
    try {
      const { code, stderr, report } = await doctor();
      expect(code).toBe(1);
      expect(stderr).toMatch(/migrations/);
      expect(report.checks.find((c) => c.name === 'migrations')).toMatchObject({ status: 'fail', message: expect.stringContaining('0060_backups') });
      expect(db.prepare('SELECT count(*) FROM kimauth_migrations WHERE tag = ?').pluck().get(row.tag)).toBe(0);
    } finally {
      db.prepare('INSERT INTO kimauth_migrations (tag, applied_at) VALUES (?, ?)').run(row.tag, row.applied_at);
      db.close();
    }
    expect((await doctor()).code).toBe(0);
  });
});
