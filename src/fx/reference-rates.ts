import { basename } from 'node:path';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { divideRounded, minorDigitsOf, parseScaledDecimal } from '../money/minor-units.ts';
import { parseEcbCsv } from './ecb-csv.ts';
import { firstRateBetween, upsertRate } from './store.ts';

export interface FxImportReport {
  file: string;
  added: number;
  changed: number;
  unchanged: number;
  currencies: string[];
  firstDay: string | null;
  lastDay: string | null;
}

/** Loads an ECB reference-rate CSV (the machines have no internet); one audited transaction. */
export function importEcbRates(deps: Deps, fileName: string, text: string, actor: Actor): FxImportReport {
  const rates = parseEcbCsv(text);
  const days = rates.map((r) => r.day).sort();
  const report: FxImportReport = {
    file: basename(fileName),
    added: 0,
    changed: 0,
    unchanged: 0,
    currencies: [...new Set(rates.map((r) => r.currency))].sort(),
    firstDay: days[0] ?? null,
    lastDay: days.at(-1) ?? null,
  };
  return deps.sqlite.transaction(() => {
    const now = deps.clock.nowMs();
    for (const r of rates) {
      const outcome = upsertRate(deps, r.currency, r.day, r.rate, now);
      if (outcome === 'added') report.added++;
      else if (outcome === 'changed') report.changed++;
      else report.unchanged++;
    }
    deps.audit.append(deps.platformTenantId(), { actor, type: 'fx.rates_imported', payload: { ...report } });
    return report;
  })();
}

/** How long after the wanted day the next publication may come (weekends, TARGET holidays). */
const PUBLICATION_LOOKAHEAD_DAYS = 7;

export interface EuroRate {
  currency: string;
  /** The publication day used (the wanted day, or the next one the ECB published). */
  day: string;
  /** Units of `currency` per 1 EUR, as published. */
  rate: string;
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The ECB rate of `day`, or of the next day the ECB published; refuses naming currency and day when missing. */
export function euroRateOn(deps: Deps, currency: string, day: string): EuroRate {
  if (currency === 'EUR') return { currency, day, rate: '1' };
  const found = firstRateBetween(deps, currency, day, addDays(day, PUBLICATION_LOOKAHEAD_DAYS));
  if (!found) {
    throw new AppError(
      'conflict',
      `No ECB reference rate for ${currency} on ${day} or the ${PUBLICATION_LOOKAHEAD_DAYS} days after; import the ECB CSV with \`kimauth fx import FILE\``,
      { currency, day },
    );
  }
  return { currency, day: found.day, rate: found.rate };
}

/** Converts an amount in `currency` minor units to euro cents at `rate` (currency per EUR), rounded half up. */
export function toEuroCents(amountMinor: bigint, currency: string, rate: string): bigint {
  if (currency === 'EUR') return amountMinor;
  const scale = 10;
  const scaledRate = parseScaledDecimal(rate, scale);
  const digits = minorDigitsOf(currency);
  // amount / 10^digits / (scaledRate / 10^scale) × 100 cents, kept in integers until the one rounding.
  return divideRounded(amountMinor * 10n ** BigInt(scale) * 100n, scaledRate * 10n ** BigInt(digits));
}
