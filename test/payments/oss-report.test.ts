import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportPayment } from '../../src/payments/payments.ts';
import { refundPayment } from '../../src/payments/refunds.ts';
import { buildOssReturn } from '../../src/oss/oss-return.ts';
import { renderBelgianXml } from '../../src/oss/be-xml.ts';
import { renderCsv } from '../../src/oss/csv.ts';
import { writeOssReport } from '../../src/oss/report-files.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { setVatSettings } from '../../src/vat/settings.ts';
import { TEST_ACTOR, tempDir } from '../support/deps.ts';
import { paymentInput, paymentsFixture, type PaymentsFixture } from '../support/payments.ts';
import { parseReturnXml, readdCsv, readdXml } from '../support/oss-returns.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/oss');

/** Compares with the committed fixture; UPDATE_FIXTURES=1 rewrites it (then read the diff before committing). */
function expectFixture(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env.UPDATE_FIXTURES === '1' || !existsSync(file)) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('OSS return: a golden quarter', () => {
  let f: PaymentsFixture;

  beforeAll(async () => {
    f = await paymentsFixture();
    const report = async (occurredAt: string, overrides: Parameters<typeof paymentInput>[1]) =>
      (await reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { occurredAt, ...overrides }), TEST_ACTOR)).payment;
    f.clock.set('2026-06-30T20:00:00Z');
    const q2France = await report('2026-05-10T09:00:00Z', { amount: 5_000, buyer: { country: 'FR', kind: 'consumer' } });
    const q2GermanyUsd = await report('2026-06-30T18:00:00Z', { amount: 10_000, currency: 'USD' });

    f.clock.set('2026-09-30T20:00:00Z');
    const de = await report('2026-07-01T00:00:00Z', { amount: 10_000 });
    await report('2026-07-15T12:00:00Z', { amount: 3_333 });
    await report('2026-08-01T12:00:00Z', { amount: 25_000, currency: 'USD' });
    await report('2026-08-02T12:00:00Z', { amount: 8_000, currency: 'GBP', supplyType: 'goods', rateType: 'REDUCED', reducedRate: '5.5', buyer: { country: 'FR', kind: 'consumer' } });
    await report('2026-08-03T12:00:00Z', { amount: 1_299, buyer: { country: 'GR', kind: 'consumer' } });
    await report('2026-08-04T12:00:00Z', { amount: 100_000, currency: 'SEK', buyer: { country: 'SE', kind: 'consumer' } });
    await report('2026-08-05T12:00:00Z', { amount: 1_000_000, currency: 'HUF', buyer: { country: 'HU', kind: 'consumer' } });
    await report('2026-08-06T12:00:00Z', { amount: 5_000, currency: 'JPY', buyer: { country: 'IT', kind: 'consumer' } });
    await report('2026-08-07T12:00:00Z', { amount: 4_000, buyer: { country: 'FI', kind: 'consumer' } });
    await report('2026-08-08T12:00:00Z', { amount: 10_000, buyer: { country: 'BE', kind: 'consumer' } }); // domestic: not OSS
    await report('2026-08-09T12:00:00Z', { amount: 10_000, currency: 'USD', buyer: { country: 'US', kind: 'consumer' } }); // outside the EU
    const late = await report('2026-09-30T23:59:59Z', { amount: 2_000, buyer: { country: 'AT', kind: 'consumer' } });
    refundPayment(f.deps, f.tenant.id, de.id, { amount: 2_000, refundedAt: '2026-09-01T00:00:00Z' }, TEST_ACTOR);
    refundPayment(f.deps, f.tenant.id, q2France.id, { amount: 5_000, refundedAt: '2026-07-20T00:00:00Z' }, TEST_ACTOR);
    refundPayment(f.deps, f.tenant.id, q2GermanyUsd.id, { amount: 4_000, refundedAt: '2026-08-20T00:00:00Z' }, TEST_ACTOR);
    f.clock.set('2026-10-02T08:00:00Z');
    refundPayment(f.deps, f.tenant.id, late.id, { amount: 2_000 }, TEST_ACTOR); // a Q4 correction, not in Q3
  });
  afterAll(() => f.close());

  it('has the figures worked out by hand', () => {
    const ret = buildOssReturn(f.deps, f.tenant, '2026-Q3');
    expect(ret.provisional).toBe(false);
    const de = ret.memberStates.find((m) => m.memberState === 'DE')!;
    // EUR 100.00 + 33.33 − 20.00 = 113.33 (VAT 19.00 + 6.33 − 3.80 = 21.53); USD 250.00 / 1.1689 = 213.88 (VAT 47.50 / 1.1689 = 40.64)
    expect(de.lines).toEqual([{ memberState: 'DE', supplyType: 'SERVICES', rateType: 'STANDARD', rateBasisPoints: 1900, taxableCents: 32_721, vatCents: 6_217 }]);
    // JPY has no minor unit: 5000 / 172.40 = 29.00; VAT 1100 / 172.40 = 6.38
    expect(ret.memberStates.find((m) => m.memberState === 'IT')!.lines[0]).toMatchObject({ taxableCents: 2_900, vatCents: 638 });
    // HUF has two minor digits (ISO 4217): 10 000.00 / 391.55 = 25.54; VAT 2 700.00 / 391.55 = 6.90
    expect(ret.memberStates.find((m) => m.memberState === 'HU')!.lines[0]).toMatchObject({ taxableCents: 2_554, vatCents: 690 });
    expect(ret.memberStates.map((m) => m.memberState)).toEqual(['AT', 'DE', 'EL', 'FI', 'FR', 'HU', 'IT', 'SE']);
    // Q2 refunds made in Q3: FR −10.00; DE −7.60 USD at the Q2 rate 1.1498 = −6.61
    expect(ret.corrections.map((c) => [c.memberState, c.period.label, c.vatCents])).toEqual([
      ['DE', 'Q2.2026', -661],
      ['FR', 'Q2.2026', -1_000],
    ]);
    expect(ret.totalSupplyVatCents).toBe(400 + 6_217 + 312 + 1_020 + 506 + 690 + 638 + 2_274);
    expect(ret.totalVatDueCents).toBe(ret.totalSupplyVatCents - 1_661);
  });

  it('renders the committed XML and CSV, and every total re-adds', () => {
    const ret = buildOssReturn(f.deps, f.tenant, '2026-Q3');
    const xml = renderBelgianXml(ret);
    const csv = renderCsv(ret);
    expectFixture('acme-2026-Q3.xml', xml);
    expectFixture('acme-2026-Q3.csv', csv);
    const fromXml = readdXml(xml);
    const fromCsv = readdCsv(csv);
    expect(fromXml.totalDue).toBe(ret.totalVatDueCents);
    expect(fromCsv.totalDue).toBe(ret.totalVatDueCents);
    expect(fromXml.taxable).toBe(fromCsv.taxable);
    const doc = parseReturnXml(xml);
    expect(doc['@_xmlns']).toBe('http://www.minfin.fgov.be/OSSDeclaration');
    expect(doc.OSSDeclaration.Trader_ID['common:VATNumber']).toEqual({ '@_issuedBy': 'BE', '#text': '0123456749' });
    expect(doc.OSSDeclaration.Period).toEqual({ 'common:Year': '2026', 'common:Quarter': '3' });
  });

  it('the current quarter is provisional; a missing ECB rate is refused naming currency and day', () => {
    const q4 = buildOssReturn(f.deps, f.tenant, '2026-Q4');
    expect(q4.provisional).toBe(true);
    expect(renderBelgianXml(q4)).toContain('PROVISIONAL: Q4.2026 has not ended');
    expect(renderCsv(q4).split('\n')[1]).toMatch(/^provisional,Q4\.2026,BE0123456749,correction,AT,,,,Q3\.2026,,-4\.00$/);
    f.clock.set('2026-10-03T08:00:00Z');
    return reportPayment(f.deps, 'acme', paymentInput(f.profile.id, { occurredAt: '2026-10-03T07:00:00Z', currency: 'CHF' }), TEST_ACTOR).then(() => {
      expect(() => buildOssReturn(f.deps, f.tenant, '2026-Q4')).toThrow(/No ECB reference rate for CHF on 2026-12-31/);
    });
  });

  it('a quarter without supplies is a nil return', async () => {
    const other = await createTenant(f.deps, { slug: 'nilco', name: 'Nil Co' }, TEST_ACTOR);
    setVatSettings(f.deps, other.id, { vatId: 'DE129273398', memberState: 'DE' }, TEST_ACTOR);
    const ret = buildOssReturn(f.deps, other, '2026-Q3');
    expect(ret).toMatchObject({ nil: true, memberStates: [], corrections: [], totalVatDueCents: 0 });
    const xml = renderBelgianXml(ret);
    expectFixture('nil-2026-Q3.xml', xml);
    expect(readdXml(xml).totalDue).toBe(0);
    expect(renderCsv(ret)).toBe(
      'status,period,seller_vat_id,section,member_state,supply_type,rate_type,vat_rate,corrected_period,taxable_amount_eur,vat_amount_eur\n' +
        'final,Q3.2026,DE129273398,nil_return,,,,,,0.00,0.00\n',
    );
  });

  it('writes the files atomically into the reports dir', () => {
    const dir = tempDir();
    try {
      const written = writeOssReport(f.deps, 'acme', '2026-Q3', { outDir: dir.path });
      expect(written.files.map((p) => path.basename(p))).toEqual(['2026-Q3.xml', '2026-Q3.csv']);
      expect(readFileSync(written.files[1], 'utf8')).toBe(readFileSync(path.join(FIXTURES, 'acme-2026-Q3.csv'), 'utf8'));
    } finally {
      dir.remove();
    }
  });
});
