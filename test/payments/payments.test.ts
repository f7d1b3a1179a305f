import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportPayment, getPayment } from '../../src/payments/payments.ts';
import { refundPayment } from '../../src/payments/refunds.ts';
import { recheckUnverifiedVatIds } from '../../src/payments/vies-recheck.ts';
import {
  createPaymentProfile,
  defaultPaymentProfileId,
  defaultProfileOfActor,
  deletePaymentProfile,
  listPaymentProfiles,
  updatePaymentProfile,
} from '../../src/payments/profiles.ts';
import { createActiveUser } from '../support/members.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { paymentInput, paymentsFixture, type PaymentsFixture } from '../support/payments.ts';
import { startViesStandIn, type ViesStandIn } from '../support/vies-stand-in.ts';

describe('payments, refunds and VIES corrections', () => {
  let f: PaymentsFixture;
  let vies: ViesStandIn;
  const audit = (type: string) =>
    (f.deps.sqlite.prepare('SELECT target_id, payload FROM audit_entries WHERE event_type = ? ORDER BY id').all(type) as Array<{ target_id: string; payload: string }>).map(
      (r) => ({ target: r.target_id, ...JSON.parse(r.payload) }),
    );

  beforeAll(async () => {
    vies = await startViesStandIn();
    f = await paymentsFixture({ config: { viesUrl: vies.url, viesTimeoutMs: 300, viesAttempts: 2, viesRetryDelayMs: 0 } });
    f.clock.set('2026-09-01T12:00:00Z');
  });
  afterAll(async () => {
    f.close();
    await vies.close();
  });

  it('an EU consumer pays the rate of their member state on that day; the VAT is in minor units', async () => {
    const { payment, created } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { amount: 1999, buyer: { country: 'FI', kind: 'consumer' } }), TEST_ACTOR);
    expect(created).toBe(true);
    expect(payment).toMatchObject({ treatment: 'vat_applied', memberState: 'FI', rate: '25.50', vatAmount: 510, vies: 'not_checked', period: '2026-Q3' });
    expect(audit('payment.reported').at(-1)).toMatchObject({ target: payment.id, treatment: 'vat_applied', vatAmount: 510 });
  });

  it('the same provider charge id twice is one payment', async () => {
    const input = paymentInput(f.profile.id, { chargeId: 'ch_twice' });
    const first = await reportPayment(f.deps, 'acme', input, TEST_ACTOR);
    const second = await reportPayment(f.deps, 'acme', { ...input, amount: 1 }, TEST_ACTOR);
    expect(second.created).toBe(false);
    expect(second.payment).toEqual(first.payment);
    expect(f.deps.sqlite.prepare("SELECT count(*) AS n FROM payments WHERE charge_id = 'ch_twice'").get()).toEqual({ n: 1 });
  });

  it('a business buyer whose VAT ID VIES confirms: reverse charge, the consultation number stored', async () => {
    vies.script('129273398', 'valid');
    const { payment } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { buyer: { country: 'DE', kind: 'business', vatId: 'DE 129 273 398' } }), TEST_ACTOR);
    expect(payment).toMatchObject({ treatment: 'reverse_charge', rate: null, vatAmount: 0, vies: 'valid', buyer: { vatId: 'DE129273398' } });
    expect(payment.viesRequestId).toMatch(/^WAPI/);
  });

  it('a malformed buyer VAT ID is invalid without asking VIES: VAT applied', async () => {
    const before = vies.requests.length;
    const { payment } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { buyer: { country: 'DE', kind: 'business', vatId: 'DE123' } }), TEST_ACTOR);
    expect(payment).toMatchObject({ treatment: 'vat_applied', rate: '19.00', vatAmount: 1900, vies: 'invalid' });
    expect(vies.requests.length).toBe(before);
  });

  it('a buyer outside the EU: outside_eu, stated explicitly', async () => {
    const { payment } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { currency: 'USD', buyer: { country: 'US', kind: 'consumer' } }), TEST_ACTOR);
    expect(payment).toMatchObject({ treatment: 'outside_eu', memberState: null, rate: null, vatAmount: 0 });
  });

  it('refuses what is not a payment: floats, unknown currency, missing profile, no VAT settings', async () => {
    await expect(reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { amount: 10.5 }), TEST_ACTOR)).rejects.toThrow(/positive integer number of minor units/);
    await expect(reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { currency: 'eur' }), TEST_ACTOR)).rejects.toThrow(/ISO 4217/);
    await expect(reportPayment(f.deps, 'acme', paymentInput('nope'), TEST_ACTOR)).rejects.toThrow(/not a payment profile of this tenant/);
  });

  it('VIES unavailable: recorded as vat_applied with vies unavailable; a later valid answer is a correction, not a rewrite', async () => {
    vies.script('004495445B01', 'MS_UNAVAILABLE');
    const { payment } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { amount: 20_000, buyer: { country: 'NL', kind: 'business', vatId: 'NL004495445B01' } }), TEST_ACTOR);
    expect(payment).toMatchObject({ treatment: 'vat_applied', rate: '21.00', vatAmount: 4200, vies: 'unavailable', correction: null });
    refundPayment(f.deps, f.tenant.id, payment.id, { amount: 5_000 }, TEST_ACTOR);

    expect(await recheckUnverifiedVatIds(f.deps)).toEqual({ checked: 1, reverseCharged: 0, confirmedInvalid: 0, stillUnavailable: 1 });
    vies.script('004495445B01', 'valid');
    f.clock.advance(3_600_000);
    expect(await recheckUnverifiedVatIds(f.deps)).toEqual({ checked: 1, reverseCharged: 1, confirmedInvalid: 0, stillUnavailable: 0 });
    const after = getPayment(f.deps, f.tenant.id, payment.id);
    expect(after).toMatchObject({ treatment: 'vat_applied', vatAmount: 4200, vies: 'unavailable' });
    expect(after.correction).toMatchObject({ vies: 'valid', treatment: 'reverse_charge', vatDelta: -3150 });
    expect(await recheckUnverifiedVatIds(f.deps)).toMatchObject({ checked: 0 });
    // A refund after the correction inherits the corrected treatment: no VAT comes back.
    const { refund } = refundPayment(f.deps, f.tenant.id, payment.id, { amount: 15_000 }, TEST_ACTOR);
    expect(refund).toMatchObject({ treatment: 'reverse_charge', vatAmount: 0 });
  });

  it('refunds: partial, then the rest takes exactly the VAT left; never more than is left', async () => {
    const { payment } = await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { amount: 1001, buyer: { country: 'FR', kind: 'consumer' } }), TEST_ACTOR);
    expect(payment.vatAmount).toBe(200); // 200.2
    const a = refundPayment(f.deps, f.tenant.id, payment.id, { amount: 333, providerRefundId: 're_1' }, TEST_ACTOR);
    expect(a.refund.vatAmount).toBe(67); // 66.6
    expect(refundPayment(f.deps, f.tenant.id, payment.id, { amount: 333, providerRefundId: 're_1' }, TEST_ACTOR).created).toBe(false);
    expect(() => refundPayment(f.deps, f.tenant.id, payment.id, { amount: 669 }, TEST_ACTOR)).toThrow(/Only 668 minor units/);
    const b = refundPayment(f.deps, f.tenant.id, payment.id, { amount: 668 }, TEST_ACTOR);
    expect(b.refund.vatAmount).toBe(133);
    expect(b.payment.refunded).toEqual({ amount: 1001, vatAmount: 200, count: 2 });
    expect(() => refundPayment(f.deps, f.tenant.id, payment.id, { amount: 1 }, TEST_ACTOR)).toThrow(/Only 0 minor units/);
    expect(audit('payment.refunded').filter((e) => e.target === payment.id)).toHaveLength(2);
  });
});

