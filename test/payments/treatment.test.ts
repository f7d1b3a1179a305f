import { describe, expect, it } from 'vitest';
import { decideTreatment, type TreatmentInput } from '../../src/vat/treatment.ts';
import { EU_MEMBER_STATES, formatRate, memberStateOf, rateOn } from '../../src/vat/rates.ts';
import { parseVatId } from '../../src/vat/vat-ids.ts';
import { formatMinor, vatOnAmount } from '../../src/money/minor-units.ts';
import { toEuroCents } from '../../src/fx/reference-rates.ts';

const SELLER = 'BE';

type Case = [label: string, input: Omit<TreatmentInput, 'sellerMemberState'>, treatment: string, memberState: string | null, rate: string | null];

// consumer/business × VIES valid/invalid/unavailable/none × EU/non-EU × dated rate changes (EE, FI, RO, SK).
const CASES: Case[] = [
  ['EU consumer', { buyerMemberState: 'DE', buyerKind: 'consumer', vies: 'not_checked', day: '2026-08-01' }, 'vat_applied', 'DE', '19.00'],
  ['EU consumer, VAT ID given anyway', { buyerMemberState: 'FR', buyerKind: 'consumer', vies: 'valid', day: '2026-08-01' }, 'vat_applied', 'FR', '20.00'],
  ['EU business, VIES valid', { buyerMemberState: 'DE', buyerKind: 'business', vies: 'valid', day: '2026-08-01' }, 'reverse_charge', 'DE', null],
  ['EU business, VIES invalid', { buyerMemberState: 'DE', buyerKind: 'business', vies: 'invalid', day: '2026-08-01' }, 'vat_applied', 'DE', '19.00'],
  ['EU business, VIES unavailable', { buyerMemberState: 'NL', buyerKind: 'business', vies: 'unavailable', day: '2026-08-01' }, 'vat_applied', 'NL', '21.00'],
  ['EU business without VAT ID', { buyerMemberState: 'IT', buyerKind: 'business', vies: 'not_checked', day: '2026-08-01' }, 'vat_applied', 'IT', '22.00'],
  ['domestic business, VIES valid', { buyerMemberState: 'BE', buyerKind: 'business', vies: 'valid', day: '2026-08-01' }, 'vat_applied', 'BE', '21.00'],
  ['non-EU consumer', { buyerMemberState: null, buyerKind: 'consumer', vies: 'not_checked', day: '2026-08-01' }, 'outside_eu', null, null],
  ['non-EU business', { buyerMemberState: null, buyerKind: 'business', vies: 'not_checked', day: '2026-08-01' }, 'outside_eu', null, null],
  ['Greece is EL', { buyerMemberState: 'EL', buyerKind: 'consumer', vies: 'not_checked', day: '2026-08-01' }, 'vat_applied', 'EL', '24.00'],
  ['EE before 2024', { buyerMemberState: 'EE', buyerKind: 'consumer', vies: 'not_checked', day: '2023-12-31' }, 'vat_applied', 'EE', '20.00'],
  ['EE 2024 – June 2025', { buyerMemberState: 'EE', buyerKind: 'consumer', vies: 'not_checked', day: '2025-06-30' }, 'vat_applied', 'EE', '22.00'],
  ['EE from 2025-07-01', { buyerMemberState: 'EE', buyerKind: 'consumer', vies: 'not_checked', day: '2025-07-01' }, 'vat_applied', 'EE', '24.00'],
  ['FI before 2024-09-01', { buyerMemberState: 'FI', buyerKind: 'consumer', vies: 'not_checked', day: '2024-08-31' }, 'vat_applied', 'FI', '24.00'],
  ['FI from 2024-09-01', { buyerMemberState: 'FI', buyerKind: 'business', vies: 'unavailable', day: '2024-09-01' }, 'vat_applied', 'FI', '25.50'],
  ['RO before 2025-08-01', { buyerMemberState: 'RO', buyerKind: 'consumer', vies: 'not_checked', day: '2025-07-31' }, 'vat_applied', 'RO', '19.00'],
  ['RO from 2025-08-01', { buyerMemberState: 'RO', buyerKind: 'business', vies: 'invalid', day: '2025-08-01' }, 'vat_applied', 'RO', '21.00'],
  ['SK in 2024', { buyerMemberState: 'SK', buyerKind: 'consumer', vies: 'not_checked', day: '2024-12-31' }, 'vat_applied', 'SK', '20.00'],
  ['SK from 2025-01-01', { buyerMemberState: 'SK', buyerKind: 'consumer', vies: 'not_checked', day: '2025-01-01' }, 'vat_applied', 'SK', '23.00'],
  ['SK business valid, any date', { buyerMemberState: 'SK', buyerKind: 'business', vies: 'valid', day: '2024-12-31' }, 'reverse_charge', 'SK', null],
  ['reduced rate FR 5.5', { buyerMemberState: 'FR', buyerKind: 'consumer', vies: 'not_checked', day: '2026-08-01', rateType: 'REDUCED', reducedRate: '5.5' }, 'vat_applied', 'FR', '5.50'],
];

