import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/deps.ts';
import { runKimauth, startServeProcess, type ServerProcess } from '../support/processes.ts';

/** Every row of every table, hashed: "the target is unchanged" means this stays the same. */
function databaseDigest(dataDir: string): string {
  const db = new Database(path.join(dataDir, 'kimauth.db'), { readonly: true });
  try {
    const hash = createHash('sha256');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    for (const table of tables) {
      // Rows sorted by their own content: some tables are WITHOUT ROWID.
      const rows = db.prepare(`SELECT * FROM "${table}"`).all().map((row) => JSON.stringify(row)).sort();
      hash.update(table).update(JSON.stringify(rows));
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

/** Issue 14 §2: a tenant moves between two instances (two data dirs, two master keys) and its users sign in there. */
describe('e2e: kimauth tenants export → tenants import, then sign-in over HTTP on the target', () => {
  const dir = tempDir('kimauth-transfer-');
  const source = path.join(dir.path, 'source');
  const target = path.join(dir.path, 'target');
  const archive = path.join(dir.path, 'acme.kimauth');
  const PASSPHRASE = 'a long export passphrase';
  const JANE = { email: 'jane@acme.test', password: 'jane-password-1' };
  let server: ServerProcess | undefined;
  const k = async (dataDir: string, args: string[], stdin?: string) => {
    const run = await runKimauth(['--data-dir', dataDir, ...args], { stdin });
    return run;
  };
  const ok = async (dataDir: string, args: string[], stdin?: string) => {
    const run = await k(dataDir, args, stdin);
    expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return run;
  };

  beforeAll(async () => {
    await ok(source, ['init', '--yes', '--admin-email', 'root@source.test', '--admin-password-stdin'], 'source-root-pw-1');
    await ok(target, ['init', '--yes', '--admin-email', 'root@target.test', '--admin-password-stdin'], 'target-root-pw-1');
    await ok(source, ['tenants', 'create', '--slug', 'acme', '--name', 'Acme GmbH']);
    await ok(source, ['users', 'create', '--email', JANE.email, '--name', 'Jane Doe', '--password-stdin'], JANE.password);
    await ok(source, ['users', 'memberships', 'set', JANE.email, '--tenant', 'acme', '--role', 'FINANCE']);
    // A target tenant that already has the slug: the import must go --as another slug.
    await ok(target, ['tenants', 'create', '--slug', 'acme', '--name', 'Another Acme']);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop();
    dir.remove();
  });

  it('round-trips: refused clash, wrong passphrase and flipped byte leave the target unchanged; --as imports, verify passes, Jane signs in', { timeout: 120_000 }, async () => {
    const exported = await ok(source, ['tenants', 'export', 'acme', '--out', archive, '--passphrase-stdin', '--json'], PASSPHRASE);
    expect(JSON.parse(exported.stdout)).toMatchObject({ users: 1, signingKeys: 1, tables: { company_memberships: 1 } });
    expect(readFileSync(archive).toString('latin1')).not.toContain(JANE.email); // sealed, not merely encoded

    const before = databaseDigest(target);
    const wrong = await k(target, ['tenants', 'import', archive, '--as', 'acme-eu', '--passphrase-stdin'], 'not the passphrase');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Wrong passphrase, or the archive was changed or damaged/);
    const flipped = path.join(dir.path, 'flipped.kimauth');
    const bytes = readFileSync(archive);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(flipped, bytes);
    const damaged = await k(target, ['tenants', 'import', flipped, '--as', 'acme-eu', '--passphrase-stdin'], PASSPHRASE);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/changed or damaged/);
    const clash = await k(target, ['tenants', 'import', archive, '--passphrase-stdin'], PASSPHRASE);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/slug "acme" already exists here; import it under another slug with --as/);
    expect(databaseDigest(target)).toBe(before);

    const imported = await ok(target, ['tenants', 'import', archive, '--as', 'acme-eu', '--passphrase-stdin', '--json'], PASSPHRASE);
    expect(JSON.parse(imported.stdout)).toMatchObject({ tenant: { slug: 'acme-eu', sourceSlug: 'acme' }, usersCreated: 1 });
    const verify = await ok(target, ['audit', 'verify', '--json']);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
    // Importing again: the tenant id exists now.
    expect((await k(target, ['tenants', 'import', archive, '--as', 'acme-eu2', '--passphrase-stdin'], PASSPHRASE)).stderr).toMatch(/already exists here/);

    server = await startServeProcess(target);
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...JANE, accountType: '' }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = ((await login.json()) as { data: { accessToken: string } }).data;
    const me = (await (await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { data: unknown };
    expect(JSON.stringify(me.data)).toContain('FINANCE');
    // The imported tenant's signing key (re-encrypted under the target's master key) signs its published head.
    const head = await fetch(`${server.url}/t/acme-eu/audit/head`);
    expect(head.status).toBe(200);
    const tail = await ok(target, ['audit', 'tail', '--tenant', 'acme-eu', '--type', 'tenant.imported', '--json']);
    expect(tail.stdout).toContain('sourceChain');
  });
});
