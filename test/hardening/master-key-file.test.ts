import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { tempDir } from '../support/deps.ts';
import { runKimauth } from '../support/processes.ts';

/** Issue 9 §3: the master key can live outside the data dir, so a copy of the data dir alone opens nothing. */
describe('master key outside the data dir', () => {
  const dir = tempDir('kimauth-keyfile-');
  const dataDir = path.join(dir.path, 'data');
  const keyFile = path.join(dir.path, 'secrets', 'master.key');
  afterAll(() => dir.remove());

  it('resolves KIMAUTH_MASTER_KEY_FILE, else $CREDENTIALS_DIRECTORY/master.key, else <dataDir>/master.key', () => {
    const flags = { dataDir: '/srv/kimauth' };
    expect(loadConfig({ env: {}, flags }).masterKeyFile).toBe('/srv/kimauth/master.key');
    expect(loadConfig({ env: { CREDENTIALS_DIRECTORY: '/run/credentials/kimauth.service' }, flags }).masterKeyFile).toBe(
      '/run/credentials/kimauth.service/master.key',
    );
    expect(
      loadConfig({ env: { CREDENTIALS_DIRECTORY: '/run/credentials/kimauth.service', KIMAUTH_MASTER_KEY_FILE: '/etc/kimauth/master.key' }, flags }).masterKeyFile,
    ).toBe('/etc/kimauth/master.key');
  });

  it('init writes the key there (0600), the data dir holds none, and the data dir alone opens nothing', async () => {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--json'], {
      env: { KIMAUTH_MASTER_KEY_FILE: keyFile },
    });
    expect(init.code, init.stderr).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dataDir, 'master.key'))).toBe(false);

    const withKey = await runKimauth(['--data-dir', dataDir, 'keys', 'list', '--json'], { env: { KIMAUTH_MASTER_KEY_FILE: keyFile } });
    expect(withKey.code, withKey.stderr).toBe(0);

    const withoutKey = await runKimauth(['--data-dir', dataDir, 'audit', 'verify', '--all', '--json']);
    expect(withoutKey.code).toBe(1);
    expect(withoutKey.stderr).toContain(`master key file ${path.join(dataDir, 'master.key')} is missing`);
  });

  it('reads it from systemd LoadCredential ($CREDENTIALS_DIRECTORY/master.key)', async () => {
    const credentials = path.join(dir.path, 'credentials');
    mkdirSync(credentials);
    copyFileSync(keyFile, path.join(credentials, 'master.key'));
    const verify = await runKimauth(['--data-dir', dataDir, 'audit', 'verify', '--all', '--json'], { env: { CREDENTIALS_DIRECTORY: credentials } });
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('keys rotate-master rewrites the external file, keeping the old key', async () => {
    const before = JSON.parse(readFileSync(keyFile, 'utf8')) as { current: string };
    const rotate = await runKimauth(['--data-dir', dataDir, 'keys', 'rotate-master', '--json'], { env: { KIMAUTH_MASTER_KEY_FILE: keyFile } });
    expect(rotate.code, rotate.stderr).toBe(0);
    const after = JSON.parse(readFileSync(keyFile, 'utf8')) as { current: string; keys: Record<string, string> };
    expect(after.current).not.toBe(before.current);
    expect(Object.keys(after.keys)).toContain(before.current);
    expect(existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });

  it('init of a new data dir adopts an existing external key file instead of overwriting it', async () => {
    const before = readFileSync(keyFile, 'utf8');
    const other = path.join(dir.path, 'data2');
    const init = await runKimauth(['--data-dir', other, 'init', '--yes', '--admin-email', 'ops@example.com', '--json'], {
      env: { KIMAUTH_MASTER_KEY_FILE: keyFile },
    });
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
  });
});
