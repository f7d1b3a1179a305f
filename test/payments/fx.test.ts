import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEcbCsv } from '../../src/fx/ecb-csv.ts';
import { euroRateOn, importEcbRates } from '../../src/fx/reference-rates.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

describe('ECB reference rates', () => {
  it('reads the daily file (long dates, spaces, trailing comma) and the history file (ISO dates, N/A)', () => {
    expect(parseEcbCsv('Date, USD, JPY, \n30 September 2026, 1.1689, 172.40, \n')).toEqual([
      { currency: 'USD', day: '2026-09-30', rate: '1.1689' },
      { currency: 'JPY', day: '2026-09-30', rate: '172.40' },
    ]);
    expect(parseEcbCsv('Date,USD,RUB,\n2022-03-01,1.1139,N/A,\n')).toEqual([{ currency: 'USD', day: '2022-03-01', rate: '1.1139' }]);
  });

  it.each([
    ['', /empty/],
    ['Day,USD\n2026-01-01,1.1\n', /first column must be "Date"/],
    ['Date,US Dollar\n2026-01-01,1.1\n', /not a currency code/],
    ['Date,USD\n2026-13-45x,1.1\n', /line 2: "2026-13-45x" is not a date/],
    ['Date,USD\n2026-01-01,-1.1\n', /line 2: USD rate "-1.1" is not a positive decimal/],
  ])('refuses a malformed file (%#)', (text, message) => {
    expect(() => parseEcbCsv(text)).toThrow(message);
  });

  describe('stored', () => {
    let t: TestInstance;
    beforeAll(async () => {
      t = await createTestInstance();
      importEcbRates(t.deps, 'a.csv', 'Date,USD\n2026-12-29,1.2000\n2027-01-04,1.2100\n', TEST_ACTOR);
    });
    afterAll(() => t.close());

    it('a day without a publication takes the next one; a re-import with a changed rate is counted and audited', () => {
      expect(euroRateOn(t.deps, 'USD', '2026-12-31')).toEqual({ currency: 'USD', day: '2027-01-04', rate: '1.2100' });
      expect(euroRateOn(t.deps, 'EUR', '2026-12-31').rate).toBe('1');
      expect(importEcbRates(t.deps, 'b.csv', 'Date,USD\n2027-01-04,1.2110\n', TEST_ACTOR)).toMatchObject({ added: 0, changed: 1 });
      expect(euroRateOn(t.deps, 'USD', '2026-12-31').rate).toBe('1.2110');
      const audited = t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'fx.rates_imported' ORDER BY id").pluck().all() as string[];
      expect(audited.map((p) => JSON.parse(p).file)).toEqual(['a.csv', 'b.csv']);
      expect(() => euroRateOn(t.deps, 'USD', '2026-12-10')).toThrow(/No ECB reference rate for USD on 2026-12-10/);
    });
  });
});
