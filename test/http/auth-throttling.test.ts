import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/app/clock.ts';
import { createLoginThrottle, delayAfter, FREE_FAILURES, MAX_DELAY_MS } from '../../src/identity/login-throttle.ts';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';

describe('per-IP request bucket shared by login, register and reset-request', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h.close();
  });

  it('counts the three routes together, answers 429 with Retry-After, and refills after the minute', async () => {
    h = await authHarness({ rateLimitPerMinute: 3, publicRegistration: true });
    h.t.clock.set('2026-03-01T12:00:20Z');
    const ip = '203.0.113.7';
    expect((await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip })).statusCode).toBe(200);
    expect((await h.post('/auth/register', { email: 'r@example.com', password: 'password-1', fullName: 'R' }, { ip })).statusCode).toBe(201);
    expect((await h.post('/auth/password-reset/request', { email: ADMIN_EMAIL, accountType: '' }, { ip })).statusCode).toBe(200);

    const limited = await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBe('40');
    // Malformed bodies count too (the bucket is checked before validation)…
    expect((await h.post('/auth/register', {}, { ip })).statusCode).toBe(429);
    // …other addresses have their own bucket…
    expect((await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip: '198.51.100.1' })).statusCode).toBe(200);
    // …and refresh, which is not in the bucket, still works from the limited address.
    const pair = await h.signIn(ADMIN_EMAIL, ADMIN_PASSWORD, '198.51.100.1');
    expect((await h.post('/auth/refresh', { refreshToken: pair.refreshToken }, { ip })).statusCode).toBe(200);

    h.t.clock.advance(40_000);
    expect((await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip })).statusCode).toBe(200);
  });
});

describe('anonymous one-time-token routes draw from the login bucket', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h?.close();
  });

  const guesses: Array<[string, Record<string, unknown>]> = [
    ['/auth/set-password', { token: 'guessed-set-password-token', newPassword: 'new-password-1' }],
    ['/auth/invitations/accept', { token: 'guessed-invitation-token', name: 'Guess', password: 'new-password-1' }],
    ['/auth/password-reset/confirm', { token: 'guessed-reset-token', newPassword: 'new-password-1' }],
  ];

  it.each(guesses)('%s answers the 31st request of a minute from one IP with 429 rate_limited', async (url, body) => {
    h = await authHarness({ rateLimitPerMinute: 30 });
    h.t.clock.set('2026-03-01T12:00:00Z');
    const ip = '203.0.113.40';
    for (let i = 0; i < 30; i++) {
      const res = await h.post(url, body, { ip });
      expect(res.statusCode).not.toBe(429);
      expect(res.json().success).toBe(false);
    }
    const limited = await h.post(url, body, { ip });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    // Another address still reaches the route.
    expect((await h.post(url, body, { ip: '198.51.100.40' })).statusCode).not.toBe(429);
  });

  it('shares one bucket with login', async () => {
    h = await authHarness({ rateLimitPerMinute: 3 });
    h.t.clock.set('2026-03-01T12:00:00Z');
    const ip = '203.0.113.41';
    for (const [url, body] of guesses) expect((await h.post(url, body, { ip })).statusCode).not.toBe(429);
    const login = await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip });
    expect(login.statusCode).toBe(429);
    expect(login.json().error.code).toBe('rate_limited');
  });
});

describe('per-(account, IP) sign-in slowdown', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h?.close();
  });

  const attempt = (password: string, ip: string, email = ADMIN_EMAIL) => h.post('/auth/login', { email, password }, { ip });

  it('blocks the guessing address after the free failures, with a growing Retry-After, without locking out the owner', async () => {
    h = await authHarness();
    const attacker = '203.0.113.66';
    for (let i = 0; i < FREE_FAILURES; i++) expect((await attempt(`guess-${i}-xx`, attacker)).statusCode).toBe(401);
    // The next failure is the first that costs time.
    expect((await attempt('guess-last-x', attacker)).statusCode).toBe(401);

    const blocked = await attempt(ADMIN_PASSWORD, attacker);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('rate_limited');
    expect(blocked.headers['retry-after']).toBe('1');

    // The owner, from their own address, signs in at once.
    expect((await attempt(ADMIN_PASSWORD, '192.0.2.10')).statusCode).toBe(200);

    // Each further failure doubles the wait.
    h.t.clock.advance(1_000);
    expect((await attempt('guess-again-1', attacker)).statusCode).toBe(401);
    expect((await attempt('guess-again-2', attacker)).headers['retry-after']).toBe('2');
    h.t.clock.advance(2_000);
    expect((await attempt('guess-again-3', attacker)).statusCode).toBe(401);
    expect((await attempt('guess-again-4', attacker)).headers['retry-after']).toBe('4');

    // Once the wait is over, the right password from that address works and clears the count.
    h.t.clock.advance(4_000);
    expect((await attempt(ADMIN_PASSWORD, attacker)).statusCode).toBe(200);
    expect((await attempt('one-more-wrong', attacker)).statusCode).toBe(401);
    expect((await attempt(ADMIN_PASSWORD, attacker)).statusCode).toBe(200);
  });

  it('treats unknown emails the same, so the slowdown does not reveal which accounts exist', async () => {
    h = await authHarness();
    const ip = '203.0.113.9';
    for (let i = 0; i <= FREE_FAILURES; i++) await attempt('whatever-pw', ip, 'ghost@example.com');
    const res = await attempt('whatever-pw', ip, 'ghost@example.com');
    expect(res.statusCode).toBe(429);
    // A different account from that address is not affected.
    expect((await attempt(ADMIN_PASSWORD, ip)).statusCode).toBe(200);
  });

  it('the delay doubles per failure after the free ones and is capped', () => {
    expect(delayAfter(FREE_FAILURES)).toBe(0);
    expect(delayAfter(FREE_FAILURES + 1)).toBe(1_000);
    expect(delayAfter(FREE_FAILURES + 2)).toBe(2_000);
    expect(delayAfter(FREE_FAILURES + 5)).toBe(16_000);
    expect(delayAfter(FREE_FAILURES + 40)).toBe(MAX_DELAY_MS);
  });

  it('forgets a pair after an hour of quiet', () => {
    const clock = fixedClock();
    const throttle = createLoginThrottle(clock);
    for (let i = 0; i < FREE_FAILURES + 3; i++) throttle.recordFailure('a@example.com', '1.2.3.4');
    expect(throttle.retryAfterMs('a@example.com', '1.2.3.4')).toBe(4_000);
    clock.advance(61 * 60_000);
    throttle.recordFailure('a@example.com', '1.2.3.4');
    expect(throttle.retryAfterMs('a@example.com', '1.2.3.4')).toBe(0);
  });
});
