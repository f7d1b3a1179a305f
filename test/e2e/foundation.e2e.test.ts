import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { tempDir } from '../support/deps.ts';
import { runKimauth, startServeProcess, type ServerProcess } from '../support/processes.ts';

/** The real CLI in child processes against one temp data dir, the real server over real HTTP. */
describe('e2e: init, serve, keys rotate', () => {
  const dir = tempDir('kimauth-e2e-');
  const dataDir = path.join(dir.path, 'data');
  let server: ServerProcess;

  /** Signs a token with the platform's active key, read in-process from the same data dir. */
  async function signWithActivePlatformKey(): Promise<{ token: string; kid: string }> {
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
    try {
      const key = deps.keyring.active(deps.platformTenantId());
      const token = await new SignJWT({ sub: 'e2e' })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer('e2e')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
      return { token, kid: key.kid };
    } finally {
      deps.close();
    }
  }

  beforeAll(async () => {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'root@example.com', '--json']);
    expect(init.code, init.stderr).toBe(0);
    server = await startServeProcess(dataDir);
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) await server.stop();
    dir.remove();
  });

  it('serves health, readiness and a JWKS that verifies tokens of the active key', async () => {
    expect((await (await fetch(`${server.url}/health`)).json()).data.status).toBe('ok');
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const { token, kid } = await signWithActivePlatformKey();
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { protectedHeader } = await jwtVerify(token, jwks);
    expect(protectedHeader.kid).toBe(kid);
  });

  it('publishes a key rotated by another process, and keeps the old key verifiable', async () => {
    const before = await signWithActivePlatformKey();
    const rotate = await runKimauth(['--data-dir', dataDir, 'keys', 'rotate', '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const [{ kid: newKid }] = JSON.parse(rotate.stdout);
    expect(newKid).not.toBe(before.kid);

    // The running server re-reads its key set within a second: wait until its JWKS publishes the new key.
    await vi.waitFor(
      async () => {
        const published = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
        expect(published.keys.map((k) => k.kid)).toContain(newKid);
      },
      { timeout: 10_000, interval: 100 },
    );
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const after = await signWithActivePlatformKey();
    expect(after.kid).toBe(newKid);
    expect((await jwtVerify(after.token, jwks)).protectedHeader.kid).toBe(newKid);
    expect((await jwtVerify(before.token, jwks)).protectedHeader.kid).toBe(before.kid);
  });

  it('lets two processes write to one data dir at once without corruption', async () => {
    const results = await Promise.all(
      ['alpha', 'beta', 'gamma'].map((slug) =>
        runKimauth(['--data-dir', dataDir, 'tenants', 'create', '--slug', slug, '--name', slug, '--json']),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const list = await runKimauth(['--data-dir', dataDir, 'tenants', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((t: { slug: string }) => t.slug)).toEqual(
      expect.arrayContaining(['master', 'alpha', 'beta', 'gamma']),
    );
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env: {} }) });
    try {
      expect(deps.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      deps.close();
    }
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const finished = await server.stop('SIGTERM');
    expect(finished.code).toBe(0);
    expect(finished.stdout).toMatch(/"msg":"stopped"/);
  });
});

describe('e2e: first start of serve initialises the data dir itself', () => {
  it('prints the admin email and a generated password once, and not on the next start', async () => {
    const dir = tempDir('kimauth-e2e-');
    try {
      const dataDir = path.join(dir.path, 'fresh');
      const first = await startServeProcess(dataDir);
      const firstRun = await first.stop();
      expect(firstRun.stderr).toMatch(/platform admin admin@kimauth\.local \/ password [A-Za-z0-9_-]{24}/);
      const second = await startServeProcess(dataDir);
      const secondRun = await second.stop();
      expect(secondRun.stderr).not.toMatch(/password/);
    } finally {
      dir.remove();
    }
  });
});
