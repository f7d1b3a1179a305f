import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.ts';
import type { Deps } from '../../src/app/deps.ts';
import { createApiKey, parseExpiry, revokeApiKey } from '../../src/api-keys/api-keys.ts';
import { apiKeySlug, base62, hashApiKey } from '../../src/api-keys/key-format.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser } from '../../src/identity/users.ts';
import { updateTenant } from '../../src/tenants/tenants.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_ACTOR } from '../support/deps.ts';
import { addMember } from '../support/members.ts';
import { paymentInput, paymentsFixture, type PaymentsFixture } from '../support/payments.ts';

describe('tenant API keys', () => {
  let f: PaymentsFixture;
  let app: App;
  let deps: Deps;
  const logLines: string[] = [];
  const issued: string[] = [];
  const tokens: Record<string, string> = {};

  const signIn = async (email: string, password = 'user-password-1') =>
    (await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password, accountType: '' } })).json().data.accessToken as string;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, credential: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${credential}` } });

  beforeAll(async () => {
    f = await paymentsFixture({ file: true, config: { rateLimitPerMinute: 100_000 } });
    f.clock.set('2026-10-02T08:00:00Z');
    // Every log line of the server, at the most talkative level, is searched for the keys.
    deps = { ...f.deps, logger: createLogger('trace', new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) })) };
    app = await buildServer(deps, { logRequests: true });
    for (const [email, role] of [['tadmin@acme.test', 'ADMIN'], ['finance@acme.test', 'FINANCE']] as const) {
      const user = await createUser(f.deps, { email, fullName: email, password: 'user-password-1', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
      addMember(f.deps, f.tenant.id, user.id, role);
    }
    tokens.platform = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    tokens.tenantAdmin = await signIn('tadmin@acme.test');
    tokens.finance = await signIn('finance@acme.test');
  });
  afterAll(async () => {
    await app.close();
    f.close();
  });

  it('has the format of issue 15: kimauth_<slug>_ + 32 random bytes in base62', () => {
    const { key, apiKey } = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'format', scopes: ['users:read', 'roles:write'], expires: '90d' });
    issued.push(key);
    expect(key).toMatch(/^kimauth_acme_[0-9A-Za-z]{43}$/);
    expect(apiKeySlug(key)).toBe('acme');
    expect(apiKey).toMatchObject({ name: 'format', scopes: ['users:read', 'roles:write'], status: 'active', expiresAt: '2026-12-31T08:00:00.000Z' });
    expect(base62(Buffer.alloc(32, 0xff))).toHaveLength(43);
    expect(base62(Buffer.alloc(32))).toBe('0'.repeat(43));
  });

  it('a tenant ADMIN issues keys over HTTP, shown once; FINANCE may not; an API key never mints one', async () => {
    const created = await call('POST', '/t/acme/api/v1/api-keys', tokens.tenantAdmin, { name: 'ci', scopes: ['payments:write'], expires: '30d' });
    expect(created.statusCode, created.body).toBe(201);
    const { key, apiKey } = created.json().data;
    issued.push(key);
    expect(apiKey).toMatchObject({ name: 'ci', scopes: ['payments:write'], createdBy: { type: 'user' } });
    const listed = await call('GET', '/t/acme/api/v1/api-keys', tokens.platform);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(key);
    expect(listed.json().data.map((k: { name: string }) => k.name)).toContain('ci');
    expect((await call('POST', '/t/acme/api/v1/api-keys', tokens.finance, { name: 'x', scopes: ['users:read'] })).statusCode).toBe(403);
    expect((await call('POST', '/t/acme/api/v1/api-keys', key, { name: 'wider', scopes: ['users:write'] })).statusCode).toBe(403);
    expect((await call('POST', '/t/acme/api/v1/api-keys', tokens.tenantAdmin, { name: 'ci', scopes: ['users:read'] })).statusCode).toBe(409);
    expect((await call('POST', '/t/acme/api/v1/api-keys', tokens.tenantAdmin, { name: 'bad', scopes: ['users:admin'] })).statusCode).toBe(400);
  });

  it('a revoked key is 401 from the very next request; an expired one too; both stay listed', async () => {
    const live = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'to-revoke', scopes: ['payments:read'] });
    issued.push(live.key);
    expect((await call('GET', '/t/acme/v1/payments', live.key)).statusCode).toBe(200);
    const revoke = await call('DELETE', `/t/acme/api/v1/api-keys/${live.apiKey.id}`, tokens.tenantAdmin);
    expect(revoke.json().data.status).toBe('revoked');
    const refused = await call('GET', '/t/acme/v1/payments', live.key);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toBe('This API key has been revoked');
    // A revoked key is still 401 on another tenant's paths: nothing about tenants leaks.
    expect((await call('GET', '/t/nowhere/v1/payments', live.key)).statusCode).toBe(401);
    // The name is free again once revoked.
    issued.push(createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'to-revoke', scopes: ['payments:read'] }).key);

    const { key, apiKey } = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'short', scopes: ['payments:read'], expires: '1h' });
    issued.push(key);
    expect((await call('GET', '/t/acme/v1/payments', key)).statusCode).toBe(200);
    f.clock.advance(60 * 60_000 - 1);
    expect((await call('GET', '/t/acme/v1/payments', key)).statusCode).toBe(200);
    f.clock.advance(1);
    const expired = await call('GET', '/t/acme/v1/payments', key);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toEqual({ code: 'unauthorized', message: 'This API key has expired' });

    const statuses = (await call('GET', '/t/acme/api/v1/api-keys?includeRevoked=true', await signIn('tadmin@acme.test'))).json().data;
    expect(statuses.find((k: { id: string }) => k.id === apiKey.id).status).toBe('expired');
    expect(statuses.find((k: { id: string }) => k.id === live.apiKey.id).status).toBe('revoked');
  });

  it('is refused outside the tenant API, and an unknown or malformed key is 401', async () => {
    const { key } = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'elsewhere', scopes: ['users:write'] });
    issued.push(key);
    const me = await call('GET', '/auth/me', key);
    expect(me.statusCode).toBe(401);
    expect(me.json().error.message).toMatch(/only on tenant API routes/);
    expect((await call('GET', '/t/acme/v1/payments', `kimauth_acme_${'0'.repeat(43)}`)).statusCode).toBe(401);
    expect((await call('GET', '/t/acme/v1/payments', 'kimauth_acme_short')).statusCode).toBe(401);
  });

  it('acts as actor api-key in the tenant chain; every key change is audited there, never the key', async () => {
    const { key, apiKey } = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'payer', scopes: ['payments:write'] });
    issued.push(key);
    const paid = await call('POST', '/t/acme/v1/payments', key, paymentInput(f.profile.id));
    expect(paid.statusCode).toBe(201);
    revokeApiKey(f.deps, TEST_ACTOR, 'acme', 'payer');
    const entries = f.deps.sqlite
      .prepare("SELECT event_type, actor_type, actor_id, target_id, payload FROM audit_entries WHERE tenant_id = ? AND (event_type LIKE 'api_key.%' OR actor_type = 'api-key') ORDER BY seq")
      .all(f.tenant.id) as Array<{ event_type: string; actor_type: string; actor_id: string; target_id: string; payload: string }>;
    const mine = entries.filter((e) => e.target_id === apiKey.id || e.actor_id === apiKey.id);
    expect(mine.map((e) => [e.event_type, e.actor_type])).toEqual([
      ['api_key.created', 'operator'],
      ['payment.reported', 'api-key'],
      ['api_key.revoked', 'operator'],
    ]);
    expect(JSON.parse(mine[0].payload)).toEqual({ name: 'payer', scopes: ['payments:write'], expiresAt: null });
  });

  it('no key is in the database files, the audit chain or the logs; only its SHA-256 is', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(7);
    f.deps.sqlite.pragma('wal_checkpoint(PASSIVE)');
    const dir = f.deps.config.dataDir;
    const files = readdirSync(dir).filter((name) => name.startsWith('kimauth.db'));
    expect(files).toContain('kimauth.db');
    const audit = JSON.stringify(f.deps.sqlite.prepare('SELECT * FROM audit_entries').all());
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const key of issued) {
      const secret = key.slice('kimauth_acme_'.length);
      for (const file of files) {
        const bytes = readFileSync(path.join(dir, file));
        expect(bytes.includes(Buffer.from(secret)), `${file} holds a key`).toBe(false);
      }
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(f.deps.sqlite.prepare('SELECT 1 FROM api_keys WHERE key_hash = ?').get(hashApiKey(key))).toBeDefined();
    }
  });

  it('records its last use (at most once a minute); a key of a disabled tenant is 403', async () => {
    const { key, apiKey } = createApiKey(f.deps, TEST_ACTOR, 'acme', { name: 'usage', scopes: ['payments:read'] });
    issued.push(key);
    const lastUsed = () => (f.deps.sqlite.prepare('SELECT last_used_at AS at FROM api_keys WHERE id = ?').get(apiKey.id) as { at: number | null }).at;
    expect(lastUsed()).toBeNull();
    await call('GET', '/t/acme/v1/payments', key);
    const first = lastUsed();
    expect(first).toBe(f.clock.nowMs());
    f.clock.advance(30_000);
    await call('GET', '/t/acme/v1/payments', key);
    expect(lastUsed()).toBe(first);
    f.clock.advance(30_000);
    await call('GET', '/t/acme/v1/payments', key);
    expect(lastUsed()).toBe(f.clock.nowMs());

    updateTenant(f.deps, 'acme', { status: 'disabled' }, TEST_ACTOR);
    try {
      const refused = await call('GET', '/t/acme/v1/payments', key);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.message).toBe('This tenant is disabled');
    } finally {
      updateTenant(f.deps, 'acme', { status: 'active' }, TEST_ACTOR);
    }
  });

  it('parses lifetimes', () => {
    const now = Date.parse('2026-10-02T08:00:00Z');
    expect(parseExpiry('90d', now) - now).toBe(90 * 86_400_000);
    expect(parseExpiry('12h', now) - now).toBe(12 * 3_600_000);
    expect(parseExpiry('2027-01-01', now)).toBe(Date.parse('2027-01-01'));
    expect(() => parseExpiry('soon', now)).toThrow(/duration like 90d/);
    expect(() => parseExpiry('2020-01-01', now)).toThrow(/future/);
  });
});
