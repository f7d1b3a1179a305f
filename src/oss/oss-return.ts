import type { Deps } from '../app/deps.ts';
import { euroRateOn, toEuroCents, type EuroRate } from '../fx/reference-rates.ts';
import { paymentsBetween, vatLedger } from '../payments/vat-ledger.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { parseQuarter, type Quarter } from '../vat/quarters.ts';
import { requireVatSettings, type TenantVatSettings } from '../vat/settings.ts';

/**
 * The Annex III content of one quarter's OSS return (Union scheme), built once and rendered by a format module
 * (be-xml.ts, csv.ts). Amounts are euro cents as integers; the per-currency sums are converted once each at the
 * ECB rate of the period's last day (or the next publication), so no rounding accumulates per payment.
 */
export interface OssSupplyLine {
  memberState: string;
  supplyType: 'SERVICES' | 'GOODS';
  rateType: 'STANDARD' | 'REDUCED';
  rateBasisPoints: number;
  taxableCents: number;
  vatCents: number;
}

export interface OssMemberState {
  memberState: string;
  lines: OssSupplyLine[];
  taxableCents: number;
  vatCents: number;
}

export interface OssCorrection {
  memberState: string;
  /** The period corrected. */
  period: Quarter;
  vatCents: number;
}

export interface OssReturn {
  tenant: { id: string; slug: string };
  seller: TenantVatSettings;
  quarter: Quarter;
  /** The quarter has not ended yet: figures may still change. */
  provisional: boolean;
  generatedAt: string;
  memberStates: OssMemberState[];
  corrections: OssCorrection[];
  /** Per member state of consumption: its supplies' VAT plus its corrections (what is due to it). */
  dueByMemberState: Array<{ memberState: string; vatCents: number }>;
  totalTaxableCents: number;
  totalSupplyVatCents: number;
  totalCorrectionVatCents: number;
  totalVatDueCents: number;
  nil: boolean;
  /** Ledger rows read (payments, refunds, corrections), and ECB rates used. */
  rowsRead: number;
  fxRates: EuroRate[];
}

export interface BuildOptions {
  onProgress?: (rowsRead: number, paymentsInQuarter: number) => void;
}

function addSafe(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new RangeError('OSS sums exceed the safe integer range');
  return sum;
}

const SUPPLY_TYPE: Record<string, OssSupplyLine['supplyType']> = { services: 'SERVICES', goods: 'GOODS' };
const PROGRESS_EVERY = 100_000;

