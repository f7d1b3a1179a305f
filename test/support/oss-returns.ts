import { XMLParser } from 'fast-xml-parser';
import { expect } from 'vitest';

/** Reading OSS returns back the way a person or the tax office would: parse, re-add every figure, check totals. */
const cents = (text: string) => {
  const m = /^(-?)(\d+)\.(\d{2})$/.exec(text);
  if (!m) throw new Error(`not an amount: ${text}`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 100 + Number(m[3]));
};
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function parseReturnXml(xml: string) {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, textNodeName: '#text' });
  return parser.parse(xml).OSSConsignment;
}

/** Re-adds every figure of the parsed XML and checks each total; returns the total due. */
export function readdXml(xml: string): { totalDue: number; supplies: number; corrections: number; taxable: number } {
  const declaration = parseReturnXml(xml).OSSDeclaration;
  let supplies = 0;
  let taxable = 0;
  for (const ms of list<any>(declaration.MemberStateOfConsumption)) {
    const lineVat = list<any>(ms.Supply).map((s) => cents(s.VatAmount['#text']));
    taxable += list<any>(ms.Supply).reduce((sum, s) => sum + cents(s.TaxableAmount['#text']), 0);
    expect(cents(ms.TotalVatAmount['#text'])).toBe(lineVat.reduce((a, b) => a + b, 0));
    supplies += cents(ms.TotalVatAmount['#text']);
  }
  const corrections = list<any>(declaration.CorrectionsInfo).reduce((sum, c) => sum + cents(c.TotalVATAmountCorrection['#text']), 0);
  const totalDue = cents(declaration.TotalVATAmountDue['#text']);
  expect(totalDue).toBe(supplies + corrections);
  return { totalDue, supplies, corrections, taxable };
}

export function readdCsv(csv: string): { totalDue: number; taxable: number } {
  const [header, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
  const col = (name: string) => header.indexOf(name);
  const section = (name: string) => rows.filter((r) => r[col('section')] === name);
  const vat = (r: string[]) => cents(r[col('vat_amount_eur')]);
  const supplyVat = section('supply').reduce((s, r) => s + vat(r), 0);
  const correctionVat = section('correction').reduce((s, r) => s + vat(r), 0);
  const byState = section('member_state_total').reduce((s, r) => s + vat(r), 0);
  const total = [...section('total'), ...section('nil_return')];
  expect(total).toHaveLength(1);
  expect(vat(total[0])).toBe(supplyVat + correctionVat);
  expect(byState).toBe(supplyVat + correctionVat);
  return { totalDue: vat(total[0]), taxable: cents(total[0][col('taxable_amount_eur')]) };
}

