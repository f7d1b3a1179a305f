import { createServer } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createUser } from '../../src/identity/users.ts';
import { upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { createClient } from '../../src/clients/clients.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import type { ConfigOverrides } from '../../src/app/config.ts';
import { fixedClock } from '../../src/app/clock.ts';

export const PASSWORD = 'member-password-1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface OidcWorld {
  t: TestInstance;
  app: App;
  base: string;
  acme: TenantRow;
  beta: TenantRow;
  member: UserRow;
  betaMember: UserRow;
  outsider: UserRow;
  close(): Promise<void>;
}

/** A real server listening on loopback, its public URL the listening URL, with tenants acme and beta and their users. */
export async function oidcWorld(config: ConfigOverrides = {}, options: { hostname?: string } = {}): Promise<OidcWorld> {
  const port = await freePort();
  // WebAuthn refuses an IP address as RP ID: passkey tests name the loopback server `localhost`.
  const base = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  // Real relying parties check iat/exp against the wall clock: the instance's fixed clock starts at now.
  const t = await createTestInstance({ clock: fixedClock(new Date()), config: { publicUrl: base, rateLimitPerMinute: 100_000, ...config } });
  const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
  const beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
  const user = (email: string) =>
    createUser(t.deps, { email, fullName: email.split('@')[0], password: PASSWORD, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  const member = await user('jane@acme.test');
  const betaMember = await user('bob@beta.test');
  const outsider = await user('nobody@else.test');
  upsertCompanyMembership(t.deps, TEST_ACTOR, acme.id, { userId: member.id, role: 'SUBMITTER' });
  upsertCompanyMembership(t.deps, TEST_ACTOR, beta.id, { userId: betaMember.id, role: 'SUBMITTER' });
  upsertCompanyMembership(t.deps, TEST_ACTOR, beta.id, { userId: member.id, role: 'SUBMITTER' });
  const app = await buildServer(t.deps);
  await app.listen({ host: '127.0.0.1', port });
  return {
    t,
    app,
    base,
    acme,
    beta,
    member,
    betaMember,
    outsider,
    async close() {
      await app.close();
      t.close();
    },
  };
}

export function registerClient(world: OidcWorld, tenant: string, input: Parameters<typeof createClient>[3]) {
  return createClient(world.t.deps, cliOperator(), tenant, input);
}

/** A tiny cookie jar for fetch (one origin). */
export class CookieJar {
  private cookies = new Map<string, { value: string; path: string }>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }
  header(url: string): string {
    const p = new URL(url).pathname;
    return [...this.cookies]
      .filter(([, c]) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }
  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

export async function get(url: string, jar?: CookieJar): Promise<Response> {
  const res = await fetch(url, { redirect: 'manual', headers: jar ? { cookie: jar.header(url) } : {} });
  jar?.store(res);
  return res;
}

export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no hidden field ${name} in page`);
  return m[1].replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
}

/**
 * Follows an authorization URL the way a browser without JavaScript would: /auth → the hosted form → the
 * form posted with its CSRF token → 303 to the redirect URI. Returns the last response (the redirect back, or the page).
 */
export async function signInThroughHostedPage(authUrl: string, jar: CookieJar, email: string, password = PASSWORD): Promise<Response> {
  const first = await get(authUrl, jar);
  if (first.status !== 200) return first;
  const html = await first.text();
  const body = new URLSearchParams({ request: hiddenField(html, 'request'), csrf: hiddenField(html, 'csrf'), email, password });
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1].replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '='));
  const res = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(action.toString()) },
  });
  jar.store(res);
  return res;
}

/** An authorization request of a public client as openid-client builds it: code + PKCE (S256) and a state. */
export async function pkceAuthorizationRequest(config: oidc.Configuration, redirectUri: string, scope = 'openid email') {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  return { url, verifier, state };
}

/** The same request built by hand, for browser tests that start at a plain URL (code + PKCE S256, a fixed state). */
export function authorizationUrl(base: string, slug: string, clientId: string, redirectUri: string, state: string): { url: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const u = new URL(`${base}/t/${slug}/protocol/openid-connect/auth`);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid email',
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: u.href, verifier };
}
