import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

const SECRET = 'upstream-client-secret-7f3a9c1e';

describe('CLI: tenants idp add | list | remove', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  let secretFile: string;
  beforeEach(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    secretFile = path.join(dir.path, 'google.secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    expect((await run('init', '--yes')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
  });
  afterEach(() => dir.remove());

  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv], { env: { KIMAUTH_PUBLIC_URL: 'https://id.acme.example' } });

  it('adds a provider with its options, prints the redirect URI, lists it without the secret, removes it; every change audited', async () => {
    const added = await run(
      'tenants', 'idp', 'add', 'acme', '--name', 'google', '--issuer', 'https://accounts.google.com', '--client-id', '123.apps.googleusercontent.com',
      '--client-secret-file', secretFile, '--allowed-domains', 'acme.com, Acme.org', '--link-by-verified-email', '--json',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({
      tenant: 'acme',
      name: 'google',
      displayName: 'Google',
      issuer: 'https://accounts.google.com',
      clientId: '123.apps.googleusercontent.com',
      scopes: ['openid', 'email', 'profile'],
      allowedDomains: ['acme.com', 'acme.org'],
      linkByVerifiedEmail: true,
      createUsers: true,
      authProvider: 'google',
      redirectUri: 'https://id.acme.example/t/acme/login/upstream/google/callback',
    });
    expect(added.stdout).not.toContain(SECRET);

    const keycloak = await run(
      'tenants', 'idp', 'add', 'acme', '--name', 'corp', '--display-name', 'Acme SSO', '--issuer', 'https://sso.acme.example/realms/acme',
      '--client-id', 'kimauth', '--client-secret-stdin', '--no-create-users',
    );
    // (stdin is empty in this run: the secret is refused, nothing is added)
    expect(keycloak.code).toBe(2);
    expect(keycloak.stderr).toMatch(/client secret is empty/i);

    const human = await run('tenants', 'idp', 'add', 'acme', '--name', 'corp', '--display-name', 'Acme SSO', '--issuer', 'https://sso.acme.example/realms/acme', '--client-id', 'kimauth', '--client-secret-file', secretFile, '--no-create-users');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Continue with Acme SSO');
    expect(human.stderr).toContain('https://id.acme.example/t/acme/login/upstream/corp/callback');

    const table = await run('tenants', 'idp', 'list', 'acme');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/google\s*│\s*Google\s*│\s*https:\/\/accounts\.google\.com/);
    expect(table.stdout).toMatch(/corp\s*│\s*Acme SSO/);
    expect(table.stdout).not.toContain(SECRET);
    const listed = (await run('tenants', 'idp', 'list', 'acme', '--json')).json<Array<{ name: string; createUsers: boolean; authProvider: string }>>();
    expect(listed.map((p) => [p.name, p.createUsers, p.authProvider])).toEqual([
      ['google', true, 'google'],
      ['corp', false, 'sso'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(SECRET);

    const removed = await run('tenants', 'idp', 'remove', 'acme', 'google', '--json');
    expect(removed.code).toBe(0);
    expect(removed.json()).toEqual({ removed: 'google', tenant: 'acme', unlinkedUsers: 0 });
    expect((await run('tenants', 'idp', 'list', 'acme', '--json')).json<Array<{ name: string }>>().map((p) => p.name)).toEqual(['corp']);
    expect((await run('tenants', 'idp', 'remove', 'acme', 'google')).code).toBe(1);

    const audit = (await run('audit', 'tail', '--tenant', 'acme', '--type', 'upstream_idp.*', '--json')).json<Array<{ type: string; actor: { type: string }; payload: Record<string, unknown> }>>();
    expect(audit.map((e) => [e.type, e.payload.name])).toEqual([
      ['upstream_idp.added', 'google'],
      ['upstream_idp.added', 'corp'],
      ['upstream_idp.removed', 'google'],
    ]);
    expect(audit.every((e) => e.actor.type === 'operator')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect((await run('audit', 'verify', '--tenant', 'acme')).code).toBe(0);
  });

  it('keeps the client secret sealed with the master key: never in clear in the database file', async () => {
    expect((await run('tenants', 'idp', 'add', 'acme', '--name', 'google', '--issuer', 'https://accounts.google.com', '--client-id', 'c', '--client-secret-file', secretFile)).code).toBe(0);
    const file = path.join(dataDir, 'kimauth.db');
    for (const candidate of [file, `${file}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(candidate);
      } catch (err) {
        if (candidate === file) throw err;
        continue;
      }
      expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    }
    // The row is there (the issuer is stored in clear), so the search above looked at the right file.
    const all = Buffer.concat([readFileSync(file), ...(() => { try { return [readFileSync(`${file}-wal`)]; } catch { return []; } })()]);
    expect(all.includes(Buffer.from('https://accounts.google.com'))).toBe(true);
  });

  it('refuses what it cannot use, with a usage error', async () => {
    const add = (...extra: string[]) => run('tenants', 'idp', 'add', 'acme', '--client-id', 'c', '--client-secret-file', secretFile, ...extra);
    expect((await add('--name', 'google', '--issuer', 'http://accounts.google.com')).stderr).toMatch(/https/);
    expect((await add('--name', 'Bad Name', '--issuer', 'https://accounts.google.com')).code).toBe(2);
    expect((await add('--name', 'google', '--issuer', 'https://accounts.google.com', '--allowed-domains', 'not a domain')).code).toBe(2);
    expect((await run('tenants', 'idp', 'add', 'acme', '--name', 'g', '--issuer', 'https://accounts.google.com', '--client-id', 'c')).code).toBe(2);
    expect((await add('--name', 'google', '--issuer', 'https://accounts.google.com')).code).toBe(0);
    const twice = await add('--name', 'google', '--issuer', 'https://accounts.google.com');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already has a provider named google/);
    expect((await run('tenants', 'idp', 'list', 'nope')).code).toBe(1);
  });

  it('explains itself with examples', async () => {
    for (const argv of [['tenants', 'idp'], ['tenants', 'idp', 'add'], ['tenants', 'idp', 'list'], ['tenants', 'idp', 'remove']]) {
      expect((await cli([...argv, '--help'])).stdout).toMatch(/Examples?:/);
    }
  });
});
