import rateData from './rates.json' with { type: 'json' };
import { validationError } from '../app/errors.ts';
import { parseScaledDecimal } from '../money/minor-units.ts';

/**
 * VAT rates of the 27 member states as dated data (src/vat/rates.json, source named there): the rate of a past
 * day is the rate that applied then. Rates are handled in basis points (2100 = 21.00 %, 2550 = 25.5 %).
 */
export type RateType = 'STANDARD' | 'REDUCED';

interface RatePeriod {
  from: string;
  standard: string;
  reduced: string[];
}

const MEMBER_STATES = rateData.memberStates as Record<string, RatePeriod[]>;

/** Member-state VAT codes (Greece is EL), in alphabetical order. */
export const EU_MEMBER_STATES: readonly string[] = Object.keys(MEMBER_STATES).sort();

export const RATES_SOURCE: string = rateData.source;
export const RATES_VALID_FROM: string = rateData.validFrom;

/** An ISO 3166 country code (GR) or a VAT code (EL) → the member state's VAT code, or null outside the EU. */
export function memberStateOf(country: string): string | null {
  const code = country.trim().toUpperCase();
  const vatCode = code === 'GR' ? 'EL' : code;
  return vatCode in MEMBER_STATES ? vatCode : null;
}

export function rateToBasisPoints(rate: string): number {
  return Number(parseScaledDecimal(rate, 2));
}

/** `2100` → `"21.00"`, `2550` → `"25.50"` (the two-decimal form returns use). */
export function formatRate(basisPoints: number): string {
  return `${Math.trunc(basisPoints / 100)}.${String(basisPoints % 100).padStart(2, '0')}`;
}

export interface AppliedRate {
  memberState: string;
  rateType: RateType;
  rateBasisPoints: number;
}

function periodOn(memberState: string, day: string): RatePeriod {
  const periods = MEMBER_STATES[memberState];
  if (!periods) throw validationError(`${memberState} is not an EU member state`);
  let found: RatePeriod | undefined;
  for (const period of periods) if (period.from <= day) found = period;
  if (!found) throw validationError(`No VAT rates for ${memberState} before ${periods[0].from} (the data starts at the OSS start)`);
  return found;
}

/**
 * The rate in force in `memberState` on `day` (YYYY-MM-DD). STANDARD unless told; REDUCED needs the reduced rate
 * the supply falls under (`"9"`, `"5.5"`), which must be one of that day's reduced rates.
 */
export function rateOn(memberState: string, day: string, rateType: RateType = 'STANDARD', reducedRate?: string): AppliedRate {
  const period = periodOn(memberState, day);
  if (rateType === 'STANDARD') return { memberState, rateType, rateBasisPoints: rateToBasisPoints(period.standard) };
  if (reducedRate === undefined) throw validationError('A REDUCED rate type needs the reduced rate (e.g. "9")');
  const wanted = rateToBasisPoints(reducedRate);
  if (!period.reduced.some((r) => rateToBasisPoints(r) === wanted)) {
    const known = period.reduced.length ? period.reduced.join(', ') : 'none';
    throw validationError(`${reducedRate} % is not a reduced rate of ${memberState} on ${day} (reduced rates then: ${known})`);
  }
  return { memberState, rateType, rateBasisPoints: wanted };
}
