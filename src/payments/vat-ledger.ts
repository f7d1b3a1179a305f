import type { Deps } from '../app/deps.ts';
import { ledgerRows, paymentCountBetween, type LedgerRow } from './store.ts';

export type { LedgerRow };

/**
 * The VAT ledger of a tenant over [startMs, endMs) — supplies, refunds and VIES corrections with their period
 * of origin — streamed from SQLite for the OSS return (src/oss), which never reads the payment tables itself.
 */
export function vatLedger(deps: Deps, tenantId: string, startMs: number, endMs: number): IterableIterator<LedgerRow> {
  return ledgerRows(deps, tenantId, startMs, endMs);
}

export function paymentsBetween(deps: Deps, tenantId: string, startMs: number, endMs: number): number {
  return paymentCountBetween(deps, tenantId, startMs, endMs);
}
