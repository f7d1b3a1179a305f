import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

/**
 * A data dir with one migration not applied (as after upgrading the binary): commands that only read leave it as it
 * is; the first command that writes applies it.
 */
describe('CLI commands that only read run no migrations', () => {
  const dir = tempDir('kimauth-read-only-');
  const dataDir = path.join(dir.path, 'data');
  const PENDING = '0085_agents';
  const state = () => {
    const db = new Database(path.join(dataDir, 'kimauth.db'), { readonly: true });
    try {
      return {
        applied: db.prepare('SELECT count(*) FROM kimauth_migrations WHERE tag = ?').pluck().get(PENDING),
        agentsTable: db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'agents'").pluck().get(),
      };
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], { stdin: 'read-only-pw-1' });
    expect(init.code, init.stderr).toBe(0);
    expect((await cli(['--data-dir', dataDir, 'audit', 'heads', 'publish'])).code).toBe(0);
    // Undo the last migration: its table and its ledger row.
    const db = new Database(path.join(dataDir, 'kimauth.db'));
    db.exec('DROP TABLE agents');
    db.prepare('DELETE FROM kimauth_migrations WHERE tag = ?').run(PENDING);
    db.close();
    expect(state()).toEqual({ applied: 0, agentsTable: 0 });
  });
  afterAll(() => dir.remove());

  it.each([
    [['keys', 'list']],
    [['mail', 'outbox']],
    [['audit', 'verify']],
    [['audit', 'tail', '--limit', '5']],
    [['audit', 'heads', 'list']],
  ])('%j reads and names the pending migration without applying it', async (argv) => {
    const run = await cli(['--data-dir', dataDir, ...argv]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`1 migration(s) pending (${PENDING})`);
    expect(state()).toEqual({ applied: 0, agentsTable: 0 });
  });

  it('with --json the output stays one JSON document, and nothing is applied', async () => {
    const run = await cli(['--data-dir', dataDir, 'keys', 'list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<Array<{ tenant: string }>>().map((k) => k.tenant)).toEqual(['master']);
    expect(state()).toEqual({ applied: 0, agentsTable: 0 });
  });

  it('runs last: a command that writes applies the pending migration', async () => {
    const rotate = await cli(['--data-dir', dataDir, 'keys', 'rotate']);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(state()).toEqual({ applied: 1, agentsTable: 1 });
  });
});
