import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/deps.ts';
import { runKimauth, startServeProcess, type ServerProcess } from '../support/processes.ts';

/** Issue 14 §1: an online backup taken while sign-ins and refreshes run against a real `serve`, restored and used. */
describe('e2e: kimauth backup under load, kimauth restore, sessions on the restored dir', () => {
  const dir = tempDir('kimauth-backup-');
  const dataDir = path.join(dir.path, 'data');
  const EMAIL = 'root@example.com';
  const PASSWORD = 'backup-password-1';
  const PASSPHRASE = 'correct horse battery staple';
  const env = { KIMAUTH_RATE_LIMIT_PER_MINUTE: '1000000' };
  let server: ServerProcess | undefined;
  let restored: ServerProcess | undefined;

  const post = async (base: string, route: string, body: unknown) => {
    const res = await fetch(base + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { data?: { refreshToken: string; accessToken: string } } };
  };
  const signIn = async (base: string) => {
    const res = await post(base, '/auth/login', { email: EMAIL, password: PASSWORD, accountType: '' });
    expect(res.status).toBe(200);
    return res.body.data!;
  };

  beforeAll(async () => {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', EMAIL, '--admin-password-stdin'], { stdin: PASSWORD });
    expect(init.code, init.stderr).toBe(0);
    expect((await runKimauth(['--data-dir', dataDir, 'tenants', 'create', '--slug', 'acme', '--name', 'Acme'])).code).toBe(0);
    server = await startServeProcess(dataDir, { env });
  });
  afterAll(async () => {
    for (const s of [server, restored]) if (s && s.child.exitCode === null) await s.stop();
    dir.remove();
  });

  it('backs up while serve answers, restores into an empty dir (integrity + audit verified), and the sessions work there', { timeout: 120_000 }, async () => {
    const base = server!.url;
    // Sessions the backup certainly contains: opened before it starts, left alone during it.
    const held = [await signIn(base), await signIn(base), await signIn(base)];

    let backupDone = false;
    let answered = 0;
    const load = async () => {
      // Bounded: at most 60 rounds per worker, and it stops as soon as the backup is written.
      for (let round = 0; round < 60 && !backupDone; round++) {
        let pair = await signIn(base);
        for (let i = 0; i < 3; i++) {
          const next = await post(base, '/auth/refresh', { refreshToken: pair.refreshToken });
          expect(next.status).toBe(200);
          pair = next.body.data!;
          answered++;
        }
      }
    };
    const archive = path.join(dir.path, 'under-load.kimauth-backup');
    const backup = (async () => {
      try {
        return await runKimauth(['--data-dir', dataDir, 'backup', '--out', archive, '--passphrase-stdin', '--json'], { stdin: PASSPHRASE });
      } finally {
        backupDone = true;
      }
    })();
    const [taken] = await Promise.all([backup, load(), load()]);
    expect(taken.code, taken.stderr).toBe(0);
    const result = JSON.parse(taken.stdout);
    expect(result).toMatchObject({ sealing: 'passphrase', includesMasterKey: true });
    expect(result.members.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(['kimauth.db', 'master.key', 'audit-heads/acme.jsonl']));
    expect(answered).toBeGreaterThan(0);
    // serve kept answering afterwards too.
    expect((await fetch(`${base}/ready`)).status).toBe(200);

    // A non-empty target is refused; a wrong passphrase is refused and leaves nothing behind.
    expect((await runKimauth(['--data-dir', dataDir, 'restore', '--from', archive, '--passphrase-stdin'], { stdin: PASSPHRASE })).stderr).toMatch(/not empty/);
    const target = path.join(dir.path, 'restored');
    const wrong = await runKimauth(['restore', '--from', archive, '--data-dir', target, '--passphrase-stdin'], { stdin: 'not the passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Wrong passphrase/);
    expect(() => readdirSync(target)).toThrow();

    const restore = await runKimauth(['restore', '--from', archive, '--data-dir', target, '--passphrase-stdin', '--json'], { stdin: PASSPHRASE });
    expect(restore.code, restore.stderr).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ integrity: 'ok', masterKey: 'from-backup', audit: { ok: true, tenants: 2 } });
    const verify = await runKimauth(['--data-dir', target, 'audit', 'verify', '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);

    // Every held session works against a server on the restored dir: its refresh token rotates, its token is accepted.
    await server!.stop();
    server = undefined;
    restored = await startServeProcess(target, { env });
    for (const session of held) {
      const me = await fetch(`${restored.url}/auth/me`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      expect(me.status).toBe(200);
      const next = await post(restored.url, '/auth/refresh', { refreshToken: session.refreshToken });
      expect(next.status).toBe(200);
      const again = await fetch(`${restored.url}/auth/me`, { headers: { authorization: `Bearer ${next.body.data!.accessToken}` } });
      expect(again.status).toBe(200);
    }
    // And the restore itself is in the restored platform chain.
    const entries = await runKimauth(['--data-dir', target, 'audit', 'tail', '--tenant', 'master', '--type', 'backup.*', '--json']);
    expect(entries.stdout).toContain('backup.restored');
  });
});
