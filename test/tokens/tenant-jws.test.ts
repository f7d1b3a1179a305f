import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { namesKeyOf, signJws } from '../../src/tokens/tenant-jws.ts';
import type { Jwks } from '../../src/keys/signing-keys.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('namesKeyOf: which key set a token is under, by its kid', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] } as unknown as Jwks;
  const other = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'ES256', use: 'sig' }] } as unknown as Jwks;

  it('answers the same for a header seen before (decoded once) and tells key sets apart', async () => {
    const token = await signJws({ sub: 'x' }, { kid: 'k1', privateKey });
    for (let i = 0; i < 3; i++) {
      expect(namesKeyOf(token, jwks)).toBe(true);
      expect(namesKeyOf(token, other)).toBe(false);
    }
  });

  it.each([
    ['no kid', `${b64({ alg: 'ES256' })}.e30.sig`],
    ['a kid that is not a string', `${b64({ alg: 'ES256', kid: 1 })}.e30.sig`],
    ['a header that is not JSON', 'bm90LWpzb24.e30.sig'],
    ['no header', '.e30.sig'],
    ['a long header naming the key (not remembered, still answered)', `${b64({ alg: 'ES256', kid: 'k1', pad: 'x'.repeat(400) })}.e30.sig`],
  ])('%s', (name, token) => {
    const expected = name.startsWith('a long header');
    expect(namesKeyOf(token, jwks)).toBe(expected);
    expect(namesKeyOf(token, jwks)).toBe(expected);
  });
});
