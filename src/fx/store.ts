import type { Deps } from '../app/deps.ts';

/** All SQL of the FX context: ECB reference rates per currency and day. */
export function upsertRate(deps: Deps, currency: string, day: string, rate: string, importedAt: number): 'added' | 'changed' | 'same' {
  const existing = deps.statement('SELECT rate FROM fx_rates WHERE currency = ? AND day = ?').pluck().get(currency, day) as string | undefined;
  if (existing === rate) return 'same';
  deps
    .statement(
      `INSERT INTO fx_rates (currency, day, rate, imported_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (currency, day) DO UPDATE SET rate = excluded.rate, imported_at = excluded.imported_at`,
    )
    .run(currency, day, rate, importedAt);
  return existing === undefined ? 'added' : 'changed';
}

/** The first published rate on or after `fromDay` and not after `untilDay`. */
export function firstRateBetween(deps: Deps, currency: string, fromDay: string, untilDay: string): { day: string; rate: string } | undefined {
  return deps
    .statement('SELECT day, rate FROM fx_rates WHERE currency = ? AND day >= ? AND day <= ? ORDER BY day LIMIT 1')
    .get(currency, fromDay, untilDay) as { day: string; rate: string } | undefined;
}
