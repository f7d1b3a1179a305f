import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { cachedConsultation, insertConsultation } from './store.ts';
import type { VatId } from './vat-ids.ts';

/**
 * A client for the VIES REST service (`GET {KIMAUTH_VIES_URL}/ms/{CC}/vat/{number}`) through `deps.http`.
 * VIES reports its own outages as `userError` inside an HTTP 200 with `isValid: false`: those, 5xx answers,
 * timeouts and refused connections are "unavailable" (unknown), never "invalid". Conclusive answers are kept
 * (vies_consultations) and reused for the same VAT ID on the same day.
 */
export type ViesAnswer =
  | { outcome: 'valid'; requestIdentifier: string | null; traderName: string | null; cached: boolean }
  | { outcome: 'invalid'; requestIdentifier: string | null; cached: boolean }
  | { outcome: 'unavailable'; reason: string };

/** userError codes that mean "try again later". */
export const VIES_RETRYABLE_ERRORS = ['MS_UNAVAILABLE', 'MS_MAX_CONCURRENT_REQ', 'GLOBAL_MAX_CONCURRENT_REQ', 'SERVICE_UNAVAILABLE', 'TIMEOUT'];

interface ViesBody {
  isValid?: boolean;
  valid?: boolean;
  userError?: string;
  requestIdentifier?: string;
  name?: string;
}

type Attempt = { done: true; answer: ViesAnswer } | { done: false; reason: string };

async function askOnce(deps: Deps, vatId: VatId, requester: VatId | null): Promise<Attempt> {
  const url = new URL(`${deps.config.viesUrl.replace(/\/+$/, '')}/ms/${vatId.memberState}/vat/${encodeURIComponent(vatId.number)}`);
  if (requester) {
    // With the requester's own VAT ID, VIES returns a consultation number (requestIdentifier): the evidence.
    url.searchParams.set('requesterMemberStateCode', requester.memberState);
    url.searchParams.set('requesterNumber', requester.number);
  }
  let response: Response;
  try {
    response = await deps.http(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(deps.config.viesTimeoutMs) });
  } catch (err) {
    const name = (err as Error).name;
    return { done: false, reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : `unreachable: ${(err as Error).message}` };
  }
  let body: ViesBody;
  try {
    body = (await response.json()) as ViesBody;
  } catch {
    return { done: false, reason: `HTTP ${response.status} without a JSON body` };
  }
  if (body.userError && VIES_RETRYABLE_ERRORS.includes(body.userError)) return { done: false, reason: body.userError };
  if (!response.ok) return { done: false, reason: `HTTP ${response.status}${body.userError ? ` ${body.userError}` : ''}` };
  const isValid = body.isValid ?? body.valid;
  if (isValid === true) {
    return { done: true, answer: { outcome: 'valid', requestIdentifier: body.requestIdentifier ?? null, traderName: body.name ?? null, cached: false } };
  }
  if (isValid === false && (!body.userError || body.userError === 'VALID' || body.userError === 'INVALID')) {
    return { done: true, answer: { outcome: 'invalid', requestIdentifier: body.requestIdentifier ?? null, cached: false } };
  }
  // INVALID_INPUT, INVALID_REQUESTER_INFO and other answers that say nothing about the number itself.
  return { done: true, answer: { outcome: 'unavailable', reason: body.userError ?? 'answer without isValid' } };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Asks VIES about `vatId` (with the seller's VAT ID as requester), retrying what VIES calls transient. */
export async function consultVies(deps: Deps, vatId: VatId, requester: VatId | null): Promise<ViesAnswer> {
  const day = deps.clock.now().toISOString().slice(0, 10);
  const cached = cachedConsultation(deps, vatId.value, day);
  if (cached) {
    return cached.outcome === 'valid'
      ? { outcome: 'valid', requestIdentifier: cached.request_identifier, traderName: cached.trader_name, cached: true }
      : { outcome: 'invalid', requestIdentifier: cached.request_identifier, cached: true };
  }
  let reason = 'not asked';
  for (let attempt = 1; attempt <= deps.config.viesAttempts; attempt++) {
    if (attempt > 1) await sleep(deps.config.viesRetryDelayMs * 2 ** (attempt - 2));
    const result = await askOnce(deps, vatId, requester);
    if (result.done) {
      const answer = result.answer;
      if (answer.outcome !== 'unavailable') {
        insertConsultation(deps, {
          id: randomUUID(),
          vat_id: vatId.value,
          day,
          outcome: answer.outcome,
          request_identifier: answer.requestIdentifier,
          trader_name: answer.outcome === 'valid' ? answer.traderName : null,
          checked_at: deps.clock.nowMs(),
        });
      }
      return answer;
    }
    reason = result.reason;
    deps.logger.warn({ vatId: vatId.value, attempt, reason }, 'VIES did not answer');
  }
  return { outcome: 'unavailable', reason };
}
