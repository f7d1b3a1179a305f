import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignJWT, jwtVerify, createLocalJWKSet, exportPKCS8 } from 'jose';
import { createTenant } from '../../src/tenants/tenants.ts';
import { listSigningKeys, retireSigningKey, rotateSigningKey } from '../../src/keys/signing-keys.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('signing keys', () => {
  let t: TestInstance;
  beforeEach(async () => {
    t = await createTestInstance({ file: true });
  });
  afterEach(() => t.close());

  it('gives every tenant its own RS256 key, published with kid, alg and use', async () => {
    const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const platform = t.deps.keyring.jwks(t.master.id);
    const tenant = t.deps.keyring.jwks(acme.id);
    expect(platform.keys).toHaveLength(1);
    expect(tenant.keys).toHaveLength(1);
    expect(tenant.keys[0].kid).not.toBe(platform.keys[0].kid);
    for (const k of [...platform.keys, ...tenant.keys]) {
      expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(k).not.toHaveProperty('d');
    }
  });

  it('signs with the active key and keeps the rotated one verifiable until retired', async () => {
    const sign = async () => {
      const key = t.deps.keyring.active(t.master.id);
      return new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
    };
    const oldToken = await sign();
    const fresh = await rotateSigningKey(t.deps, t.master.id, TEST_ACTOR);
    const newToken = await sign();
    const jwks = t.deps.keyring.jwks(t.master.id);
    expect(jwks.keys.map((k) => k.kid)).toContain(fresh.kid);
    expect(jwks.keys).toHaveLength(2);
    const verifier = createLocalJWKSet(jwks);
    expect((await jwtVerify(oldToken, verifier)).payload.sub).toBe('u');
    const { protectedHeader } = await jwtVerify(newToken, verifier);
    expect(protectedHeader.kid).toBe(fresh.kid);
  });

  it('refuses to retire a key whose tokens may still be valid, unless forced', async () => {
    const [old] = listSigningKeys(t.deps, t.master.id);
    await rotateSigningKey(t.deps, t.master.id, TEST_ACTOR);
    expect(() => retireSigningKey(t.deps, old.kid, TEST_ACTOR)).toThrow(/may still have valid tokens/);
    t.clock.advance(t.deps.config.accessTokenTtl * 1000 + 1);
    const retired = retireSigningKey(t.deps, old.kid, TEST_ACTOR);
    expect(retired.status).toBe('retired');
    expect(t.deps.keyring.jwks(t.master.id).keys.map((k) => k.kid)).not.toContain(old.kid);
  });

  it('retires early with force, and never retires the active key', async () => {
    const [old] = listSigningKeys(t.deps, t.master.id);
    expect(() => retireSigningKey(t.deps, old.kid, TEST_ACTOR, { force: true })).toThrow(/active key/);
    await rotateSigningKey(t.deps, t.master.id, TEST_ACTOR);
    expect(retireSigningKey(t.deps, old.kid, TEST_ACTOR, { force: true }).status).toBe('retired');
    expect(() => retireSigningKey(t.deps, old.kid, TEST_ACTOR, { force: true })).toThrow(/already retired/);
    expect(() => retireSigningKey(t.deps, 'no-such-kid', TEST_ACTOR)).toThrow(/not found/);
  });

  it('audits creation, rotation and retirement in the tenant chain', async () => {
    const [old] = listSigningKeys(t.deps, t.master.id);
    await rotateSigningKey(t.deps, t.master.id, TEST_ACTOR);
    retireSigningKey(t.deps, old.kid, TEST_ACTOR, { force: true });
    const types = t.deps.sqlite
      .prepare('SELECT event_type FROM audit_entries WHERE tenant_id = ? ORDER BY seq')
      .all(t.master.id)
      .map((r) => (r as { event_type: string }).event_type);
    expect(types).toEqual(expect.arrayContaining(['key.created', 'key.rotated', 'key.retired']));
  });

  it('stores no private key material readable in the database file', async () => {
    const key = t.deps.keyring.active(t.master.id);
    const pem = await exportPKCS8(key.privateKey);
    const der = key.privateKey.export({ format: 'der', type: 'pkcs8' });
    t.deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(t.deps.sqlite.name);
    expect(file.includes(der.subarray(32, 96))).toBe(false);
    expect(file.includes(Buffer.from(pem.split('\n')[1]))).toBe(false);
    expect(file.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  });
});
