import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toEuroCents } from '../../src/fx/reference-rates.ts';
import { vatOnAmount } from '../../src/money/minor-units.ts';
import { renderBelgianXml } from '../../src/oss/be-xml.ts';
import { renderCsv } from '../../src/oss/csv.ts';
import { buildOssReturn } from '../../src/oss/oss-return.ts';
import { createPaymentProfile } from '../../src/payments/profiles.ts';
import { insertPayment, insertRefund } from '../../src/payments/store.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { EU_MEMBER_STATES, rateOn } from '../../src/vat/rates.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { setVatSettings } from '../../src/vat/settings.ts';
import { addMember } from '../support/members.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { paymentsFixture, type PaymentsFixture } from '../support/payments.ts';
import { readdCsv, readdXml } from '../support/oss-returns.ts';

const Q3_START = Date.UTC(2026, 6, 1);
const Q3_MS = Date.UTC(2026, 9, 1) - Q3_START;
const STATES = EU_MEMBER_STATES.filter((s) => s !== 'BE');
/** Currencies of the ECB sample and their rate on 2026-09-30. */
const RATES: Record<string, string> = { EUR: '1', USD: '1.1689', JPY: '172.40', GBP: '0.8702', SEK: '10.9960', HUF: '391.55' };

const payment = fc.record({
  state: fc.constantFrom(...STATES),
  goods: fc.boolean(),
  amount: fc.integer({ min: 1, max: 1_000_000_000 }),
  at: fc.integer({ min: 0, max: Q3_MS - 1 }),
});

