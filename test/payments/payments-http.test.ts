import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser } from '../../src/identity/users.ts';
import { addMember } from '../support/members.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_ACTOR } from '../support/deps.ts';
import { paymentInput, paymentsFixture, type PaymentsFixture } from '../support/payments.ts';
import { parseReturnXml } from '../support/oss-returns.ts';

describe('payments over HTTP (/t/{slug}/v1/…, /t/{slug}/api/v1/oss-reports)', () => {
  let f: PaymentsFixture;
  let app: App;
  const tokens: Record<string, string> = {};
  let memberId = '';

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: string, payload?: unknown) =>
    app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${tokens[who]}` } });

  beforeAll(async () => {
    f = await paymentsFixture({ config: { rateLimitPerMinute: 10_000 } });
    f.clock.set('2026-10-02T08:00:00Z');
    app = await buildServer(f.deps);
    const people: Array<[string, 'FINANCE' | 'SUBMITTER' | null]> = [['finance@acme.test', 'FINANCE'], ['member@acme.test', 'SUBMITTER'], ['stranger@else.test', null]];
    for (const [email, role] of people) {
      const user = await createUser(f.deps, { email, fullName: email, password: 'user-password-1', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
      if (role) addMember(f.deps, f.tenant.id, user.id, role);
      if (role === 'SUBMITTER') memberId = user.id;
    }
    const signIn = async (email: string, password: string) => {
      const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password, accountType: '' } });
      return res.json().data.accessToken as string;
    };
    tokens.admin = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    tokens.finance = await signIn('finance@acme.test', 'user-password-1');
    tokens.member = await signIn('member@acme.test', 'user-password-1');
    tokens.stranger = await signIn('stranger@else.test', 'user-password-1');
  });
  afterAll(async () => {
    await app.close();
    f.close();
  });

  it('a member manages their own profile; others need a finance role', async () => {
    const created = await call('POST', '/t/acme/v1/payment-profiles', 'member', { country: 'DE', vatId: 'DE129273398', accounts: { mollie: 'org_9' } });
    expect(created.statusCode).toBe(201);
    const profile = created.json().data;
    expect(profile).toMatchObject({ actor: { type: 'user', id: memberId }, country: 'DE', accounts: { mollie: 'org_9' }, isDefault: true });
    expect((await call('GET', '/t/acme/v1/payment-profiles', 'member')).json().data.map((p: { id: string }) => p.id)).toEqual([profile.id]);
    expect((await call('GET', '/t/acme/v1/payment-profiles', 'finance')).json().data).toHaveLength(2);
    expect((await call('GET', `/t/acme/v1/payment-profiles/${f.profile.id}`, 'member')).statusCode).toBe(403);
    expect((await call('PATCH', `/t/acme/v1/payment-profiles/${profile.id}`, 'member', { name: 'Mine' })).json().data.name).toBe('Mine');
    const foreign = await call('POST', '/t/acme/v1/payment-profiles', 'member', { actor: { type: 'user', id: f.seller.id }, country: 'BE', accounts: { stripe: 'acct_x' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error.code).toBe('forbidden');
    const stranger = await call('POST', '/t/acme/v1/payment-profiles', 'stranger', { country: 'BE', accounts: { stripe: 'acct_x' } });
    expect(stranger.statusCode).toBe(400);
    expect(stranger.json().error.message).toMatch(/not an active member/);
    expect((await call('DELETE', `/t/acme/v1/payment-profiles/${profile.id}`, 'member')).statusCode).toBe(200);
  });

  it('finance reports a payment (201), the same charge again answers 200 with the same record, then refunds it', async () => {
    const body = paymentInput(f.profile.id, { chargeId: 'ch_http_1', amount: 12_000, buyer: { country: 'AT', kind: 'consumer' }, occurredAt: '2026-09-30T10:00:00Z' });
    const first = await call('POST', '/t/acme/v1/payments', 'finance', body);
    expect(first.statusCode).toBe(201);
    expect(first.json().data).toMatchObject({ treatment: 'vat_applied', memberState: 'AT', rate: '20.00', vatAmount: 2_400, period: '2026-Q3' });
    const again = await call('POST', '/t/acme/v1/payments', 'finance', body);
    expect(again.statusCode).toBe(200);
    expect(again.json().data.id).toBe(first.json().data.id);
    const refund = await call('POST', `/t/acme/v1/payments/${first.json().data.id}/refunds`, 'finance', { amount: 2_000, providerRefundId: 're_h1' });
    expect(refund.statusCode).toBe(201);
    expect(refund.json().data.refund).toMatchObject({ amount: 2_000, vatAmount: 400 });
    const tooMuch = await call('POST', `/t/acme/v1/payments/${first.json().data.id}/refunds`, 'finance', { amount: 10_001 });
    expect(tooMuch.statusCode).toBe(400);
    expect((await call('GET', `/t/acme/v1/payments/${first.json().data.id}`, 'finance')).json().data.refunded).toEqual({ amount: 2_000, vatAmount: 400, count: 1 });
    expect((await call('GET', '/t/acme/v1/payments', 'admin')).json().data).toHaveLength(1);
  });

  it('refuses floats and members without a finance role', async () => {
    const float = await call('POST', '/t/acme/v1/payments', 'finance', { ...paymentInput(f.profile.id), amount: 12.5 });
    expect(float.statusCode).toBe(400);
    expect(float.json().error.code).toBe('validation_error');
    expect((await call('POST', '/t/acme/v1/payments', 'member', paymentInput(f.profile.id))).statusCode).toBe(403);
    expect((await call('GET', '/t/acme/v1/payments', 'member')).statusCode).toBe(403);
  });

  it('finance and platform staff download the OSS return as XML or CSV; members may not', async () => {
    const xml = await call('GET', '/t/acme/api/v1/oss-reports/2026-Q3.xml', 'finance');
    expect(xml.statusCode).toBe(200);
    expect(xml.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(parseReturnXml(xml.body).OSSDeclaration.TotalVATAmountDue['#text']).toBe('24.00'); // refunded on 2026-10-02: a Q4 correction
    const csv = await call('GET', '/t/acme/api/v1/oss-reports/2026-Q3.csv', 'admin');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toContain('final,Q3.2026,BE0123456749,supply,AT,SERVICES,STANDARD,20.00,,120.00,24.00');
    expect((await call('GET', '/t/acme/api/v1/oss-reports/2026-Q3.csv', 'member')).statusCode).toBe(403);
    expect((await call('GET', '/t/acme/api/v1/oss-reports/2026-Q3.pdf', 'finance')).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/t/acme/api/v1/oss-reports/2026-Q3.xml' })).statusCode).toBe(401);
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/t/{slug}/v1/payments', '/t/{slug}/v1/payments/{id}/refunds', '/t/{slug}/api/v1/oss-reports/{file}']));
  });
});
