import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/app/config.ts';
import { tempDir } from '../support/deps.ts';

describe('config', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  function dataDirWith(file: Record<string, unknown>) {
    const dir = tempDir();
    dirs.push(dir);
    mkdirSync(dir.path, { recursive: true });
    writeFileSync(path.join(dir.path, 'kimauth.json'), JSON.stringify(file));
    return dir.path;
  }

  it('has the documented defaults', () => {
    const c = loadConfig({ env: {}, flags: { dataDir: '/nonexistent-kimauth' } });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3097,
      publicUrl: 'http://localhost:3097',
      issuer: 'http://localhost:3097',
      audience: 'kimauth-apps',
      accessTokenTtl: 900,
      refreshTokenTtl: 2_592_000,
      publicRegistration: false,
      exposePasswordResetToken: false,
    });
    expect(c.internalApiKey).toBeUndefined();
  });

  it('takes flags over env over kimauth.json over defaults', () => {
    const dataDir = dataDirWith({ port: 4000, audience: 'from-file', host: '0.0.0.0' });
    const env = { KIMAUTH_PORT: '5000', KIMAUTH_AUDIENCE: 'from-env' };
    const c = loadConfig({ env, flags: { dataDir, port: '6000' } });
    expect(c.port).toBe(6000);
    expect(c.audience).toBe('from-env');
    expect(c.host).toBe('0.0.0.0');
    expect(c.accessTokenTtl).toBe(900);
  });

  it('reads the data dir from KIMAUTH_DATA_DIR', () => {
    const c = loadConfig({ env: { KIMAUTH_DATA_DIR: '/srv/kimauth' } });
    expect(c.dataDir).toBe('/srv/kimauth');
  });

  it.each([
    ['KIMAUTH_PORT', 'abc'],
    ['KIMAUTH_PORT', '70000'],
    ['KIMAUTH_PUBLIC_URL', 'not a url'],
    ['KIMAUTH_PUBLIC_REGISTRATION', 'maybe'],
    ['KIMAUTH_ACCESS_TOKEN_TTL', '-5'],
    ['KIMAUTH_LOG_LEVEL', 'loud'],
  ])('rejects %s=%s with a line naming the variable', (name, value) => {
    expect(() => loadConfig({ env: { [name]: value }, flags: { dataDir: '/nonexistent-kimauth' } })).toThrowError(
      new RegExp(`Invalid configuration ${name}:`),
    );
  });

  it('names the kimauth.json key when the file holds a bad value', () => {
    const dataDir = dataDirWith({ port: 'eighty' });
    expect(() => loadConfig({ env: {}, flags: { dataDir } })).toThrowError(/kimauth.json "port" \(KIMAUTH_PORT\)/);
  });

  it('parses booleans the way operators write them', () => {
    for (const [raw, expected] of [['true', true], ['1', true], ['false', false], ['0', false]] as const) {
      expect(loadConfig({ env: { KIMAUTH_PUBLIC_REGISTRATION: raw }, flags: { dataDir: '/x' } }).publicRegistration).toBe(expected);
    }
  });

  it('requires an SMTP URL when mail is enabled', () => {
    expect(() => loadConfig({ env: { KIMAUTH_EMAIL_ENABLED: 'true' }, flags: { dataDir: '/x' } })).toThrow(ConfigError);
  });
});
