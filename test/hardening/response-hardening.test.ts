import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant, updateTenant } from '../../src/tenants/tenants.ts';
import { createUser } from '../../src/identity/users.ts';
import { createInvitation } from '../../src/invitations/invitations.ts';
import { requestPasswordReset } from '../../src/identity/password-reset.ts';
import { isAppError } from '../../src/app/errors.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';
import { createTestInstance, TEST_ACTOR } from '../support/deps.ts';

/** Issue 9 §4: headers, caching, CORS, framework errors, authentication order, control characters, reset timing. */

describe('security headers and caching', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await authHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('sends nosniff, no-referrer and a CSP for server-rendered pages on every response; no HSTS on http', async () => {
    for (const res of [await h.get('/health'), await h.get('/no-such-path'), await h.post('/auth/login', {})]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|\*|https?:)/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('answers tokens and errors with Cache-Control: no-store and Pragma: no-cache; the JWKS stays cacheable', async () => {
    const login = await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: '' });
    const refresh = await h.post('/auth/refresh', { refreshToken: login.json().data.refreshToken });
    const failed = await h.post('/auth/login', { email: ADMIN_EMAIL, password: 'wrong-password', accountType: '' });
    const me = await h.get('/auth/me', refresh.json().data.accessToken);
    for (const res of [login, refresh, failed, me]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    }
    const jwks = await h.get('/.well-known/jwks.json');
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
    expect(jwks.headers.pragma).toBeUndefined();
  });

  it('sends HSTS when the public URL is https', async () => {
    const t = await createTestInstance({ config: { publicUrl: 'https://id.example.com' } });
    const app = await buildServer(t.deps);
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await app.close();
      t.close();
    }
  });
});

