import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { Webhook } from 'standardwebhooks';

/** The operator's commands of issue 15 §6–§7 on a real data dir: `kimauth api-keys …` and `kimauth webhooks …`. */
describe('CLI: api-keys and webhooks', () => {
  let dir: { path: string; remove(): void };
  let dataDir: string;
  let receiver: WebhookReceiver;
  const env = { KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv], { env });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], { stdin: 'ops-password-1\n' });
    expect(init.code, init.stderr).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
  });
  afterAll(async () => {
    dir.remove();
    await receiver.stop();
  });

  it('api-keys create prints the key once (stdout: the key alone), list never shows it, revoke by name', async () => {
    const created = await run('api-keys', 'create', '--tenant', 'acme', '--name', 'ci', '--scopes', 'users:read,roles:write', '--expires', '90d');
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^kimauth_acme_[0-9A-Za-z]{43}$/);
    expect(created.stderr).toMatch(/Copy it now: it is not shown again/);

    const json = await run('--json', 'api-keys', 'create', '--tenant', 'acme', '--name', 'deploy', '--scopes', 'payments:write');
    const { key: second, apiKey } = json.json<{ key: string; apiKey: { id: string; scopes: string[]; expiresAt: null } }>();
    expect(second).toMatch(/^kimauth_acme_/);
    expect(apiKey).toMatchObject({ scopes: ['payments:write'], expiresAt: null });

    const listed = await run('api-keys', 'list', '--tenant', 'acme');
    expect(listed.stdout).toMatch(/ci.*users:read,roles:write.*active/);
    expect(listed.stdout + (await run('--json', 'api-keys', 'list', '--tenant', 'acme')).stdout).not.toContain(key.slice(13));

    expect((await run('api-keys', 'revoke', '--tenant', 'acme', 'ci')).stdout).toMatch(/Revoked API key "ci"/);
    expect((await run('--json', 'api-keys', 'list', '--tenant', 'acme')).json<unknown[]>()).toHaveLength(1);
    expect((await run('--json', 'api-keys', 'list', '--tenant', 'acme', '--all')).json<Array<{ status: string }>>().map((k) => k.status).sort()).toEqual(['active', 'revoked']);

    const bad = await run('api-keys', 'create', '--tenant', 'acme', '--name', 'x', '--scopes', 'users:admin');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown scope users:admin/);

    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('kimauth.db'))) {
      const bytes = readFileSync(path.join(dataDir, file));
      expect(bytes.includes(Buffer.from(key.slice(13))) || bytes.includes(Buffer.from(second.slice(13))), file).toBe(false);
    }
    const audit = await run('--json', 'audit', 'tail', '--tenant', 'acme', '--type', 'api_key.*');
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout.match(/api_key\.(created|revoked)/g)).toHaveLength(3);
    expect(audit.stdout).not.toContain(key.slice(13));
    expect(audit.stdout).not.toContain(second.slice(13));
  });

  it('webhooks create prints the secret once; list, update, test, deliveries, delete', async () => {
    const created = await run('--json', 'webhooks', 'create', '--tenant', 'acme', '--url', receiver.url, '--events', 'permissions.changed,session.revoked,user.updated,agent.revoked');
    expect(created.code, created.stderr).toBe(0);
    const { webhook, secret } = created.json<{ webhook: { id: string; events: string[] }; secret: string }>();
    expect(secret).toMatch(/^whsec_/);
    expect(webhook.events).toEqual(['permissions.changed', 'session.revoked', 'user.updated', 'agent.revoked']);

    const listed = await run('webhooks', 'list', '--tenant', 'acme');
    expect(listed.stdout).toContain(receiver.url);
    expect(listed.stdout).not.toContain(secret.slice(6));

    const tested = await run('webhooks', 'test', webhook.id, '--tenant', 'acme');
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^Delivered msg_[0-9a-f]{32} \(HTTP 204\)/);
    const [delivery] = receiver.received;
    expect(new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });

    const deliveries = await run('--json', 'webhooks', 'deliveries', webhook.id, '--tenant', 'acme');
    expect(deliveries.json<Array<{ status: string; eventType: string }>>()).toEqual([expect.objectContaining({ status: 'sent', eventType: 'webhook.test' })]);

    const updated = await run('webhooks', 'update', webhook.id, '--tenant', 'acme', '--events', 'user.updated', '--disable');
    expect(updated.stdout).toMatch(/events\s+user\.updated/);
    expect(updated.stdout).toMatch(/enabled\s+false/);

    const refused = await cli(['--data-dir', dataDir, 'webhooks', 'create', '--tenant', 'acme', '--url', 'http://169.254.169.254/', '--events', 'user.updated'], { env: {} });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/linkLocal/);

    expect((await run('webhooks', 'delete', webhook.id, '--tenant', 'acme')).stdout).toMatch(/Deleted webhook/);
    expect((await run('--json', 'webhooks', 'list', '--tenant', 'acme')).json<unknown[]>()).toEqual([]);
  });
});
