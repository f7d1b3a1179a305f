import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/deps.ts';
import { runKimauth, startServeProcess, type ServerProcess } from '../support/processes.ts';

/** Issue 9 §5 across a `kill -9` of a real `serve` child process. */
describe('e2e: refresh after a lost response, across kill -9', () => {
  const dir = tempDir('kimauth-grace-');
  const dataDir = path.join(dir.path, 'data');
  const EMAIL = 'root@example.com';
  const PASSWORD = 'grace-password-1';
  let server: ServerProcess | undefined;

  const start = (grace: number) =>
    startServeProcess(dataDir, { env: { KIMAUTH_REFRESH_REUSE_GRACE: String(grace), KIMAUTH_RATE_LIMIT_PER_MINUTE: '100000' } });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(server!.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { data?: { refreshToken: string; accessToken: string }; error?: { code: string } } };
  };
  const signIn = async () => (await post('/auth/login', { email: EMAIL, password: PASSWORD, accountType: '' })).body.data!;
  const refresh = (refreshToken: string) => post('/auth/refresh', { refreshToken });
  const crash = async () => {
    await server!.stop('SIGKILL');
    server = undefined;
  };
  /** Every file of the data dir (db, -wal, -shm, keys…) as one latin1 string, to look for a token in clear. */
  const dataDirBytes = () => readdirSync(dataDir, { withFileTypes: true }).filter((f) => f.isFile()).map((f) => readFileSync(path.join(dataDir, f.name)).toString('latin1')).join('\n');

  beforeAll(async () => {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', EMAIL, '--admin-password-stdin'], { stdin: PASSWORD });
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop();
    dir.remove();
  });

  it('with a grace, the old token gets the same successor after a restart; once the successor is used, reuse revokes', { timeout: 120_000 }, async () => {
    server = await start(60);
    const a = await signIn();
    const lost = await refresh(a.refreshToken); // the response the client never saw
    expect(lost.status).toBe(200);
    await crash();
    // The successor sits in the WAL, sealed: the files hold it nowhere in clear.
    expect(dataDirBytes()).not.toContain(lost.body.data!.refreshToken);

    server = await start(60);
    const again = await refresh(a.refreshToken);
    expect(again.status).toBe(200);
    expect(again.body.data!.refreshToken).toBe(lost.body.data!.refreshToken);
    const next = await refresh(again.body.data!.refreshToken);
    expect(next.status).toBe(200);
    const reuse = await refresh(a.refreshToken);
    expect(reuse.body.error?.code).toBe('session_revoked');
    expect((await refresh(next.body.data!.refreshToken)).body.error?.code).toBe('session_revoked');
    await server.stop();
    server = undefined;
  });

  it('killed in the middle of a round of refreshes, no session is lost: each client retries its last token', { timeout: 120_000 }, async () => {
    server = await start(60);
    const tokens = await Promise.all(Array.from({ length: 12 }, () => signIn().then((p) => p.refreshToken)));
    // Fire one refresh per session and kill the server while they are in flight.
    const inFlight = tokens.map((t) => refresh(t).then((r) => (r.status === 200 ? r.body.data!.refreshToken : undefined), () => undefined));
    await new Promise((r) => setTimeout(r, 15));
    await crash();
    const answered = await Promise.all(inFlight);

    server = await start(60);
    // A client with no answer presents its previous token again: rotated-but-unseen ones are replayed, not revoked.
    const retried = await Promise.all(tokens.map((t, i) => (answered[i] ? Promise.resolve({ status: 200, token: answered[i] }) : refresh(t).then((r) => ({ status: r.status, token: r.body.data?.refreshToken })))));
    expect(retried.map((r) => r.status)).toEqual(tokens.map(() => 200));
    const after = await Promise.all(retried.map((r) => refresh(r.token!)));
    expect(after.map((r) => r.status)).toEqual(tokens.map(() => 200));
    await server.stop();
    server = undefined;
  });

  it('without a grace (default), the same lost response ends in a revoked session, across the crash too', { timeout: 120_000 }, async () => {
    server = await start(0);
    const a = await signIn();
    expect((await refresh(a.refreshToken)).status).toBe(200);
    await crash();
    server = await start(0);
    expect((await refresh(a.refreshToken)).body.error?.code).toBe('session_revoked');
  });
});
