import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { fixedClock } from '../../src/app/clock.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createApiKey } from '../../src/api-keys/api-keys.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { patchUser } from '../../src/identity/user-admin.ts';
import { createTenant, getTenant } from '../../src/tenants/tenants.ts';
import { WEBHOOK_DELIVERY_JOB } from '../../src/webhooks/jobs.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

describe('webhooks over the tenant API, delivered by the job serve runs', () => {
  let t: TestInstance;
  let app: App;
  let receiver: WebhookReceiver;
  let key = '';
  let betaKey = '';

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, credential: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${credential}` } });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await createTestInstance({ clock: fixedClock(new Date().toISOString()), config: { webhookAllowPrivateNetworks: true } });
    await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    app = await buildServer(t.deps);
    key = createApiKey(t.deps, TEST_ACTOR, 'acme', { name: 'hooks', scopes: ['webhooks:write'] }).key;
    betaKey = createApiKey(t.deps, TEST_ACTOR, 'beta', { name: 'hooks', scopes: ['webhooks:write'] }).key;
  });
  afterAll(async () => {
    await app.close();
    t.close();
    await receiver.stop();
  });

  it('an API key with webhooks:write registers a receiver (secret once), which the delivery job feeds', async () => {
    const created = await call('POST', '/t/acme/api/v1/webhooks', key, { url: receiver.url, events: ['user.updated'], description: 'CRM sync' });
    expect(created.statusCode, created.body).toBe(201);
    const { webhook, secret } = created.json().data;
    expect(webhook).toMatchObject({ url: receiver.url, events: ['user.updated'], enabled: true, description: 'CRM sync' });
    expect((await call('GET', `/t/acme/api/v1/webhooks/${webhook.id}`, key)).body).not.toContain(secret.slice(6));
    const audit = t.deps.sqlite.prepare("SELECT actor_type FROM audit_entries WHERE event_type = 'webhook.created' AND target_id = ?").get(webhook.id);
    expect(audit).toEqual({ actor_type: 'api-key' });

    const member = await createMember(t.deps, getTenant(t.deps, 'acme').id, 'sam@acme.test', 'SUBMITTER');
    await patchUser(t.deps, TEST_ACTOR, member.id, { phoneNumber: '+3212345678' });

    const scheduler = createScheduler(silentLogger());
    registerJobs(scheduler, t.deps);
    expect(scheduler.status().find((j) => j.name === WEBHOOK_DELIVERY_JOB)?.cronTime).toBe('*/5 * * * * *');
    await scheduler.runNow(WEBHOOK_DELIVERY_JOB);
    expect(receiver.received).toHaveLength(1);
    const event = new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>);
    expect(event).toMatchObject({ type: 'user.updated', data: { tenant: { slug: 'acme' }, user: { id: member.id }, fields: ['phoneNumber'] } });

    const deliveries = await call('GET', `/t/acme/api/v1/webhooks/${webhook.id}/deliveries`, key);
    expect(deliveries.json().data).toEqual([expect.objectContaining({ status: 'sent', lastStatus: 204, eventType: 'user.updated' })]);
  });

  it("refuses other schemes and unknown events (400), and another tenant's webhook (404)", async () => {
    // This instance allows private networks (its receiver is on loopback; test/webhooks/ssrf.test.ts refuses them);
    // the scheme rule holds regardless.
    const scheme = await call('POST', '/t/acme/api/v1/webhooks', key, { url: 'gopher://hooks.example/x', events: ['user.updated'] });
    expect(scheme.statusCode).toBe(400);
    expect(scheme.json().error.message).toMatch(/http or https/);
    const unknownEvent = await call('POST', '/t/acme/api/v1/webhooks', key, { url: receiver.url, events: ['user.exploded'] });
    expect(unknownEvent.statusCode).toBe(400);

    const theirs = (await call('POST', '/t/beta/api/v1/webhooks', betaKey, { url: receiver.url, events: ['user.updated'] })).json().data.webhook.id;
    expect((await call('GET', `/t/acme/api/v1/webhooks/${theirs}`, key)).statusCode).toBe(404);
    expect((await call('DELETE', `/t/acme/api/v1/webhooks/${theirs}`, key)).statusCode).toBe(404);
    expect((await call('GET', `/t/beta/api/v1/webhooks/${theirs}`, key)).statusCode).toBe(404);
    expect((await call('DELETE', `/t/beta/api/v1/webhooks/${theirs}`, betaKey)).statusCode).toBe(200);
  });
});
