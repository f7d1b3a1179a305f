import { validationError } from '../app/errors.ts';
import { CURRENCY_PATTERN } from '../money/minor-units.ts';

/**
 * The ECB's euro foreign exchange reference rates as it publishes them in CSV: the history file
 * (`Date,USD,JPY,…` with ISO dates) or the daily file (`Date, USD, …` with `30 September 2026`). Each cell is
 * units of that currency per 1 EUR; `N/A` where none was fixed. Values stay decimal strings.
 */
export interface EcbRate {
  currency: string;
  day: string;
  rate: string;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const RATE = /^\d{1,9}(\.\d{1,10})?$/;

function isoDay(text: string, line: number): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (iso) return text;
  const long = /^(\d{1,2}) ([A-Za-z]+) (\d{4})$/.exec(text);
  const month = long ? MONTHS.indexOf(long[2].toLowerCase()) : -1;
  if (!long || month < 0) throw validationError(`line ${line}: "${text}" is not a date (YYYY-MM-DD or "30 September 2026")`);
  return `${long[3]}-${String(month + 1).padStart(2, '0')}-${long[1].padStart(2, '0')}`;
}

export function parseEcbCsv(text: string): EcbRate[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw validationError('The file is empty');
  const header = lines[0].split(',').map((c) => c.trim());
  if (header[0] !== 'Date') throw validationError('Not an ECB reference rate CSV: the first column must be "Date"');
  const currencies = header.slice(1);
  currencies.forEach((c, i) => {
    if (c !== '' && !CURRENCY_PATTERN.test(c)) throw validationError(`Column ${i + 2} of the header is "${c}", not a currency code`);
  });
  const rates: EcbRate[] = [];
  lines.slice(1).forEach((raw, index) => {
    const line = index + 2;
    const cells = raw.split(',').map((c) => c.trim());
    const day = isoDay(cells[0], line);
    currencies.forEach((currency, i) => {
      const value = cells[i + 1] ?? '';
      if (currency === '' || value === '' || value === 'N/A') return;
      if (!RATE.test(value) || /^0+(\.0+)?$/.test(value)) throw validationError(`line ${line}: ${currency} rate "${value}" is not a positive decimal`);
      rates.push({ currency, day, rate: value });
    });
  });
  return rates;
}
