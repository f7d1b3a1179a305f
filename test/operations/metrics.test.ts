import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { startServer, type RunningServer } from '../../src/http/runtime.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';

describe('GET /metrics (KIMAUTH_METRICS=true), parsed by a Prometheus text-format parser', () => {
  let t: TestInstance;
  let app: App;

  beforeAll(async () => {
    t = await createTestInstance({ config: { metrics: true, rateLimitPerMinute: 3 } });
    await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    app = await buildServer(t.deps);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: response.body, parsed: parsePrometheusText(response.body) };
  };
  const login = (password: string, ip = '10.0.0.1') =>
    app.inject({ method: 'POST', url: '/auth/login', remoteAddress: ip, payload: { email: ADMIN_EMAIL, password } });

  it('counts requests per route pattern and status, sign-ins by outcome, grants by type, reuse, 429s', async () => {
    const before = (await scrape()).parsed;
    const ok = await login(ADMIN_PASSWORD);
    expect(ok.statusCode).toBe(200);
    expect((await login('wrong-password', '10.0.0.2')).statusCode).toBe(401);
    const first = ok.json().data.refreshToken as string;
    const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first } });
    expect(refreshed.statusCode).toBe(200);
    // The spent token again: reuse, the session is revoked.
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first } })).statusCode).toBe(401);
    await app.inject({ method: 'GET', url: '/t/acme/audit/head' });
    await app.inject({ method: 'GET', url: '/t/nope-a/audit/head' });
    for (let i = 0; i < 4; i++) await login('wrong-password', '10.0.0.3');

    const { text, parsed: after } = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('kimauth_http_requests_total', { method: 'POST', route: '/auth/login', status: '200' })).toBe(1);
    expect(delta('kimauth_http_requests_total', { method: 'POST', route: '/auth/login', status: '401' })).toBeGreaterThanOrEqual(2);
    // Route patterns, never URLs: both tenants' requests land on one series.
    expect(delta('kimauth_http_requests_total', { route: '/t/:slug/audit/head', status: '404' })).toBe(2);
    expect(text).not.toContain('/t/acme/');
    expect(delta('kimauth_http_request_duration_seconds_count', { method: 'POST', route: '/auth/refresh', status: '200' })).toBe(1);
    expect(delta('kimauth_sign_ins_total', { outcome: 'success' })).toBe(1);
    expect(delta('kimauth_sign_ins_total', { outcome: 'wrong_password' })).toBeGreaterThanOrEqual(2);
    expect(delta('kimauth_token_grants_total', { grant_type: 'password' })).toBe(1);
    expect(delta('kimauth_token_grants_total', { grant_type: 'refresh_token' })).toBe(1);
    expect(delta('kimauth_refresh_reuse_detections_total')).toBe(1);
    expect(delta('kimauth_rate_limit_rejections_total', { route: '/auth/login' })).toBeGreaterThanOrEqual(1);

    // No user id or email in any label.
    expect(text).not.toContain(ADMIN_EMAIL);
    expect(text).not.toContain(t.admin.id);
  });

  it('reads outbox depth, audit chain length per tenant, last head published, event-loop lag and memory', async () => {
    const { parsed } = await scrape();
    const families = parsed.families;
    expect(sampleValue(parsed, 'kimauth_audit_chain_length', { tenant: 'acme' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(parsed, 'kimauth_audit_chain_length', { tenant: 'master' })).toBeGreaterThan(1);
    expect(families.get('kimauth_outbox_messages')?.type).toBe('GAUGE');
    expect(families.has('kimauth_audit_head_last_published_timestamp_seconds')).toBe(true);
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
    expect(sampleValue(parsed, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(parsed, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('is absent unless enabled, and can live on its own port (KIMAUTH_METRICS_PORT)', async () => {
    const off = await createTestInstance();
    const plain = await buildServer(off.deps);
    expect((await plain.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await plain.close();
    off.close();

    const own = await createTestInstance({ config: { metrics: true, metricsPort: 0, port: 0 } });
    let running: RunningServer | undefined;
    try {
      running = await startServer(own.deps, { host: '127.0.0.1', port: 0 });
      expect(running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect((await fetch(`${running.url}/metrics`)).status).toBe(404);
      await fetch(`${running.url}/health`);
      const scraped = parsePrometheusText(await (await fetch(running.metricsUrl!)).text());
      expect(sampleValue(scraped, 'kimauth_http_requests_total', { route: '/health', status: '200' })).toBe(1);
      // serve published every tenant's head when it started.
      expect(sampleValue(scraped, 'kimauth_audit_head_last_published_timestamp_seconds', { tenant: 'master' })).toBeGreaterThan(0);
    } finally {
      if (running) await running.close();
      else own.close();
    }
  });
});