describe('payment profiles', () => {
  let f: PaymentsFixture;
  beforeAll(async () => {
    f = await paymentsFixture();
  });
  afterAll(() => f.close());

  it("an actor's first profile is its default; a new default replaces it; defaultPaymentProfileId answers it", () => {
    const owner = { type: 'user' as const, id: f.seller.id };
    expect(defaultPaymentProfileId(f.deps, f.tenant.id, owner)).toBe(f.profile.id);
    const second = createPaymentProfile(f.deps, f.tenant.id, owner, { name: 'EU', country: 'DE', vatId: 'DE129273398', accounts: { mollie: 'org_1' }, isDefault: true }, TEST_ACTOR);
    expect(defaultPaymentProfileId(f.deps, f.tenant.id, owner)).toBe(second.id);
    expect(Object.fromEntries(listPaymentProfiles(f.deps, f.tenant.id, owner).map((p) => [p.id, p.isDefault]))).toEqual({ [f.profile.id]: false, [second.id]: true });
    const updated = updatePaymentProfile(f.deps, f.tenant.id, f.profile.id, { addAccounts: { paypal: 'MERCHANT1' }, isDefault: true }, TEST_ACTOR);
    expect(updated.accounts).toEqual({ stripe: 'acct_seller', paypal: 'MERCHANT1' });
    expect(defaultProfileOfActor(f.deps, f.tenant.id, owner).id).toBe(f.profile.id);
    deletePaymentProfile(f.deps, f.tenant.id, f.profile.id, TEST_ACTOR);
    expect(defaultPaymentProfileId(f.deps, f.tenant.id, owner)).toBe(second.id);
    const events = f.deps.sqlite.prepare("SELECT event_type FROM audit_entries WHERE event_type LIKE 'payment_profile.%' ORDER BY id").pluck().all();
    expect(events).toEqual(['payment_profile.created', 'payment_profile.created', 'payment_profile.updated', 'payment_profile.deleted']);
  });

  it('profiles belong to members, groups and agents of the tenant only', async () => {
    const outsider = await createActiveUser(f.deps, 'outsider@example.com');
    expect(() => createPaymentProfile(f.deps, f.tenant.id, { type: 'user', id: outsider.id }, { country: 'BE', accounts: { stripe: 'acct_x' } }, TEST_ACTOR)).toThrow(/not an active member/);
    expect(() => createPaymentProfile(f.deps, f.tenant.id, { type: 'group', id: 'g1' }, { country: 'BE', accounts: { stripe: 'acct_x' } }, TEST_ACTOR)).toThrow(/Group g1 does not exist in this tenant/);
    expect(() => createPaymentProfile(f.deps, f.tenant.id, { type: 'agent', id: 'agt_x' }, { country: 'BE', accounts: { stripe: 'acct_x' } }, TEST_ACTOR)).toThrow(/not an active agent/);
    expect(() => defaultProfileOfActor(f.deps, f.tenant.id, { type: 'user', id: outsider.id })).toThrow(/not found/);
  });

  it('checks provider accounts, country and VAT ID', () => {
    const owner = { type: 'user' as const, id: f.seller.id };
    expect(() => createPaymentProfile(f.deps, f.tenant.id, owner, { country: 'BE', accounts: {} }, TEST_ACTOR)).toThrow(/at least one provider account/);
    expect(() => createPaymentProfile(f.deps, f.tenant.id, owner, { country: 'BE', accounts: { venmo: 'x' } as never }, TEST_ACTOR)).toThrow(/Unknown provider "venmo"/);
    expect(() => createPaymentProfile(f.deps, f.tenant.id, owner, { country: 'Belgium', accounts: { stripe: 'a' } }, TEST_ACTOR)).toThrow(/two-letter/);
    expect(() => createPaymentProfile(f.deps, f.tenant.id, owner, { country: 'BE', vatId: 'BE0123456748', accounts: { stripe: 'a' } }, TEST_ACTOR)).toThrow(/not a well-formed EU VAT number/);
  });
});