export function buildOssReturn(deps: Deps, tenant: TenantRow, quarterText: string, options: BuildOptions = {}): OssReturn {
  const quarter = parseQuarter(quarterText);
  const seller = requireVatSettings(deps, tenant);
  const paymentsInQuarter = options.onProgress ? paymentsBetween(deps, tenant.id, quarter.startMs, quarter.endMs) : 0;

  // Integer sums in the original currency's minor units, keyed by line (and origin period for corrections).
  const supplySums = new Map<string, { taxable: number; vat: number }>();
  const correctionSums = new Map<string, { taxable: number; vat: number }>();
  let rowsRead = 0;
  for (const [, memberState, supplyType, rateType, rateBp, currency, originPeriod, taxable, vat] of vatLedger(deps, tenant.id, quarter.startMs, quarter.endMs)) {
    rowsRead++;
    if (options.onProgress && rowsRead % PROGRESS_EVERY === 0) options.onProgress(rowsRead, paymentsInQuarter);
    // Domestic supplies go into the national return, not the OSS one.
    if (memberState === seller.memberState) continue;
    const sameQuarter = originPeriod === quarter.key;
    const key = sameQuarter
      ? `${memberState}|${supplyType}|${rateType}|${rateBp}|${currency}`
      : `${memberState}|${originPeriod}|${currency}`;
    const sums = sameQuarter ? supplySums : correctionSums;
    const entry = sums.get(key);
    if (entry) {
      entry.taxable = addSafe(entry.taxable, taxable);
      entry.vat = addSafe(entry.vat, vat);
    } else {
      sums.set(key, { taxable, vat });
    }
  }
  options.onProgress?.(rowsRead, paymentsInQuarter);

  const rates = new Map<string, EuroRate>();
  const rateFor = (currency: string, day: string) => {
    const key = `${currency}|${day}`;
    let rate = rates.get(key);
    if (!rate) {
      rate = euroRateOn(deps, currency, day);
      rates.set(key, rate);
    }
    return rate;
  };
  const cents = (minor: number, currency: string, day: string) =>
    minor === 0 ? 0 : Number(toEuroCents(BigInt(minor), currency, rateFor(currency, day).rate));

  const lines = new Map<string, OssSupplyLine>();
  for (const [key, sums] of supplySums) {
    const [memberState, supplyType, rateType, rateBp, currency] = key.split('|');
    if (sums.taxable < 0 || sums.vat < 0) throw new RangeError(`Negative supplies for ${key}: refunds exceed payments`);
    const lineKey = `${memberState}|${supplyType}|${rateType}|${rateBp}`;
    const line = lines.get(lineKey) ?? {
      memberState,
      supplyType: SUPPLY_TYPE[supplyType],
      rateType: rateType as OssSupplyLine['rateType'],
      rateBasisPoints: Number(rateBp),
      taxableCents: 0,
      vatCents: 0,
    };
    line.taxableCents = addSafe(line.taxableCents, cents(sums.taxable, currency, quarter.lastDay));
    line.vatCents = addSafe(line.vatCents, cents(sums.vat, currency, quarter.lastDay));
    lines.set(lineKey, line);
  }

  const corrections = new Map<string, OssCorrection>();
  for (const [key, sums] of correctionSums) {
    const [memberState, originPeriod, currency] = key.split('|');
    const period = parseQuarter(originPeriod);
    const correction = corrections.get(`${memberState}|${originPeriod}`) ?? { memberState, period, vatCents: 0 };
    // A correction restates the original period's figures, so it converts at that period's rate.
    correction.vatCents = addSafe(correction.vatCents, cents(sums.vat, currency, period.lastDay));
    corrections.set(`${memberState}|${originPeriod}`, correction);
  }

  const byMemberState = new Map<string, OssMemberState>();
  const sortedLines = [...lines.values()]
    .filter((l) => l.taxableCents !== 0 || l.vatCents !== 0)
    .sort((a, b) => a.memberState.localeCompare(b.memberState) || a.supplyType.localeCompare(b.supplyType) || a.rateType.localeCompare(b.rateType) || b.rateBasisPoints - a.rateBasisPoints);
  for (const line of sortedLines) {
    const block = byMemberState.get(line.memberState) ?? { memberState: line.memberState, lines: [], taxableCents: 0, vatCents: 0 };
    block.lines.push(line);
    block.taxableCents = addSafe(block.taxableCents, line.taxableCents);
    block.vatCents = addSafe(block.vatCents, line.vatCents);
    byMemberState.set(line.memberState, block);
  }
  const sortedCorrections = [...corrections.values()]
    .filter((c) => c.vatCents !== 0)
    .sort((a, b) => a.memberState.localeCompare(b.memberState) || a.period.startMs - b.period.startMs);

  const due = new Map<string, number>();
  for (const block of byMemberState.values()) due.set(block.memberState, block.vatCents);
  for (const c of sortedCorrections) due.set(c.memberState, addSafe(due.get(c.memberState) ?? 0, c.vatCents));

  const memberStates = [...byMemberState.values()];
  const totalTaxableCents = memberStates.reduce((s, b) => addSafe(s, b.taxableCents), 0);
  const totalSupplyVatCents = memberStates.reduce((s, b) => addSafe(s, b.vatCents), 0);
  const totalCorrectionVatCents = sortedCorrections.reduce((s, c) => addSafe(s, c.vatCents), 0);
  return {
    tenant: { id: tenant.id, slug: tenant.slug },
    seller,
    quarter,
    provisional: deps.clock.nowMs() < quarter.endMs,
    generatedAt: deps.clock.now().toISOString(),
    memberStates,
    corrections: sortedCorrections,
    dueByMemberState: [...due.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([memberState, vatCents]) => ({ memberState, vatCents })),
    totalTaxableCents,
    totalSupplyVatCents,
    totalCorrectionVatCents,
    totalVatDueCents: addSafe(totalSupplyVatCents, totalCorrectionVatCents),
    nil: memberStates.length === 0 && sortedCorrections.length === 0,
    rowsRead,
    fxRates: [...rates.values()],
  };
}
