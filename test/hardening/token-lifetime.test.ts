import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SECONDS } from '../../src/tokens/access-tokens.ts';
import { signRs256 } from '../../src/tokens/rs256.ts';
import { authHarness, type AuthHarness } from '../support/auth.ts';

/** Issue 9 §4: a token signed with the real platform key but with an impossible iat or lifetime is refused. */
describe('access token iat and lifetime', () => {
  let h: AuthHarness;
  let genuine: Record<string, unknown>;
  const TTL = 900;
  const YEAR = 365 * 86_400;

  beforeAll(async () => {
    h = await authHarness({ accessTokenTtl: TTL });
    const { accessToken } = await h.signIn();
    genuine = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
  });
  afterAll(async () => {
    await h.close();
  });

  /** Re-signs the genuine claims with the platform's own active key, so only the changed times differ. */
  const forge = async (times: { iat: number; exp: number }) => {
    const key = h.t.deps.keyring.active(h.t.deps.platformTenantId());
    return signRs256({ ...genuine, ...times }, key.kid, key.privateKey);
  };
  const now = () => h.t.deps.clock.nowSeconds();

  const refused: Array<[string, () => { iat: number; exp: number }]> = [
    ['iat 10 years ahead', () => ({ iat: now() + 10 * YEAR, exp: now() + 10 * YEAR + TTL })],
    ['exp 100 years ahead', () => ({ iat: now(), exp: now() + 100 * YEAR })],
    ['iat just beyond the skew', () => ({ iat: now() + CLOCK_SKEW_SECONDS + 1, exp: now() + CLOCK_SKEW_SECONDS + 1 + TTL })],
    ['lifetime just beyond TTL + skew', () => ({ iat: now() - 10, exp: now() - 10 + TTL + CLOCK_SKEW_SECONDS + 1 })],
    ['lifetime of a day', () => ({ iat: now(), exp: now() + 86_400 })],
    ['exp before iat, iat ahead', () => ({ iat: now() + 3 * CLOCK_SKEW_SECONDS, exp: now() + 100 })],
  ];
  it.each(refused)('refuses %s with 401', async (_what, times) => {
    const res = await h.get('/auth/me', await forge(times()));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  const accepted: Array<[string, () => { iat: number; exp: number }]> = [
    ['the genuine times', () => ({ iat: genuine.iat as number, exp: genuine.exp as number })],
    ['iat within the skew (a signer a little ahead)', () => ({ iat: now() + CLOCK_SKEW_SECONDS, exp: now() + CLOCK_SKEW_SECONDS + TTL })],
    ['lifetime exactly TTL + skew', () => ({ iat: now(), exp: now() + TTL + CLOCK_SKEW_SECONDS })],
  ];
  it.each(accepted)('accepts %s', async (_what, times) => {
    expect((await h.get('/auth/me', await forge(times()))).statusCode).toBe(200);
  });
});
