/**
 * Integrations benchmark (issue 15 §6–§7), in process on a temp data dir, loopback only:
 *   1. a tenant API read (GET /t/acme/v1/payments?limit=1) authenticated by an API key vs by a Bearer access token;
 *   2. the cost the webhook audit listener adds to an audit append: an entry no event maps, a mapped one with no
 *      webhook, a mapped one fanned out to one subscribed webhook (the outbox insert);
 *   3. delivery throughput of the outbox loop to a receiver on loopback (signing + HTTP POST + bookkeeping).
 * Usage: npm run bench:integrations [-- --requests 5000 --appends 20000 --events 2000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { testConfig } from '../src/app/config.ts';
import { buildDeps } from '../src/app/deps.ts';
import { createApiKey } from '../src/api-keys/api-keys.ts';
import { buildServer } from '../src/http/server.ts';
import { createUser } from '../src/identity/users.ts';
import { generateMasterKeyring, readMasterKeyring, writeMasterKeyring } from '../src/keys/master-key.ts';
import { upsertCompanyMembership } from '../src/memberships/memberships.ts';
import { createTenant, MASTER_SLUG } from '../src/tenants/tenants.ts';
import { createWebhookDeliveryLoop } from '../src/webhooks/delivery.ts';
import { createWebhook, deleteWebhook } from '../src/webhooks/webhooks.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('--requests', 5_000);
const APPENDS = arg('--appends', 20_000);
const EVENTS = arg('--events', 2_000);
const actor = { type: 'operator', id: 'bench', channel: 'cli' } as const;
const us = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(1)} µs`;

const dir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-integrations-'));
writeMasterKeyring(path.join(dir, 'master.key'), generateMasterKeyring());
const deps = buildDeps({
  config: testConfig({ dataDir: dir, webhookAllowPrivateNetworks: true, rateLimitPerMinute: 1_000_000 }),
  masterKeys: readMasterKeyring(path.join(dir, 'master.key')),
  databaseFile: path.join(dir, 'kimauth.db'),
  migrate: true,
});
let received = 0;
const receiver = createServer((req, res) => {
  req.resume().on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (wall figures assume idle cores)`);

try {
  await createTenant(deps, { slug: MASTER_SLUG, name: 'Platform' }, actor, { allowReserved: true });
  const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, actor);
  const finance = await createUser(deps, { email: 'finance@acme.test', fullName: 'Finance', password: 'bench-password-1', approvalStatus: 'APPROVED', isActive: true }, actor);
  upsertCompanyMembership(deps, actor, acme.id, { userId: finance.id, role: 'FINANCE' });
  const app = await buildServer(deps);

  // 1. API key vs access token on the same tenant API read.
  const key = createApiKey(deps, actor, 'acme', { name: 'bench', scopes: ['payments:read'] }).key;
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'finance@acme.test', password: 'bench-password-1', accountType: '' } });
  const token = login.json().data.accessToken as string;
  const timeRequests = async (credential: string, n: number) => {
    for (let i = 0; i < 200; i++) await app.inject({ method: 'GET', url: '/t/acme/v1/payments?limit=1', headers: { authorization: `Bearer ${credential}` } });
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const res = await app.inject({ method: 'GET', url: '/t/acme/v1/payments?limit=1', headers: { authorization: `Bearer ${credential}` } });
      if (res.statusCode !== 200) throw new Error(`GET payments: ${res.statusCode} ${res.body}`);
    }
    return performance.now() - start;
  };
  // Alternated, so load on a shared machine falls on both alike.
  let byKey = 0;
  let byToken = 0;
  for (let round = 0; round < 4; round++) {
    byToken += await timeRequests(token, REQUESTS / 4);
    byKey += await timeRequests(key, REQUESTS / 4);
  }
  console.log(`GET /t/acme/v1/payments (inject): API key ${us(byKey, REQUESTS)}/request, access token ${us(byToken, REQUESTS)}/request, over ${REQUESTS.toLocaleString('en')}`);

  // 2. What the webhook listener adds to an audit append.
  const timeAppends = (type: string) => {
    const start = performance.now();
    for (let i = 0; i < APPENDS; i++) {
      deps.sqlite.transaction(() => deps.audit.append(acme.id, { actor, type, payload: { subjects: [{ type: 'user', id: finance.id }], added: ['x'], removed: [] } }))();
    }
    return performance.now() - start;
  };
  const unmapped = timeAppends('bench.noop');
  const mappedNoWebhook = timeAppends('permissions.changed');
  const hook = await createWebhook(deps, actor, 'acme', { url: receiverUrl, events: ['permissions.changed'] });
  const mappedOneWebhook = timeAppends('permissions.changed');
  console.log(
    `audit append in its transaction: unmapped ${us(unmapped, APPENDS)}, permissions.changed with no webhook ${us(mappedNoWebhook, APPENDS)}, ` +
      `with 1 subscribed webhook (outbox insert + live sids) ${us(mappedOneWebhook, APPENDS)}`,
  );
  deleteWebhook(deps, actor, 'acme', hook.webhook.id);

  // 3. Delivery throughput to loopback.
  const { webhook } = await createWebhook(deps, actor, 'acme', { url: receiverUrl, events: ['permissions.changed'] });
  deps.sqlite.transaction(() => {
    for (let i = 0; i < EVENTS; i++) deps.audit.append(acme.id, { actor, type: 'permissions.changed', payload: { subjects: [], added: [`p${i}`], removed: [] } });
  })();
  const loop = createWebhookDeliveryLoop(deps);
  const start = performance.now();
  const result = await loop.drain({ limit: EVENTS });
  const ms = performance.now() - start;
  if (result.sent !== EVENTS || received < EVENTS) throw new Error(`delivered ${result.sent}/${EVENTS}, received ${received}`);
  console.log(`webhook deliveries to loopback: ${Math.round((EVENTS / ms) * 1000).toLocaleString('en')} events/s (${us(ms, EVENTS)} each: claim, sign, POST, mark), webhook ${webhook.id}`);
  await app.close();
} finally {
  receiver.close();
  deps.close();
  rmSync(dir, { recursive: true, force: true });
}
