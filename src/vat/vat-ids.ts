import jsvat from 'jsvat-next';
import { validationError } from '../app/errors.ts';
import { memberStateOf } from './rates.ts';

/**
 * Format checks of EU VAT identification numbers through jsvat-next (maintained fork of the archived jsvat:
 * per-country patterns and check digits). A correct format is not validity: reverse charge needs VIES.
 */
export interface VatId {
  /** VAT code of the issuing member state (EL for Greece). */
  memberState: string;
  /** The number without its prefix (`0123456749`). */
  number: string;
  /** Prefix and number, no spaces or dots (`BE0123456749`): the stored form. */
  value: string;
}

// jsvat-next is CommonJS without named exports Node can detect: take them from the module object.
const { checkVAT, countries } = jsvat;
const EU_COUNTRIES = countries.filter((c) => memberStateOf(c.codes[0]) !== null);

/** Upper-cased, without spaces, dots or dashes. */
export function compactVatId(raw: string): string {
  return raw.replace(/[\s.\-]/g, '').toUpperCase();
}

/** The VAT ID when its prefix is an EU member state and its format and check digits are right; else null. */
export function parseVatId(raw: string): VatId | null {
  const value = compactVatId(raw);
  const memberState = memberStateOf(value.slice(0, 2));
  if (!memberState || value.slice(0, 2) !== memberState) return null;
  // jsvat knows Greece by its ISO code but checks the EL prefix.
  const result = checkVAT(value, EU_COUNTRIES);
  if (!result.isValid) return null;
  return { memberState, number: value.slice(2), value };
}

/** Like parseVatId, but a wrong format is a validation error naming the value. */
export function requireVatId(raw: string, what = 'VAT ID'): VatId {
  const parsed = parseVatId(raw);
  if (!parsed) throw validationError(`${what} "${raw}" is not a well-formed EU VAT number (country prefix, e.g. BE0123456749)`);
  return parsed;
}
