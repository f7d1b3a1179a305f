import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { createWebhookDeliveryLoop } from '../../src/webhooks/delivery.ts';
import { checkWebhookTarget, type HostLookup } from '../../src/webhooks/target-check.ts';
import { createWebhook, listDeliveries } from '../../src/webhooks/webhooks.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

/**
 * SSRF (issue 15 §7): targets on loopback, private and link-local networks are refused unless
 * KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. Host names resolve through a lookup the test provides (no DNS
 * query leaves the machine) and every address must be public. No request is sent by any case here.
 */
const NAMES: Record<string, string[]> = {
  'hooks.public.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'mixed.test': ['93.184.215.14', '10.0.0.5'],
  'metadata.test': ['169.254.169.254'],
  'rebinding.test': ['93.184.215.14'],
  localhost: ['127.0.0.1', '::1'],
};
const lookup: HostLookup = async (host) => {
  const addresses = NAMES[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const REFUSED: Array<[string, RegExp]> = [
  ['http://127.0.0.1/hook', /loopback/],
  ['http://127.1.2.3:8080/hook', /loopback/],
  ['http://localhost/hook', /loopback/],
  ['http://[::1]/hook', /loopback/],
  ['http://2130706433/hook', /loopback/], // 127.0.0.1 written as a number
  ['http://0x7f.1/hook', /loopback/],
  ['http://0.0.0.0/hook', /unspecified/],
  ['http://10.1.2.3/hook', /private/],
  ['http://172.16.0.1/hook', /private/],
  ['http://192.168.1.10/hook', /private/],
  ['http://100.64.0.1/hook', /carrierGradeNat/],
  ['http://169.254.169.254/latest/meta-data', /linkLocal/],
  ['http://[fe80::1]/hook', /linkLocal/],
  ['http://[fd00::1]/hook', /uniqueLocal/],
  ['http://[::ffff:127.0.0.1]/hook', /loopback/],
  ['http://[::ffff:10.0.0.1]/hook', /private/],
  ['http://[64:ff9b::a00:1]/hook', /rfc6052/],
  ['http://[2002:a00:1::1]/hook', /6to4/],
  ['http://224.0.0.1/hook', /multicast/],
  ['http://255.255.255.255/hook', /broadcast/],
  ['https://mixed.test/hook', /private address \(10\.0\.0\.5\)/],
  ['https://metadata.test/hook', /linkLocal/],
  ['ftp://hooks.public.test/hook', /http or https/],
  ['file:///etc/passwd', /http or https/],
  ['not a url', /not a URL/],
];

describe('webhook targets: the SSRF refusal table', () => {
  it.each(REFUSED)('%s is refused', async (url, reason) => {
    const check = await checkWebhookTarget(url, { allowPrivateNetworks: false, lookup });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it.each(['https://hooks.public.test/kimauth', 'https://93.184.215.14/hook', 'http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/x'])('%s is allowed', async (url) => {
    expect(await checkWebhookTarget(url, { allowPrivateNetworks: false, lookup })).toMatchObject({ ok: true });
  });

  it('the system resolver (no lookup given) refuses localhost, from the hosts file', async () => {
    expect(await checkWebhookTarget('http://localhost:9/hook', { allowPrivateNetworks: false })).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback/) });
  });

  it('an unresolvable name is refused as retryable (it may resolve later)', async () => {
    expect(await checkWebhookTarget('https://nowhere.test/x', { allowPrivateNetworks: false, lookup })).toMatchObject({ ok: false, retryable: true });
  });

  it('KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true admits private targets, never other schemes', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.1.2.3/hook', 'https://mixed.test/hook']) {
      expect(await checkWebhookTarget(url, { allowPrivateNetworks: true, lookup })).toMatchObject({ ok: true });
    }
    expect(await checkWebhookTarget('file:///etc/passwd', { allowPrivateNetworks: true, lookup })).toMatchObject({ ok: false });
  });

  describe('in the services', () => {
    let t: TestInstance;
    let deps: Deps;
    beforeAll(async () => {
      t = await createTestInstance();
      deps = t.deps;
      await createTenant(deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    });
    afterAll(() => t.close());

    it('refuses to register a private target (400), with the reason', async () => {
      expect(deps.config.webhookAllowPrivateNetworks).toBe(false);
      await expect(createWebhook(deps, TEST_ACTOR, 'acme', { url: 'http://127.0.0.1:9/hook', events: ['user.updated'] })).rejects.toMatchObject({
        code: 'validation_error',
        message: expect.stringMatching(/^url: 127\.0\.0\.1 resolves to a loopback address/),
      });
    });

    it('checks again before every delivery: a name that now resolves privately gives up and sends nothing', async () => {
      const { webhook } = await createWebhook(deps, TEST_ACTOR, 'acme', { url: 'https://rebinding.test/hook', events: ['user.updated'] }, { lookup });
      // An event written straight to the outbox is enough here.
      const now = deps.clock.nowMs();
      deps.sqlite
        .prepare(`INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, next_attempt_at, created_at)
                  VALUES ('d-1', ?, ?, 'msg_1', 'user.updated', '{}', ?, ?)`)
        .run(webhook.tenantId, webhook.id, now, now);
      let requests = 0;
      const rebound: HostLookup = async () => [{ address: '10.0.0.7', family: 4 }];
      const loop = createWebhookDeliveryLoop({ ...deps, http: async () => (requests++, new Response(null, { status: 204 })) }, { lookup: rebound });
      expect(await loop.drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
      expect(requests).toBe(0);
      expect(listDeliveries(deps, TEST_ACTOR, 'acme', { webhookId: webhook.id })[0]).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/private address/) });
    });
  });
});
