import { formatMinor } from '../money/minor-units.ts';
import { formatRate } from '../vat/rates.ts';
import type { OssReturn } from './oss-return.ts';

/**
 * The return for people: one header row, then one row per line of the return with the same figures as the
 * XML — supplies, each member state's total due, corrections of earlier periods, and the overall total.
 */
export const CSV_HEADER = ['status', 'period', 'seller_vat_id', 'section', 'member_state', 'supply_type', 'rate_type', 'vat_rate', 'corrected_period', 'taxable_amount_eur', 'vat_amount_eur'];

const cell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export function renderCsv(ret: OssReturn): string {
  const status = ret.provisional ? 'provisional' : 'final';
  const lead = [status, ret.quarter.label, ret.seller.vatId.value];
  const rows: string[][] = [CSV_HEADER];
  for (const block of ret.memberStates) {
    for (const line of block.lines) {
      rows.push([...lead, 'supply', line.memberState, line.supplyType, line.rateType, formatRate(line.rateBasisPoints), '', formatMinor(line.taxableCents), formatMinor(line.vatCents)]);
    }
  }
  for (const c of ret.corrections) {
    rows.push([...lead, 'correction', c.memberState, '', '', '', c.period.label, '', formatMinor(c.vatCents)]);
  }
  const taxableByState = new Map(ret.memberStates.map((b) => [b.memberState, b.taxableCents]));
  for (const due of ret.dueByMemberState) {
    rows.push([...lead, 'member_state_total', due.memberState, '', '', '', '', formatMinor(taxableByState.get(due.memberState) ?? 0), formatMinor(due.vatCents)]);
  }
  rows.push([...lead, ret.nil ? 'nil_return' : 'total', '', '', '', '', '', formatMinor(ret.totalTaxableCents), formatMinor(ret.totalVatDueCents)]);
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
