import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { FREE_FAILURES } from '../../src/identity/login-throttle.ts';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';

/**
 * Issue 9 §2: the client address behind a reverse proxy is the first untrusted hop from the right of
 * X-Forwarded-For (fastify's trustProxy), so a client that writes its own X-Forwarded-For entries gets nothing.
 */
const configOf = (value: string) => loadConfig({ env: { KIMAUTH_TRUST_PROXY: value }, flags: { dataDir: '/nonexistent-kimauth' } }).trustProxy;

describe('KIMAUTH_TRUST_PROXY parsing', () => {
  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['1', 1],
    ['2', 2],
    ['127.0.0.1', ['127.0.0.1']],
    ['127.0.0.1, 10.0.0.0/8,::1', ['127.0.0.1', '10.0.0.0/8', '::1']],
    ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
  ])('%s → %j', (value, expected) => {
    expect(configOf(value)).toEqual(expected);
  });

  it('refuses true with a message that says what to give instead', () => {
    expect(() => configOf('true')).toThrowError(/KIMAUTH_TRUST_PROXY: .*leftmost X-Forwarded-For.*number of proxies.*addresses\/CIDRs/);
  });

  it.each(['yes', 'TRUE', '10.0.0.0/33', '300.1.1.1', 'proxy.example.com', '33', '1.5', ','])('refuses %j', (value) => {
    expect(() => configOf(value)).toThrowError(/Invalid configuration KIMAUTH_TRUST_PROXY/);
  });
});

describe('spoofed X-Forwarded-For chains', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h?.close();
  });

  const PROXY = '10.0.0.5';
  const viaProxy = (url: string, payload: unknown, forwardedFor: string) =>
    h.app.inject({ method: 'POST', url, payload: payload as never, remoteAddress: PROXY, headers: { 'x-forwarded-for': forwardedFor } });

  /** What the client writes before its request reaches the proxy, which appends the address it saw. */
  const spoofedChain = (i: number, realClient: string) => `198.51.100.${i % 250}, 203.0.113.${(i * 7) % 250}, ${realClient}`;

  it.each([
    ['a hop count', '1'],
    ['the proxy address', PROXY],
    ['the proxy CIDR', '10.0.0.0/8'],
  ])('with %s, rotating spoofed entries share the real client’s per-IP bucket', async (_what, trustProxy) => {
    h = await authHarness({ rateLimitPerMinute: 5, trustProxy });
    h.t.clock.set('2026-03-01T12:00:00Z');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await viaProxy('/auth/login', { email: 'ghost@example.com', password: `guess-${i}` }, spoofedChain(i, '192.0.2.77'))).statusCode);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // Another real client behind the same proxy has its own bucket.
    expect((await viaProxy('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '192.0.2.78')).statusCode).toBe(200);
  });

  it('rotating spoofed entries do not escape the per-account slowdown', async () => {
    h = await authHarness({ trustProxy: '1' });
    const statuses: number[] = [];
    for (let i = 0; i < FREE_FAILURES + 5; i++) {
      statuses.push((await viaProxy('/auth/login', { email: ADMIN_EMAIL, password: `guess-${i}-xx` }, spoofedChain(i, '192.0.2.66'))).statusCode);
    }
    expect(statuses.slice(0, FREE_FAILURES + 1).every((s) => s === 401)).toBe(true);
    // After the free failures every guess is refused without checking the password, whatever the client wrote.
    expect(statuses.slice(FREE_FAILURES + 1).every((s) => s === 429)).toBe(true);
    // The owner, behind the same proxy from their own address, signs in.
    expect((await viaProxy('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '192.0.2.10')).statusCode).toBe(200);
  });

  it('two proxies: the client is the third hop from the right; its own entries to the left are ignored', async () => {
    h = await authHarness({ rateLimitPerMinute: 2, trustProxy: '2' });
    h.t.clock.set('2026-03-01T12:00:00Z');
    const send = (spoof: string) => viaProxy('/auth/password-reset/request', { email: 'ghost@example.com', accountType: '' }, `${spoof}, 192.0.2.90, 10.0.0.4`);
    expect((await send('1.1.1.1')).statusCode).toBe(200);
    expect((await send('2.2.2.2')).statusCode).toBe(200);
    expect((await send('3.3.3.3')).statusCode).toBe(429);
  });

  it('a direct client (not from a trusted proxy) cannot choose its address at all', async () => {
    h = await authHarness({ rateLimitPerMinute: 2, trustProxy: PROXY });
    h.t.clock.set('2026-03-01T12:00:00Z');
    const direct = (spoof: string) =>
      h.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'ghost@example.com', password: 'x' },
        remoteAddress: '192.0.2.200',
        headers: { 'x-forwarded-for': spoof },
      });
    expect((await direct('1.1.1.1')).statusCode).toBe(401);
    expect((await direct('2.2.2.2')).statusCode).toBe(401);
    expect((await direct('3.3.3.3')).statusCode).toBe(429);
  });

  it('records the real client address on the session, not a spoofed one', async () => {
    h = await authHarness({ trustProxy: '1' });
    const res = await viaProxy('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, '6.6.6.6, 192.0.2.55');
    expect(res.statusCode).toBe(200);
    const row = h.t.deps.sqlite.prepare('SELECT ip FROM sessions ORDER BY created_at DESC LIMIT 1').get() as { ip: string };
    expect(row.ip).toBe('192.0.2.55');
  });
});
