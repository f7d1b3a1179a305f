import type { LightMyRequestResponse as Response } from 'fastify';
import type { ConfigOverrides } from '../../src/app/config.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, type CreateUserInput } from '../../src/identity/users.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, ADMIN_EMAIL, ADMIN_PASSWORD, TEST_ACTOR, type TestInstance } from './deps.ts';
import { openMailData } from '../../src/mail/outbox.ts';

export { ADMIN_EMAIL, ADMIN_PASSWORD };

export interface AuthHarness {
  t: TestInstance;
  app: App;
  post(url: string, payload: unknown, options?: { ip?: string; token?: string }): Promise<Response>;
  get(url: string, token?: string): Promise<Response>;
  /** POST /auth/login; throws unless 200. */
  signIn(email?: string, password?: string, ip?: string): Promise<{ accessToken: string; refreshToken: string; expiresIn: number; tokenType: string }>;
  user(input: Partial<CreateUserInput> & { email: string }): Promise<UserRow>;
  audit(type: string): Array<{ actor_type: string; actor_id: string | null; target_id: string | null; payload: Record<string, unknown> }>;
  outbox(template: string): Array<{ to_address: string; data: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A real instance and server with mail queued (so outbox rows can be checked) and the given config. */
export async function authHarness(config: ConfigOverrides = {}): Promise<AuthHarness> {
  const t = await createTestInstance({
    config: { emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:2525', rateLimitPerMinute: 10_000, ...config },
  });
  const app = await buildServer(t.deps);
  const h: AuthHarness = {
    t,
    app,
    async post(url, payload, options = {}) {
      const res = await app.inject({
        method: 'POST',
        url,
        payload: payload as never,
        remoteAddress: options.ip ?? '127.0.0.1',
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      });
      // Work done after the response (the password-reset request) has landed before the test looks.
      await t.deps.background.idle();
      return res;
    },
    get: (url, token) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    async signIn(email = ADMIN_EMAIL, password = ADMIN_PASSWORD, ip) {
      const res = await h.post('/auth/login', { email, password, accountType: '' }, { ip });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      return res.json().data;
    },
    user: (input) =>
      createUser(
        t.deps,
        { fullName: 'Test User', password: 'user-password-1', approvalStatus: 'APPROVED', isActive: true, ...input },
        TEST_ACTOR,
      ),
    audit: (type) =>
      (
        t.deps.sqlite
          .prepare('SELECT actor_type, actor_id, target_id, payload FROM audit_entries WHERE event_type = ? ORDER BY id')
          .all(type) as Array<{ actor_type: string; actor_id: string | null; target_id: string | null; payload: string }>
      ).map((r) => ({ ...r, payload: JSON.parse(r.payload) })),
    outbox: (template) =>
      (
        t.deps.sqlite.prepare('SELECT id, to_address, data FROM mail_outbox WHERE template = ? ORDER BY created_at').all(template) as Array<{
          id: string;
          to_address: string;
          data: string;
        }>
      ).map((r) => ({ to_address: r.to_address, data: openMailData(t.deps, r.id, r.data) })),
    async close() {
      await app.close();
      t.close();
    },
  };
  return h;
}
