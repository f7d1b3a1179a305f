import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { fixedClock } from '../../src/app/clock.ts';
import type { Deps } from '../../src/app/deps.ts';
import { patchUser } from '../../src/identity/user-admin.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { revokeAllSessions, revokeSession, startSession } from '../../src/sessions/sessions.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createWebhookDeliveryLoop, WEBHOOK_RETRY_POLICY } from '../../src/webhooks/delivery.ts';
import { createWebhook, listDeliveries, retryDelivery, testWebhook, updateWebhook } from '../../src/webhooks/webhooks.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Issue 15 §7 end to end: changes → audit entries → webhook outbox (same transaction) → the one outbox loop →
 * a real HTTP receiver on loopback, which verifies every delivery with the `standardwebhooks` library.
 */
interface EventBody {
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

describe('webhooks: signed, durable, exactly once per event', () => {
  let t: TestInstance;
  let deps: Deps;
  let receiver: WebhookReceiver;
  let acme: TenantRow;
  let beta: TenantRow;
  let jane: UserRow;
  let secret: string;
  let webhookId: string;

  const drain = () => createWebhookDeliveryLoop(deps).drain();
  const verify = (r: ReceivedWebhook, key = secret) =>
    new Webhook(key).verify(r.body, r.headers as Record<string, string>) as EventBody;
  const inTransaction = <T>(fn: () => T): T => deps.sqlite.transaction(fn)();
  const permissionsChanged = (subjects: Array<{ type: string; id: string }>, added: string[], removed: string[] = []) =>
    deps.audit.append(acme.id, { actor: TEST_ACTOR, type: 'permissions.changed', payload: { subjects, added, removed } });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Standard Webhooks receivers accept timestamps within 5 minutes of their own clock: start at the real time.
    t = await createTestInstance({ clock: fixedClock(new Date().toISOString()), config: { webhookAllowPrivateNetworks: true } });
    deps = t.deps;
    acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    beta = await createTenant(deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    jane = await createMember(deps, acme.id, 'jane@acme.test', 'SUBMITTER');
    const created = await createWebhook(deps, TEST_ACTOR, 'acme', {
      url: receiver.url,
      events: ['permissions.changed', 'session.revoked', 'user.updated', 'agent.revoked'],
    });
    secret = created.secret;
    webhookId = created.webhook.id;
  });
  afterAll(async () => {
    t.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    t.clock.set(new Date());
    receiver.received.length = 0;
    receiver.failWith = null;
    await receiver.start();
  });

  it('shows the secret once in the Standard Webhooks form and keeps it only sealed', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const row = deps.sqlite.prepare('SELECT * FROM webhooks WHERE id = ?').get(webhookId) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length));
    const created = deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'webhook.created' AND target_id = ?").get(webhookId) as { payload: string };
    expect(JSON.parse(created.payload)).toEqual({ url: receiver.url, events: ['permissions.changed', 'session.revoked', 'user.updated', 'agent.revoked'], enabled: true });
  });

  it('permissions.changed: verified by the receiver, naming the tenant, the subjects, the change and their live sids', async () => {
    const [live, ended] = inTransaction(() => [startSession(deps, jane.id).session.id, startSession(deps, jane.id).session.id]);
    inTransaction(() => revokeSession(deps, ended, 'test', TEST_ACTOR));
    await drain();
    receiver.received.length = 0;

    inTransaction(() => permissionsChanged([{ type: 'user', id: jane.id }], ['publish:article'], ['edit:article']));
    expect(await drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    expect(delivery.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery.headers['content-type']).toBe('application/json');
    const event = verify(delivery);
    expect(event).toMatchObject({
      type: 'permissions.changed',
      data: { tenant: { id: acme.id, slug: 'acme' }, subjects: [{ type: 'user', id: jane.id, sids: [live] }], added: ['publish:article'], removed: ['edit:article'] },
    });
  });

  it('a tampered body, a wrong secret or a replayed old timestamp fails verification', async () => {
    inTransaction(() => permissionsChanged([{ type: 'user', id: jane.id }], ['deploy']));
    await drain();
    const [delivery] = receiver.received;
    expect(() => verify(delivery)).not.toThrow();
    expect(() => verify({ ...delivery, body: delivery.body.replace('deploy', 'admin') })).toThrow(WebhookVerificationError);
    expect(() => verify(delivery, `whsec_${Buffer.alloc(32, 7).toString('base64')}`)).toThrow(WebhookVerificationError);
    const old = { ...delivery.headers, 'webhook-timestamp': String(Number(delivery.headers['webhook-timestamp']) - 3600) };
    expect(() => verify({ ...delivery, headers: old })).toThrow(WebhookVerificationError);
  });

  it('a rolled-back change sends nothing', async () => {
    expect(() =>
      inTransaction(() => {
        permissionsChanged([{ type: 'user', id: jane.id }], ['never']);
        throw new Error('the change fails after its audit entry');
      }),
    ).toThrow(/the change fails/);
    expect(deps.sqlite.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE payload LIKE '%never%'").get()).toEqual({ n: 0 });
    expect(await drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(receiver.received).toEqual([]);
  });

  it('session.revoked and user.updated reach the tenants of the user (and no other tenant)', async () => {
    const betaHook = await createWebhook(deps, TEST_ACTOR, 'beta', { url: `${receiver.url}?tenant=beta`, events: ['session.revoked', 'user.updated'] });
    try {
      const sids = inTransaction(() => [startSession(deps, jane.id).session.id, startSession(deps, jane.id).session.id]);
      inTransaction(() => revokeSession(deps, sids[0], 'admin', TEST_ACTOR));
      inTransaction(() => revokeAllSessions(deps, jane.id, 'password_changed', TEST_ACTOR));
      await patchUser(deps, TEST_ACTOR, jane.id, { fullName: 'Jane Q.' });
      await drain();
      const events = receiver.received.map((r) => verify(r));
      expect(events.map((e) => [e.type, e.data.tenant.slug])).toEqual([
        ['session.revoked', 'acme'],
        ['session.revoked', 'acme'],
        ['user.updated', 'acme'],
      ]);
      expect(events[0].data).toMatchObject({ user: { id: jane.id }, sids: [sids[0]], reason: 'admin' });
      expect(events[1].data.sids).toContain(sids[1]);
      expect(events[1].data.sids).not.toContain(sids[0]);
      expect(events[2].data).toMatchObject({ user: { id: jane.id }, fields: ['fullName'] });
      expect(receiver.received.some((r) => r.body.includes(beta.id))).toBe(false);
    } finally {
      deps.sqlite.prepare('DELETE FROM webhooks WHERE id = ?').run(betaHook.webhook.id);
    }
  });

  it('the receiver down for a while: every event is delivered later, exactly once per event id; the first retry within 30 s', async () => {
    await receiver.stop();
    inTransaction(() => {
      permissionsChanged([{ type: 'user', id: jane.id }], ['a']);
      permissionsChanged([{ type: 'user', id: jane.id }], ['b']);
    });
    inTransaction(() => permissionsChanged([{ type: 'user', id: jane.id }], ['c']));
    expect(await drain()).toEqual({ sent: 0, retried: 3, failed: 0 });
    const pending = listDeliveries(deps, TEST_ACTOR, 'acme', { status: 'pending' });
    expect(pending).toHaveLength(3);
    for (const d of pending) {
      expect(Date.parse(d.nextAttemptAt!) - t.clock.nowMs()).toBeLessThanOrEqual(30_000);
      expect(d.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    }
    // Nothing is due before its backoff; then still down (and once answering 503).
    expect(await drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    t.clock.advance(WEBHOOK_RETRY_POLICY.firstDelayMs);
    expect(await drain()).toEqual({ sent: 0, retried: 3, failed: 0 });
    await receiver.start();
    receiver.failWith = 503;
    t.clock.advance(2 * WEBHOOK_RETRY_POLICY.firstDelayMs);
    expect(await drain()).toEqual({ sent: 0, retried: 3, failed: 0 });
    expect(listDeliveries(deps, TEST_ACTOR, 'acme', { status: 'pending' })[0]).toMatchObject({ lastStatus: 503, lastError: 'the receiver answered HTTP 503', attempts: 3 });
    // The receiver is back.
    receiver.failWith = null;
    receiver.received.length = 0;
    t.clock.advance(4 * WEBHOOK_RETRY_POLICY.firstDelayMs);
    expect(await drain()).toEqual({ sent: 3, retried: 0, failed: 0 });
    t.clock.advance(3_600_000);
    expect(await drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(3);
    // Retries carry the same webhook-id as the first attempt (what the receiver deduplicates on), signed anew.
    expect(ids.sort()).toEqual(pending.map((d) => d.eventId).sort());
    expect(receiver.received.map((r) => verify(r, secret)).map((e) => e.data.added[0]).sort()).toEqual(['a', 'b', 'c']);
  });

  it('only subscribed, enabled webhooks get events; `webhooks test` sends a signed webhook.test now', async () => {
    await updateWebhook(deps, TEST_ACTOR, 'acme', webhookId, { events: ['user.updated'] });
    inTransaction(() => permissionsChanged([{ type: 'user', id: jane.id }], ['unsent']));
    await updateWebhook(deps, TEST_ACTOR, 'acme', webhookId, { enabled: false });
    await patchUser(deps, TEST_ACTOR, jane.id, { fullName: 'Jane R.' });
    expect(await drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    await updateWebhook(deps, TEST_ACTOR, 'acme', webhookId, { enabled: true, events: ['permissions.changed', 'session.revoked', 'user.updated', 'agent.revoked'] });

    const tested = await testWebhook(deps, TEST_ACTOR, 'acme', webhookId);
    expect(tested).toMatchObject({ status: 'sent', lastStatus: 204, attempts: 1, eventType: 'webhook.test' });
    expect(receiver.received).toHaveLength(1);
    expect(verify(receiver.received[0])).toMatchObject({ type: 'webhook.test', data: { tenant: { slug: 'acme' }, webhook: { id: webhookId } } });
  });

  it('a rotated secret signs from then on; a failed delivery can be requeued', async () => {
    const rotated = await updateWebhook(deps, TEST_ACTOR, 'acme', webhookId, { rotateSecret: true });
    expect(rotated.secret).toMatch(/^whsec_/);
    await receiver.stop();
    inTransaction(() => permissionsChanged([{ type: 'user', id: jane.id }], ['rotated']));
    const loop = createWebhookDeliveryLoop(deps, { policy: { ...WEBHOOK_RETRY_POLICY, maxAttempts: 1 } });
    expect(await loop.drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const [failed] = listDeliveries(deps, TEST_ACTOR, 'acme', { status: 'failed' });
    await receiver.start();
    expect(retryDelivery(deps, TEST_ACTOR, 'acme', failed.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(() => verify(receiver.received[0], secret)).toThrow(WebhookVerificationError);
    expect(verify(receiver.received[0], rotated.secret!).data.added).toEqual(['rotated']);
    secret = rotated.secret!;
    const requeued = deps.sqlite.prepare("SELECT actor_type FROM audit_entries WHERE event_type = 'webhook.delivery_requeued'").all();
    expect(requeued).toHaveLength(1);
  });
});
