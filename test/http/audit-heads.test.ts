import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compactVerify, createLocalJWKSet } from 'jose';
import { buildServer, type App } from '../../src/http/server.ts';
import { publishAuditHeads, type PublishedHead } from '../../src/audit/heads.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { PUBLISH_HEADS_JOB } from '../../src/audit/head-job.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('published audit heads: GET /t/{slug}/audit/head(s), the hourly job', () => {
  let t: TestInstance;
  let dir: { path: string; remove(): void };
  let app: App;
  let acme: TenantRow;

  beforeEach(async () => {
    dir = tempDir();
    t = await createTestInstance({ config: { dataDir: dir.path } });
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    app = await buildServer(t.deps);
  });
  afterEach(async () => {
    await app.close();
    t.close();
    dir.remove();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };

  it('serves the latest head, signed so that the tenant JWKS alone checks it', async () => {
    expect((await get('/t/acme/audit/head')).status).toBe(404);
    await publishAuditHeads(t.deps);
    const { status, body } = await get('/t/acme/audit/head');
    expect(status).toBe(200);
    const head = body.data as PublishedHead;
    expect(head).toMatchObject({ slug: 'acme', tenant: acme.id, seq: 2, publishedAt: '2026-03-01T12:00:00.000Z' });

    const { payload, protectedHeader } = await compactVerify(head.jws, createLocalJWKSet(t.deps.keyring.jwks(acme.id)));
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: head.kid, typ: 'kimauth-audit-head+jws' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
      tenant: acme.id,
      slug: 'acme',
      seq: head.seq,
      hmac: head.hmac,
      publishedAt: head.publishedAt,
    });
    // Another tenant's keys do not verify it.
    await expect(compactVerify(head.jws, createLocalJWKSet(t.deps.keyring.jwks(t.master.id)))).rejects.toThrow();
  });

  it('publishes a head even when the chain did not move, lists heads since a time, and appends them to <slug>.jsonl', async () => {
    await publishAuditHeads(t.deps);
    t.clock.advance(3_600_000);
    await publishAuditHeads(t.deps);
    const all = (await get('/t/acme/audit/heads')).body.data as PublishedHead[];
    expect(all.map((h) => h.seq)).toEqual([2, 2]);
    expect(all[0].hmac).toBe(all[1].hmac);
    expect(all[0].jws).not.toBe(all[1].jws);

    const since = await get(`/t/acme/audit/heads?since=${encodeURIComponent(all[0].publishedAt)}`);
    expect(since.status).toBe(200);
    expect(since.body.data.map((h: PublishedHead) => h.publishedAt)).toEqual(['2026-03-01T13:00:00.000Z']);

    const lines = readFileSync(path.join(dir.path, 'audit-heads', 'acme.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(all);
  });

  it('answers 404 for an unknown tenant and 400 for a bad query', async () => {
    expect((await get('/t/nope/audit/head')).body).toMatchObject({ success: false, error: { code: 'not_found' } });
    expect((await get('/t/acme/audit/heads?since=yesterday-ish')).status).toBe(400);
    expect((await get('/t/acme/audit/heads?limit=0')).status).toBe(400);
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = (await get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/t/{slug}/audit/head', '/t/{slug}/audit/heads']));
  });

  it('registers an hourly job (UTC, on the hour) that publishes every tenant\'s head', async () => {
    const scheduler = createScheduler(t.deps.logger);
    registerJobs(scheduler, t.deps);
    const job = scheduler.status().find((j) => j.name === PUBLISH_HEADS_JOB);
    expect(job?.cronTime).toBe('0 0 * * * *');
    scheduler.start();
    try {
      expect(scheduler.status().find((j) => j.name === PUBLISH_HEADS_JOB)?.nextRun).toMatch(/T\d\d:00:00\.000Z$/);
    } finally {
      await scheduler.stop();
    }
    await scheduler.runNow(PUBLISH_HEADS_JOB);
    expect((await get('/t/acme/audit/head')).status).toBe(200);
    expect((await get('/t/master/audit/head')).body.data.seq).toBeGreaterThan(0);
    // Publishing is not itself an audit event: the chains did not move.
    const before = (await get('/t/acme/audit/head')).body.data.seq;
    await scheduler.runNow(PUBLISH_HEADS_JOB);
    expect((await get('/t/acme/audit/heads')).body.data.map((h: PublishedHead) => h.seq)).toEqual([before, before]);
  });
});
