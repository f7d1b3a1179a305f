import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { startServer, type RunningServer } from '../../src/http/runtime.ts';
import { createTestInstance, ADMIN_EMAIL, ADMIN_PASSWORD, type TestInstance } from '../support/deps.ts';

/** Tokens from a server listening on a real port, verified the way another service would: JWKS over HTTP. */
describe('e2e: §8 access tokens against the served JWKS', () => {
  let t: TestInstance;
  let server: RunningServer;
  let pair: { accessToken: string; refreshToken: string };

  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as { success: boolean; data?: any; error?: { code: string } } };
  };
  const me = (token: string) => call('GET', '/auth/me', undefined, token);

  beforeAll(async () => {
    t = await createTestInstance({ file: true, config: { issuer: 'https://auth.example.test', audience: 'example-apps' } });
    server = await startServer(t.deps, { host: '127.0.0.1', port: 0 });
    pair = (await call('POST', '/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: '' })).body.data;
  });
  afterAll(async () => {
    await server?.close();
    t?.close();
  });

  it('verifies with jose against the JWKS fetched over HTTP, with exactly the §8 claims', async () => {
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, jwks, {
      algorithms: ['RS256'],
      issuer: 'https://auth.example.test',
      audience: 'example-apps',
      currentDate: t.clock.now(),
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: t.deps.keyring.active(t.master.id).kid, typ: 'JWT' });
    expect(Object.keys(payload).sort()).toEqual(
      ['aud', 'authType', 'email', 'exp', 'globalRole', 'iat', 'id', 'isVendor', 'iss', 'name', 'roles', 'sessionId', 'sub', 'tokenVersion', 'vendorId'].sort(),
    );
    expect(payload).toMatchObject({
      id: t.admin.id,
      sub: t.admin.id,
      email: ADMIN_EMAIL,
      name: 'Platform Admin',
      authType: 'internal',
      globalRole: 'PLATFORM_SUPERADMIN',
      roles: 'Admin',
      isVendor: false,
      vendorId: null,
      tokenVersion: 1,
      iat: t.clock.nowSeconds(),
      exp: t.clock.nowSeconds() + 900,
    });
    expect((await me(pair.accessToken)).status).toBe(200);
  });

  describe('forged and unacceptable tokens are 401 unauthorized', () => {
    const claims = (): JWTPayload => decodeJwt(pair.accessToken);
    const segments = () => pair.accessToken.split('.');
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const platformKey = () => t.deps.keyring.active(t.master.id);

    const forgeries: Array<[string, () => Promise<string> | string]> = [
      [
        'payload tampered (globalRole raised), signature kept',
        () => {
          const [h, , s] = segments();
          return `${h}.${b64({ ...claims(), globalRole: 'PLATFORM_ADMIN', roles: 'PlatformAdmin' })}.${s}`;
        },
      ],
      ['alg: none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
      [
        'HS256 signed with the public key as the HMAC secret',
        async () => {
          const jwk = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()).keys[0];
          const { createPublicKey } = await import('node:crypto');
          const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
          return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: jwk.kid }).sign(new TextEncoder().encode(String(pem)));
        },
      ],
      [
        'signed by another RSA key under the real kid',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: platformKey().kid }).sign(privateKey);
        },
      ],
      [
        'wrong audience, signed with the real key',
        () => new SignJWT({ ...claims(), aud: 'someone-else' }).setProtectedHeader({ alg: 'RS256', kid: platformKey().kid }).sign(platformKey().privateKey),
      ],
      [
        'wrong issuer, signed with the real key',
        () => new SignJWT({ ...claims(), iss: 'https://evil.example' }).setProtectedHeader({ alg: 'RS256', kid: platformKey().kid }).sign(platformKey().privateKey),
      ],
      ['not a JWT at all', () => 'abc.def'],
    ];

    it.each(forgeries)('%s', async (_name, forge) => {
      const token = await forge();
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, error: { code: 'unauthorized', message: expect.any(String) } });
    });

    it('accepts aud as a one-element array (§8.2), signed with the real key', async () => {
      const token = await new SignJWT({ ...claims(), aud: ['example-apps'] })
        .setProtectedHeader({ alg: 'RS256', kid: platformKey().kid })
        .sign(platformKey().privateKey);
      expect(decodeProtectedHeader(token).alg).toBe('RS256');
      expect((await me(token)).status).toBe(200);
    });
  });

  it('an expired token is 401 once the clock passes exp; refresh gives a working one', async () => {
    const fresh = (await call('POST', '/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).body.data;
    t.clock.advance(900_000);
    const expired = await me(fresh.accessToken);
    expect(expired.status).toBe(401);
    expect(expired.body.error?.code).toBe('unauthorized');
    const renewed = (await call('POST', '/auth/refresh', { refreshToken: fresh.refreshToken })).body.data;
    expect((await me(renewed.accessToken)).status).toBe(200);
  });
});
