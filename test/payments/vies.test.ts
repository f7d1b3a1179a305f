import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consultVies, VIES_RETRYABLE_ERRORS } from '../../src/vat/vies.ts';
import { parseVatId } from '../../src/vat/vat-ids.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';
import { closedLoopbackUrl, startViesStandIn, type ViesStandIn } from '../support/vies-stand-in.ts';

const SELLER = parseVatId('BE0123456749')!;
const BUYER = parseVatId('DE129273398')!;

describe('VIES client against a stand-in on loopback', () => {
  let vies: ViesStandIn;
  let t: TestInstance;

  beforeAll(async () => {
    vies = await startViesStandIn();
    t = await createTestInstance({ config: { viesUrl: vies.url, viesTimeoutMs: 300, viesAttempts: 3, viesRetryDelayMs: 0 } });
  });
  afterAll(async () => {
    t.close();
    await vies.close();
  });

  it('a valid number: valid, with the consultation number, asked with the seller as requester', async () => {
    vies.script(BUYER.number, 'valid');
    const answer = await consultVies(t.deps, BUYER, SELLER);
    expect(answer).toMatchObject({ outcome: 'valid', traderName: 'BUYER GMBH', cached: false });
    expect(answer.outcome === 'valid' && answer.requestIdentifier).toMatch(/^WAPIAAAAW\d{6}$/);
    expect(vies.requests.at(-1)).toBe('DE/129273398?requesterMemberStateCode=BE&requesterNumber=0123456749');
  });

  it('the same VAT ID the same day comes from the cache; the next day VIES is asked again', async () => {
    const before = vies.requests.length;
    expect(await consultVies(t.deps, BUYER, SELLER)).toMatchObject({ outcome: 'valid', cached: true });
    expect(vies.requests.length).toBe(before);
    t.clock.advance(24 * 3_600_000);
    vies.script(BUYER.number, 'invalid');
    expect(await consultVies(t.deps, BUYER, SELLER)).toMatchObject({ outcome: 'invalid', cached: false });
    expect(vies.requests.length).toBe(before + 1);
  });

  it('an invalid number: invalid', async () => {
    const number = parseVatId('FR40303265045')!;
    vies.script(number.number, 'invalid');
    expect(await consultVies(t.deps, number, SELLER)).toMatchObject({ outcome: 'invalid' });
  });

  it.each(VIES_RETRYABLE_ERRORS)('%s in an HTTP 200 is retried, and unknown (not invalid) when it persists', async (code) => {
    const number = parseVatId('NL004495445B01')!;
    t.clock.advance(24 * 3_600_000);
    vies.script(number.number, code);
    const before = vies.requests.length;
    expect(await consultVies(t.deps, number, SELLER)).toEqual({ outcome: 'unavailable', reason: code });
    expect(vies.requests.length - before).toBe(3);
  });

  it('a transient error followed by an answer: the retry gets the answer', async () => {
    const number = parseVatId('ATU13585627')!;
    vies.script(number.number, 'MS_MAX_CONCURRENT_REQ', 'MS_UNAVAILABLE', 'valid');
    expect(await consultVies(t.deps, number, SELLER)).toMatchObject({ outcome: 'valid' });
  });

  it('an unknown answer is not cached: the next call asks again', async () => {
    const number = parseVatId('NL004495445B01')!;
    vies.script(number.number, 'valid');
    expect(await consultVies(t.deps, number, SELLER)).toMatchObject({ outcome: 'valid', cached: false });
  });

  it('HTTP 500: unavailable after the retries', async () => {
    const number = parseVatId('IT00743110157')!;
    vies.script(number.number, 'http500');
    expect(await consultVies(t.deps, number, SELLER)).toEqual({ outcome: 'unavailable', reason: 'HTTP 500' });
  });

  it('slower than the timeout: unavailable (timeout)', async () => {
    const number = parseVatId('ESA28015865')!;
    vies.script(number.number, 'slow');
    expect(await consultVies(t.deps, number, SELLER)).toEqual({ outcome: 'unavailable', reason: 'timeout' });
  });

  it('VIES down (connection refused): unavailable', async () => {
    const down = await createTestInstance({ config: { viesUrl: await closedLoopbackUrl(), viesAttempts: 2, viesRetryDelayMs: 0 } });
    try {
      const answer = await consultVies(down.deps, BUYER, SELLER);
      expect(answer.outcome).toBe('unavailable');
      expect(answer.outcome === 'unavailable' && answer.reason).toMatch(/^unreachable/);
    } finally {
      down.close();
    }
  });
});