describe('OSS money: sums equal to the cent (fast-check)', () => {
  let f: PaymentsFixture;
  let seller: TenantRow;
  let profileId: string;
  beforeAll(async () => {
    f = await paymentsFixture();
    f.clock.set('2026-10-05T00:00:00Z');
    seller = await createTenant(f.deps, { slug: 'prop', name: 'Prop' }, TEST_ACTOR);
    setVatSettings(f.deps, seller.id, { vatId: 'BE0123456749', memberState: 'BE' }, TEST_ACTOR);
    addMember(f.deps, seller.id, f.seller.id, 'SUBMITTER');
    profileId = createPaymentProfile(f.deps, seller.id, { type: 'user', id: f.seller.id }, { country: 'BE', accounts: { stripe: 'acct' } }, TEST_ACTOR).id;
  });
  afterAll(() => f.close());

  /** The seller's ledger holding exactly `rows` (the previous run's removed), written through the payments store. */
  function sellerWith(rows: Array<{ state: string; goods: boolean; amount: number; at: number; currency?: string; refund?: number }>) {
    const tenant = seller;
    const profile = { id: profileId };
    f.deps.sqlite.transaction(() => {
      f.deps.sqlite.prepare('DELETE FROM payment_refunds WHERE tenant_id = ?').run(tenant.id);
      f.deps.sqlite.prepare('DELETE FROM payments WHERE tenant_id = ?').run(tenant.id);
      rows.forEach((r, i) => {
        const bp = rateOn(r.state, '2026-08-01').rateBasisPoints;
        const id = randomUUID();
        const vat = vatOnAmount(r.amount, bp);
        insertPayment(f.deps, {
          id, tenant_id: tenant.id, profile_id: profile.id, resource_app: 'a', resource_type: 't', resource_id: String(i),
          amount_minor: r.amount, currency: r.currency ?? 'EUR', buyer_country: r.state, buyer_kind: 'consumer', buyer_vat_id: null,
          supply_type: r.goods ? 'goods' : 'services', provider: 'stripe', charge_id: `ch_${i}`, occurred_at: Q3_START + r.at,
          period: '2026-Q3', treatment: 'vat_applied', member_state: r.state, rate_type: 'STANDARD', rate_bp: bp, vat_minor: vat,
          vies: 'not_checked', vies_request_id: null, created_at: Q3_START + r.at,
        });
        if (r.refund) {
          const refundVat = r.refund === r.amount ? vat : Math.min(vat, vatOnAmount(r.refund, bp));
          insertRefund(f.deps, {
            id: randomUUID(), tenant_id: tenant.id, payment_id: id, amount_minor: r.refund, vat_minor: refundVat, treatment: 'vat_applied',
            provider_refund_id: null, refunded_at: Q3_START + r.at, created_at: Q3_START + r.at,
          });
        }
      });
    })();
    return tenant;
  }

  it('100,000 euro payments: the taxable and VAT totals of the XML and the CSV are the plain integer sums', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payment, { minLength: 100_000, maxLength: 100_000 }), async (rows) => {
        const tenant = sellerWith(rows);
        const ret = buildOssReturn(f.deps, tenant, '2026-Q3');
        let taxable = 0;
        let vat = 0;
        const perState = new Map<string, number>();
        for (const r of rows) {
          const v = vatOnAmount(r.amount, rateOn(r.state, '2026-08-01').rateBasisPoints);
          taxable += r.amount;
          vat += v;
          perState.set(r.state, (perState.get(r.state) ?? 0) + v);
        }
        const xml = readdXml(renderBelgianXml(ret));
        const csv = readdCsv(renderCsv(ret));
        expect(xml).toMatchObject({ totalDue: vat, supplies: vat, corrections: 0, taxable });
        expect(csv).toEqual({ totalDue: vat, taxable });
        expect(Object.fromEntries(ret.memberStates.map((m) => [m.memberState, m.vatCents]))).toEqual(Object.fromEntries(perState));
      }),
      { numRuns: 1 },
    );
  });

  it('mixed currencies and refunds: each format re-adds to the sum of per-line, per-currency conversions', async () => {
    const row = fc
      .record({ state: fc.constantFrom(...STATES), goods: fc.boolean(), amount: fc.integer({ min: 1, max: 100_000_000 }), at: fc.integer({ min: 0, max: Q3_MS - 1 }), currency: fc.constantFrom(...Object.keys(RATES)), refundShare: fc.integer({ min: 0, max: 4 }) })
      .map((r) => ({ ...r, refund: r.refundShare === 0 ? undefined : r.refundShare === 4 ? r.amount : Math.max(1, Math.floor((r.amount * r.refundShare) / 4)) }));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 300 }), async (rows) => {
        const tenant = sellerWith(rows);
        const ret = buildOssReturn(f.deps, tenant, '2026-Q3');
        const sums = new Map<string, { taxable: bigint; vat: bigint; currency: string }>();
        for (const r of rows) {
          const bp = rateOn(r.state, '2026-08-01').rateBasisPoints;
          const vat = vatOnAmount(r.amount, bp);
          const refundVat = r.refund ? (r.refund === r.amount ? vat : Math.min(vat, vatOnAmount(r.refund, bp))) : 0;
          const key = `${r.state}|${r.goods}|${r.currency}`;
          const s = sums.get(key) ?? { taxable: 0n, vat: 0n, currency: r.currency };
          s.taxable += BigInt(r.amount - (r.refund ?? 0));
          s.vat += BigInt(vat - refundVat);
          sums.set(key, s);
        }
        let expectedVat = 0n;
        let expectedTaxable = 0n;
        for (const s of sums.values()) {
          expectedVat += toEuroCents(s.vat, s.currency, RATES[s.currency]);
          expectedTaxable += toEuroCents(s.taxable, s.currency, RATES[s.currency]);
        }
        expect(readdXml(renderBelgianXml(ret))).toMatchObject({ totalDue: Number(expectedVat), taxable: Number(expectedTaxable) });
        expect(readdCsv(renderCsv(ret))).toEqual({ totalDue: Number(expectedVat), taxable: Number(expectedTaxable) });
      }),
      { numRuns: 40 },
    );
  });
});
