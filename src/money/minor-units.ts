import currencyData from '../fx/currencies.json' with { type: 'json' };
import { validationError } from '../app/errors.ts';

/**
 * Money as integers in minor units (cents), never floats. Decimal strings appear only when rendering or when
 * reading a person's input; the conversions here are exact.
 */

/** Largest amount one payment may carry: 10^12 minor units, so `amount × rate (basis points)` stays a safe integer. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/** Integer division rounded half away from zero, on BigInts (exact for any size). */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = (magnitude * 2n + denominator) / (denominator * 2n);
  return negative ? -quotient : quotient;
}

/** VAT on a net amount at a rate in basis points (2100 = 21.00 %), rounded half up to the minor unit. */
export function vatOnAmount(amountMinor: number, rateBasisPoints: number): number {
  if (!Number.isSafeInteger(amountMinor) || Math.abs(amountMinor) > MAX_AMOUNT_MINOR) {
    throw new RangeError(`amount ${amountMinor} is not an integer amount of minor units within bounds`);
  }
  // |amount| ≤ 10^12 and rate ≤ 10^4 keep the product below 2^53: plain integer arithmetic is exact.
  const product = amountMinor * rateBasisPoints;
  const sign = product < 0 ? -1 : 1;
  return sign * Math.floor((Math.abs(product) + 5_000) / 10_000);
}

/** `1234` → `"12.34"`, `-5` → `"-0.05"`; `digits` is the currency's number of minor digits. */
export function formatMinor(minor: number | bigint, digits = 2): string {
  const value = BigInt(minor);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,12}))?$/;

/** A non-negative decimal string as an integer scaled by 10^scale; refuses more fraction digits than `scale`. */
export function parseScaledDecimal(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a plain decimal number`);
  const fraction = match[2] ?? '';
  if (fraction.replace(/0+$/, '').length > scale) throw new RangeError(`"${text}" has more than ${scale} decimals`);
  return BigInt(match[1] + fraction.padEnd(scale, '0').slice(0, scale));
}

/** ISO 4217 minor unit of a currency the ECB publishes (EUR 2, JPY 0, HUF 2…), from src/fx/currencies.json. */
export function minorDigitsOf(currency: string): number {
  const digits = (currencyData.minorUnits as Record<string, number>)[currency];
  if (digits === undefined) throw validationError(`No ISO 4217 minor unit known for ${currency} (only the euro and the ECB's reference currencies convert)`);
  return digits;
}

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