describe('CORS (KIMAUTH_CORS_ORIGINS)', () => {
  const preflight = (app: App, origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/auth/login',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('is off by default: no Access-Control-* header for any origin', async () => {
    const h = await authHarness();
    try {
      const res = await preflight(h.app, 'https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const get = await h.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://app.example.com' } });
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  it('allows exactly the configured origins', async () => {
    const h = await authHarness({ corsOrigins: 'https://app.example.com, http://localhost:5173' });
    try {
      const ok = await preflight(h.app, 'https://app.example.com');
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(String(ok.headers['access-control-allow-headers'])).toContain('authorization');
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
      const evil = await preflight(h.app, 'https://evil.example.com');
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      const lookalike = await preflight(h.app, 'https://app.example.com.evil.test');
      expect(lookalike.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

/** One raw HTTP/1.1 exchange with a listening server (what inject cannot send: bad request lines, huge headers). */
async function rawRequest(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.write(request);
  let data = '';
  socket.on('data', (d) => (data += d));
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const [head, ...rest] = data.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: rest.join('\r\n\r\n') };
}

describe('framework-level errors in the seed envelope, without echoing the URL', () => {
  let h: AuthHarness;
  let port: number;
  beforeAll(async () => {
    h = await authHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await h.close();
  });

  const MARK = 'ECHOMARK';
  const cases: Array<[string, string, number, string]> = [
    ['malformed percent-encoding in a path parameter', `GET /internal/users/${MARK}%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 400, 'validation_error'],
    ['an over-long path parameter', `GET /t/${MARK}${'a'.repeat(300)}/audit/head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414, 'uri_too_long'],
    ['over-large headers', `GET /health?${MARK} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['a malformed request line', `GET /${MARK} NOT-HTTP\r\n\r\n`, 400, 'validation_error'],
    ['an unknown path', `GET /${MARK}/<script> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 404, 'not_found'],
    [
      'a content type the route does not take',
      `POST /auth/login?${MARK} HTTP/1.1\r\nHost: x\r\nContent-Type: text/${MARK}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`,
      415,
      'unsupported_media_type',
    ],
    [
      'malformed JSON',
      `POST /auth/login?${MARK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{"${MARK}":`,
      400,
      'validation_error',
    ],
    [
      'a body over the limit',
      `POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n{}`,
      413,
      'payload_too_large',
    ],
  ];

  it.each(cases)('%s → %s %s', async (_what, request, status, code) => {
    const res = await rawRequest(port, request);
    expect(res.status).toBe(status);
    expect(res.headers).toContain('content-type: application/json');
    const body = JSON.parse(res.body);
    expect(body).toEqual({ success: false, error: { code, message: expect.any(String) } });
    expect(res.body).not.toContain(MARK);
    expect(res.body).not.toContain('FST_');
  });
});

describe('authentication before body validation on every Bearer route', () => {
  let h: AuthHarness;
  let bearerRoutes: Array<{ method: string; url: string }>;
  beforeAll(async () => {
    h = await authHarness();
    const spec = (await h.get('/openapi.json')).json() as {
      paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
    };
    bearerRoutes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length && op.security.every((s) => 'bearerAuth' in s))
        .map(([method, op]) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, randomUUID()), op })),
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it('finds the Bearer routes in /openapi.json', () => {
    expect(bearerRoutes.length).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['no Authorization header', {}],
    ['a forged token', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }],
  ])('answers 401 for %s, with an empty, a wrong and a malformed body alike', async (_what, auth) => {
    for (const route of bearerRoutes) {
      for (const payload of [undefined, '{}', '{"unexpected": [1,2', 'not json at all']) {
        const res = await h.app.inject({
          method: route.method as 'GET',
          url: route.url,
          headers: { ...auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(payload !== undefined && route.method !== 'GET' ? { payload } : {}),
        });
        expect({ route: `${route.method} ${route.url}`, status: res.statusCode }).toEqual({ route: `${route.method} ${route.url}`, status: 401 });
        expect(res.json().error.code).toBe('unauthorized');
        expect(res.json().error.message).not.toMatch(/required|expected/i);
      }
    }
  });
});

describe('the machine key before body validation', () => {
  it('answers 403 forbidden on every X-Internal-API-Key route, whatever the body', async () => {
    const h = await authHarness({ internalApiKey: 'machine-key-0123456789abcdef' });
    try {
      const spec = (await h.get('/openapi.json')).json() as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> };
      const routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.security?.some((s) => 'internalApiKey' in s))
          .map(([method]) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, 'not-a-uuid') })),
      );
      expect(routes.length).toBeGreaterThanOrEqual(4);
      for (const route of routes) {
        for (const payload of [undefined, '{"unexpected": [1,2']) {
          const res = await h.app.inject({
            method: route.method as 'GET',
            url: route.url,
            headers: { 'x-internal-api-key': 'wrong', ...(payload ? { 'content-type': 'application/json' } : {}) },
            ...(payload && route.method !== 'GET' ? { payload } : {}),
          });
          expect({ route: `${route.method} ${route.url}`, status: res.statusCode }).toEqual({ route: `${route.method} ${route.url}`, status: 403 });
        }
      }
    } finally {
      await h.close();
    }
  });
});

