import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/app/clock.ts';
import { createApiKey } from '../../src/api-keys/api-keys.ts';
import { createAgent } from '../../src/agents/agents.ts';
import { verifyAuditChains } from '../../src/audit/verify.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { createClient } from '../../src/clients/clients.ts';
import { importEcbRates } from '../../src/fx/reference-rates.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser } from '../../src/identity/users.ts';
import { upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { setTenantBranding } from '../../src/oidc/provider-settings.ts';
import { openArchive } from '../../src/operations/archive/sealed-archive.ts';
import { exportTenant } from '../../src/operations/transfer/export.ts';
import { importTenant } from '../../src/operations/transfer/import.ts';
import { TENANT_MEMBER, type TenantArchive } from '../../src/operations/transfer/tenant-archive.ts';
import { setOwnerPolicy } from '../../src/ownership/owner-policy.ts';
import { setOwnership } from '../../src/ownership/ownership.ts';
import { reportPayment } from '../../src/payments/payments.ts';
import { createPaymentProfile } from '../../src/payments/profiles.ts';
import { addGroupMember, createGroup } from '../../src/permissions/groups.ts';
import { assignRole, createRole } from '../../src/permissions/roles.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { setVatSettings } from '../../src/vat/settings.ts';
import { createWebhook, testWebhook } from '../../src/webhooks/webhooks.ts';
import { createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { ECB_SAMPLE, paymentInput } from '../support/payments.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const PASSPHRASE = 'integrations passphrase';
const JANE = { email: 'jane@acme.test', password: 'jane-password-1' };

function openedTables(file: string, passphrase: string): TenantArchive['tables'] {
  const opened = openArchive(readFileSync(file), 'kimauth-tenant-export', { passphrase });
  return (JSON.parse(opened.files.get(TENANT_MEMBER)!.toString('utf8')) as TenantArchive).tables;
}

/**
 * Issue 14 §2 for what came after the first export code: OIDC clients, webhooks (secret sealed with the source's
 * master key), TOTP (likewise), roles, groups, agents, ownership, payments, branding. The target is another
 * instance on its own data dir with its own master key; after the import the integrations work there over HTTP.
 */
describe('tenant export → import to an instance with another master key: clients, webhooks and MFA keep working', () => {
  const dir = tempDir('kimauth-transfer-integrations-');
  const archive = path.join(dir.path, 'acme.kimauth');
  let source: TestInstance;
  let target: TestInstance;
  let receiver: WebhookReceiver;
  let app: App;
  let base = '';
  let clientSecret = '';
  let webhook: { id: string; secret: string };
  let totpSecret = '';
  let revokedToken = '';

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Receivers check webhook timestamps against the wall clock: the instances' fixed clocks start at now.
    source = await createTestInstance({ clock: fixedClock(new Date()), config: { webhookAllowPrivateNetworks: true } });
    const operator = cliOperator();
    const acme = await createTenant(source.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const jane = await createUser(source.deps, { email: JANE.email, fullName: 'Jane', password: JANE.password, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    upsertCompanyMembership(source.deps, TEST_ACTOR, acme.id, { userId: jane.id, role: 'ADMIN' });

    clientSecret = createClient(source.deps, operator, 'acme', { name: 'Svc', type: 'confidential', clientId: 'svc', grantTypes: ['client_credentials'], scopes: ['api'] }).clientSecret!;
    const created = await createWebhook(source.deps, operator, 'acme', { url: receiver.url, events: ['user.updated'] });
    webhook = { id: created.webhook.id, secret: created.secret };
    await testWebhook(source.deps, operator, 'acme', webhook.id);
    expect(receiver.received).toHaveLength(1);
    ({ secret: totpSecret } = await enrolTotp(source.deps, jane, (ms) => source.clock.advance(ms)));
    setTenantMfaRequirement(source.deps, operator, 'acme', true);

    const role = await createRole(source.deps, operator, 'acme', { name: 'approvers', permissions: ['sync:orders'] });
    await assignRole(source.deps, operator, 'acme', role.id, { user: jane.id });
    const group = createGroup(source.deps, operator, 'acme', { name: 'finance' });
    await addGroupMember(source.deps, operator, 'acme', group.id, jane.id);
    createApiKey(source.deps, operator, 'acme', { name: 'sync', scopes: ['webhooks:write'] });
    createAgent(source.deps, acme, { name: 'bot', owner: { type: 'user', id: jane.id }, permissions: ['sync:orders'], audiences: ['market'] }, TEST_ACTOR);
    setOwnership(source.deps, acme.id, { app: 'market', type: 'listing', id: 'l-1' }, { type: 'user', id: jane.id }, TEST_ACTOR);
    setOwnerPolicy(source.deps, acme.id, 'listing', ['edit'], TEST_ACTOR);
    setTenantBranding(source.deps, operator, 'acme', { displayName: 'Acme Corp' });
    setVatSettings(source.deps, acme.id, { vatId: 'BE0123456749', memberState: 'BE', ossFormat: 'be-xml' }, TEST_ACTOR);
    importEcbRates(source.deps, ECB_SAMPLE, readFileSync(ECB_SAMPLE, 'utf8'), TEST_ACTOR);
    const profile = createPaymentProfile(source.deps, acme.id, { type: 'user', id: jane.id }, { country: 'BE', accounts: { stripe: 'acct_jane' } }, TEST_ACTOR);
    await reportPayment(source.deps, 'acme', paymentInput(profile.id), TEST_ACTOR);

    // An access token revoked at the source stays revoked at the target (same keys).
    const sourceApp = await buildServer(source.deps);
    try {
      const basic = `Basic ${Buffer.from(`svc:${clientSecret}`).toString('base64')}`;
      const form = (body: Record<string, string>) => ({ method: 'POST' as const, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });
      const granted = await sourceApp.inject({ url: '/t/acme/protocol/openid-connect/token', ...form({ grant_type: 'client_credentials', scope: 'api' }) });
      expect(granted.statusCode, granted.body).toBe(200);
      revokedToken = granted.json().access_token;
      const revoked = await sourceApp.inject({ url: '/t/acme/protocol/openid-connect/revoke', ...form({ token: revokedToken }) });
      expect(revoked.statusCode, revoked.body).toBe(200);
    } finally {
      await sourceApp.close();
    }

    await exportTenant(source.deps, { tenant: 'acme', out: archive, passphrase: PASSPHRASE, actor: TEST_ACTOR });
    // The target: its own data dir and master key; its clock past the TOTP step the source recorded.
    target = await createTestInstance({
      ownMasterKey: true,
      file: true,
      clock: fixedClock(new Date(source.clock.nowMs() + 30_000)),
      config: { webhookAllowPrivateNetworks: true },
    });
    expect(target.deps.masterKeys.currentId).not.toBe(source.deps.masterKeys.currentId);
    await importTenant(target.deps, { file: archive, passphrase: PASSPHRASE, actor: TEST_ACTOR });
    app = await buildServer(target.deps);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    source?.close();
    target?.close();
    await receiver?.stop();
    dir.remove();
  });

  const post = (url: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
  const postJson = (url: string, body: unknown) => fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it("the OIDC client's client_credentials grant works with its original secret; the revoked token stays revoked", async () => {
    const basic = { authorization: `Basic ${Buffer.from(`svc:${clientSecret}`).toString('base64')}` };
    const granted = await post('/t/acme/protocol/openid-connect/token', { grant_type: 'client_credentials', scope: 'api' }, basic);
    expect(granted.status, await granted.clone().text()).toBe(200);
    const { access_token: accessToken } = (await granted.json()) as { access_token: string };
    const introspect = async (token: string) => (await (await post('/t/acme/protocol/openid-connect/introspect', { token }, basic)).json()) as { active: boolean };
    expect(await introspect(accessToken)).toMatchObject({ active: true });
    expect(await introspect(revokedToken)).toEqual({ active: false });
    const wrong = await post('/t/acme/protocol/openid-connect/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('svc:not-the-secret').toString('base64')}` });
    expect(wrong.status).toBe(401);
  });

  it("the webhook's deliveries from the target verify with the secret issued at the source", async () => {
    const delivered = await testWebhook(target.deps, cliOperator(), 'acme', webhook.id);
    expect(delivered).toMatchObject({ status: 'sent' });
    const last = receiver.received.at(-1)!;
    expect(receiver.received).toHaveLength(2);
    expect(new Webhook(webhook.secret).verify(last.body, last.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
    // Sealed with the target's own key now (the source's key id is not in the target's key file).
    const sealed = target.deps.sqlite.prepare('SELECT secret_sealed FROM webhooks WHERE id = ?').pluck().get(webhook.id) as string;
    expect(sealed.startsWith(`${target.deps.masterKeys.currentId}.`)).toBe(true);
  });

  it('a TOTP-enrolled user completes MFA with a code of the original authenticator', async () => {
    const login = await postJson('/auth/login', { ...JANE, accountType: '' });
    expect(login.status).toBe(200);
    const challenge = ((await login.json()) as { data: { mfaRequired?: boolean; mfaToken: string } }).data;
    expect(challenge.mfaRequired).toBe(true);
    const wrong = await postJson('/auth/mfa/verify', { mfaToken: challenge.mfaToken, code: codeNow(target.deps, totpSecret, 300) });
    expect(wrong.status).toBe(401);
    const verified = await postJson('/auth/mfa/verify', { mfaToken: challenge.mfaToken, code: codeNow(target.deps, totpSecret) });
    expect(verified.status, await verified.clone().text()).toBe(200);
    expect(((await verified.json()) as { data: { accessToken: string } }).data.accessToken).toEqual(expect.any(String));
  });

  it('audit verify passes on the target, and exporting there again carries the same rows in every table', async () => {
    const report = await verifyAuditChains(target.deps);
    expect(report.ok, JSON.stringify(report.firstBreak)).toBe(true);
    const again = path.join(dir.path, 'again.kimauth');
    await exportTenant(target.deps, { tenant: 'acme', out: again, passphrase: PASSPHRASE, actor: TEST_ACTOR });
    const first = openedTables(archive, PASSPHRASE);
    const second = openedTables(again, PASSPHRASE);
    const rows = (tables: TenantArchive['tables'], name: string) => (tables[name]?.rows ?? []).map((r) => JSON.stringify(r)).sort();
    for (const name of Object.keys(first)) {
      // What the target did after the import (MFA sign-in, a test delivery) is not in the first archive.
      if (name === 'webhook_deliveries' || name === 'mfa_totp') continue;
      expect(rows(second, name), name).toEqual(rows(first, name));
    }
    const populated = Object.entries(first).filter(([, t]) => t.rows.length > 0).map(([name]) => name);
    expect(populated).toEqual(
      expect.arrayContaining([
        'oauth_clients', 'webhooks', 'webhook_deliveries', 'mfa_totp', 'mfa_recovery_codes', 'tenant_mfa_policies', 'access_roles',
        'access_role_assignments', 'access_groups', 'access_group_members', 'api_keys', 'agents', 'resource_owners', 'owner_policies',
        'tenant_branding', 'tenant_vat_settings', 'payment_profiles', 'payments', 'oidc_revoked_access_tokens',
      ]),
    );
    // The TOTP secret travels opened inside the sealed archive, never sealed to the source's key.
    expect(JSON.stringify(first.mfa_totp.rows)).toContain(totpSecret);
  });
});
