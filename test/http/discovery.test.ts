import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';

describe('discovery and health routes', () => {
  let t: TestInstance;
  let app: App;
  beforeEach(async () => {
    t = await createTestInstance({ file: true });
    app = await buildServer(t.deps);
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  it('GET /health answers the §6.1 envelope', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, data: { status: 'ok' } });
  });

  it('GET /ready is 200 when the database is writable and keys load', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.checks).toEqual({ database: 'ok', migrations: 'ok', keys: 'ok' });
  });

  it('GET /ready is 503 not_ready when the platform key cannot be loaded', async () => {
    t.deps.sqlite.prepare("UPDATE signing_keys SET status = 'retired' WHERE tenant_id = ?").run(t.master.id);
    t.deps.keyring.invalidate();
    const res = await app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'not_ready' } });
    expect(res.json().error.message).toMatch(/keys/);
  });

  it('GET /ready is 503 not_ready when the database is not writable', async () => {
    t.deps.sqlite.pragma('query_only = ON');
    const res = await app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'not_ready' });
    expect(res.json().checks.database).toBe('failed');
  });

  it('GET /.well-known/jwks.json is a raw JWKS with kid, alg and use on every key', async () => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).not.toHaveProperty('success');
    expect(body.keys.length).toBeGreaterThan(0);
    for (const k of body.keys) expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
  });

  it('unknown routes get the not_found envelope, never a stack', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ success: false, error: { code: 'not_found', message: expect.any(String) } });
    expect(missing.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('serves an OpenAPI 3 document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/.well-known/jwks.json']));
  });
});