describe('control characters in names and free text', () => {
  let h: AuthHarness;
  let adminToken: string;
  let userId: string;
  let acme: { id: string };
  beforeAll(async () => {
    h = await authHarness({ publicRegistration: true, exposePasswordResetToken: true });
    adminToken = (await h.signIn()).accessToken;
    userId = (await h.user({ email: 'plain@example.com' })).id;
    acme = await createTenant(h.t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
  });
  afterAll(async () => {
    await h.close();
  });

  const BAD = [
    ['CR', 'Eve\rAdmin'],
    ['LF', 'Eve\nINFO forged log line'],
    ['NUL', 'Eve\u0000'],
    ['trailing LF', 'Eve\n'],
    ['ESC', 'Eve\u001b[31m'],
    ['U+2028', 'Eve\u2028x'],
  ] as const;

  it.each(BAD)('HTTP: %s is refused with validation_error on every name field', async (_what, name) => {
    const invitation = await createInvitation(h.t.deps, TEST_ACTOR, acme.id, {
      email: `inv-${randomUUID()}@example.com`,
      role: 'SUBMITTER',
    });
    const token = new URL(invitation.acceptUrl!).searchParams.get('token');
    const attempts = [
      h.post('/auth/register', { email: `r-${randomUUID()}@example.com`, password: 'long-enough-1', fullName: name }),
      h.post('/auth/register', { email: `r-${randomUUID()}@example.com`, password: 'long-enough-1', fullName: 'Ok', phoneNumber: `+1${name}` }),
      h.post('/internal/users', { email: `c-${randomUUID()}@example.com`, fullName: name }, { token: adminToken }),
      h.app.inject({ method: 'PATCH', url: `/internal/users/${userId}`, payload: { fullName: name }, headers: { authorization: `Bearer ${adminToken}` } }),
      h.app.inject({ method: 'PATCH', url: `/internal/users/${userId}`, payload: { phoneNumber: name }, headers: { authorization: `Bearer ${adminToken}` } }),
      h.post('/auth/invitations/accept', { token, name, password: 'long-enough-1' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
      expect(res.json().error.message).toMatch(/control characters/);
    }
  });

  it.each(BAD)('services (CLI, bulk import): %s is refused for users and tenants', async (_what, name) => {
    const refusals: Array<() => unknown> = [
      () => createUser(h.t.deps, { email: `s-${randomUUID()}@example.com`, fullName: name }, TEST_ACTOR),
      () => createTenant(h.t.deps, { slug: `t-${randomUUID().slice(0, 8)}`, name }, TEST_ACTOR),
      () => createTenant(h.t.deps, { slug: `t-${randomUUID().slice(0, 8)}`, name: 'Ok', legacyCode: name }, TEST_ACTOR),
      () => updateTenant(h.t.deps, acme.id, { name }, TEST_ACTOR),
    ];
    for (const attempt of refusals) {
      const err = await Promise.resolve().then(attempt).then(() => undefined, (e: unknown) => e);
      expect(isAppError(err) && err.code).toBe('validation_error');
    }
  });

  it('keeps accepting ordinary names, accents and non-Latin scripts', async () => {
    for (const fullName of ['Zoë O’Brien-Łukasiewicz', '山田 太郎', 'محمد']) {
      const res = await h.post('/auth/register', { email: `ok-${randomUUID()}@example.com`, password: 'long-enough-1', fullName });
      expect(res.statusCode).toBe(201);
    }
  });
});

describe('password-reset request: the same answer in the same time for known and unknown addresses', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await authHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('does no per-account work before the reply; the token is issued after it, for a known address only', async () => {
    const held: Array<() => unknown> = [];
    const background = h.t.deps.background;
    h.t.deps.background = { run: (_name, task) => void held.push(task), idle: async () => undefined };
    const count = () =>
      (h.t.deps.sqlite.prepare("SELECT (SELECT count(*) FROM password_reset_tokens) + (SELECT count(*) FROM audit_entries WHERE event_type = 'password_reset.requested') AS n").get() as { n: number }).n;
    try {
      const before = count();
      const known = await h.post('/auth/password-reset/request', { email: ADMIN_EMAIL, accountType: '' });
      const unknown = await h.post('/auth/password-reset/request', { email: 'nobody@example.com', accountType: '' });
      expect(known.body).toBe(unknown.body);
      expect(known.statusCode).toBe(200);
      // Both answers went out with nothing looked up or written for either address: the same work, the same time.
      expect(count()).toBe(before);
      expect(held).toHaveLength(2);
      for (const task of held) await task();
      expect(h.outbox('password-reset').map((m) => m.to_address)).toEqual([ADMIN_EMAIL]);
      expect(count()).toBe(before + 2);
    } finally {
      h.t.deps.background = background;
    }
  });

  it('still answers input errors at once (they depend on no account)', async () => {
    const res = await h.post('/auth/password-reset/request', { email: 'not-an-email', accountType: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_error');
  });

  it('the synchronous service (CLI, tests) still issues the token at once', () => {
    const before = h.outbox('password-reset').length;
    requestPasswordReset(h.t.deps, ANONYMOUS_HTTP, { email: ADMIN_EMAIL }, { ip: '127.0.0.1', userAgent: null });
    expect(h.outbox('password-reset')).toHaveLength(before + 1);
  });
});
