import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../../src/app/config.ts';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';

/**
 * Seed 002 §2, row by row: every code produced by its real cause over HTTP. `forbidden` (wrong role / bad internal
 * key) and `finance_db_not_configured` belong to the /internal API and are tested there.
 */
interface Row {
  status: number;
  code: string;
  cause: string;
  config?: ConfigOverrides;
  act(h: AuthHarness): ReturnType<AuthHarness['post']>;
}

const ROWS: Row[] = [
  {
    status: 400,
    code: 'validation_error',
    cause: 'login body without a password',
    act: (h) => h.post('/auth/login', { email: ADMIN_EMAIL }),
  },
  {
    status: 401,
    code: 'unauthorized',
    cause: 'wrong password',
    act: (h) => h.post('/auth/login', { email: ADMIN_EMAIL, password: 'not-the-password' }),
  },
  {
    status: 401,
    code: 'session_revoked',
    cause: 'access token of a session that logged out',
    async act(h) {
      const pair = await h.signIn();
      await h.post('/auth/logout', { refreshToken: pair.refreshToken });
      return h.get('/auth/me', pair.accessToken);
    },
  },
  {
    status: 403,
    code: 'pending_approval',
    cause: 'registrant signs in before approval',
    config: { publicRegistration: true },
    async act(h) {
      await h.post('/auth/register', { email: 'new@example.com', password: 'new-password-1', fullName: 'New' });
      return h.post('/auth/login', { email: 'new@example.com', password: 'new-password-1', accountType: 'auto' });
    },
  },
  {
    status: 403,
    code: 'registration_rejected',
    cause: 'rejected registrant signs in',
    async act(h) {
      await h.user({ email: 'rejected@example.com', approvalStatus: 'REJECTED', isActive: false });
      return h.post('/auth/login', { email: 'rejected@example.com', password: 'user-password-1' });
    },
  },
  {
    status: 403,
    code: 'account_inactive',
    cause: 'deactivated user signs in',
    async act(h) {
      await h.user({ email: 'inactive@example.com', isActive: false });
      return h.post('/auth/login', { email: 'inactive@example.com', password: 'user-password-1', accountType: 'internal' });
    },
  },
  {
    status: 403,
    code: 'registration_disabled',
    cause: 'register while KIMAUTH_PUBLIC_REGISTRATION=false',
    act: (h) => h.post('/auth/register', { email: 'new@example.com', password: 'new-password-1', fullName: 'New' }),
  },
  {
    status: 404,
    code: 'not_found',
    cause: 'a path that does not exist',
    act: (h) => h.get('/auth/does-not-exist'),
  },
  {
    status: 409,
    code: 'conflict',
    cause: 'register an email that is taken',
    config: { publicRegistration: true },
    act: (h) => h.post('/auth/register', { email: ADMIN_EMAIL.toUpperCase(), password: 'new-password-1', fullName: 'Dup' }),
  },
  {
    status: 429,
    code: 'rate_limited',
    cause: 'more login attempts per minute from one IP than KIMAUTH_RATE_LIMIT_PER_MINUTE',
    config: { rateLimitPerMinute: 2 },
    async act(h) {
      await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      return h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    },
  },
  {
    status: 501,
    code: 'not_implemented',
    cause: 'accountType "vendor"',
    act: (h) => h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: 'vendor' }),
  },
];

describe('seed 002 §2 status ↔ error.code table', () => {
  it.each(ROWS)('$status $code ← $cause', async (row) => {
    const h = await authHarness(row.config);
    try {
      const res = await row.act(h);
      expect(res.statusCode).toBe(row.status);
      expect(res.json()).toEqual({ success: false, error: { code: row.code, message: expect.any(String) } });
      if (row.code === 'rate_limited') expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});