describe('VAT treatment of a reported payment', () => {
  it.each(CASES)('%s', (_label, input, treatment, memberState, rate) => {
    const decision = decideTreatment({ ...input, sellerMemberState: SELLER });
    expect(decision.treatment).toBe(treatment);
    expect(decision.memberState).toBe(memberState);
    expect(decision.rateType === null ? null : formatRate(decision.rateBasisPoints)).toBe(rate);
  });

  it('refuses a reduced rate the member state did not have that day', () => {
    expect(() => rateOn('RO', '2026-01-10', 'REDUCED', '9')).toThrow(/not a reduced rate of RO on 2026-01-10.*11/);
    expect(rateOn('RO', '2025-07-31', 'REDUCED', '9').rateBasisPoints).toBe(900);
  });
});

describe('rates data', () => {
  it('holds the 27 member states with a standard rate in force today', () => {
    expect(EU_MEMBER_STATES).toHaveLength(27);
    expect(EU_MEMBER_STATES).toContain('EL');
    expect(EU_MEMBER_STATES).not.toContain('GR');
    const standard2026 = Object.fromEntries(EU_MEMBER_STATES.map((ms) => [ms, formatRate(rateOn(ms, '2026-07-01').rateBasisPoints)]));
    expect(standard2026).toMatchObject({ AT: '20.00', DE: '19.00', DK: '25.00', EE: '24.00', FI: '25.50', HU: '27.00', LU: '17.00', MT: '18.00', RO: '21.00', SK: '23.00' });
  });

  it('maps ISO country codes to VAT codes and leaves non-EU countries out', () => {
    expect(memberStateOf('GR')).toBe('EL');
    expect(memberStateOf('de')).toBe('DE');
    expect(memberStateOf('CH')).toBeNull();
    expect(memberStateOf('GB')).toBeNull();
  });
});

describe('VAT ID format (jsvat-next)', () => {
  it.each([
    ['BE0123456749', 'BE0123456749'],
    ['be 0123.456.749', 'BE0123456749'],
    ['DE129273398', 'DE129273398'],
    ['EL094259216', 'EL094259216'],
  ])('accepts %s', (raw, value) => expect(parseVatId(raw)?.value).toBe(value));

  it.each(['BE0123456748', 'DE12927339', 'GR094259216', 'CHE123456789', 'hello'])('refuses %s', (raw) => expect(parseVatId(raw)).toBeNull());
});

describe('money in integers', () => {
  it.each([
    [10000, 2100, 2100],
    [1, 2100, 0],
    [3, 2100, 1], // 0.63 → 1
    [2, 2500, 1], // 0.5 → 1 (half up)
    [999, 2550, 255], // 254.745 → 255
    [123457, 550, 6790], // 6790.135 → 6790
  ])('VAT on %i at %i bp is %i', (amount, bp, vat) => expect(vatOnAmount(amount, bp)).toBe(vat));

  it('formats minor units without floats', () => {
    expect(formatMinor(0)).toBe('0.00');
    expect(formatMinor(5)).toBe('0.05');
    expect(formatMinor(-123456)).toBe('-1234.56');
    expect(formatMinor(900719925474099312n)).toBe('9007199254740993.12');
    expect(formatMinor(42, 0)).toBe('42');
  });

  it('converts to euro cents at an ECB rate, rounding once, half up', () => {
    expect(toEuroCents(10000n, 'USD', '1.1689')).toBe(8555n); // 85.5505… → 85.55
    expect(toEuroCents(100000n, 'JPY', '172.40')).toBe(58005n); // JPY has no minor unit: 100000 / 172.40 = 580.046…
    expect(toEuroCents(-10000n, 'USD', '1.1689')).toBe(-8555n);
    expect(toEuroCents(1234n, 'EUR', '1')).toBe(1234n);
    expect(toEuroCents(2n, 'GBP', '4')).toBe(1n); // 0.5 cent → 1
  });
});
