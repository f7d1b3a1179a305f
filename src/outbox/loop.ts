import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { outboxStatements, type ClaimedItem, type OutboxQueue } from './store.ts';

/**
 * The one outbox loop (issue 10 §4): mail and webhook deliveries are written to their context's outbox table in
 * the same transaction as the change that causes them, and this loop delivers them later — claim, lease, deliver
 * with no transaction open, then mark sent or reschedule with backoff, and give up after `maxAttempts`.
 *
 * Each item is claimed in its own IMMEDIATE transaction, so two processes on one data dir never claim the same
 * row. The claim counts the attempt and pushes `next_attempt_at` forward by the lease: a worker that dies
 * mid-delivery lets the lease lapse and the item is delivered again (at least once; receivers drop the duplicate
 * by its stable id — Message-ID for mail, `webhook-id` for webhooks). Only the claim's token may mark the row.
 */
export interface RetryPolicy {
  /** Delay after the first failed attempt; each further failure doubles it… */
  firstDelayMs: number;
  /** …up to this. */
  maxDelayMs: number;
  /** Attempts before the item is marked failed. */
  maxAttempts: number;
  /** How long a claim keeps other workers off an item: longer than one delivery may take, so none is taken over. */
  leaseMs: number;
}

/** Delay before the next attempt after `attempts` failed ones (attempts ≥ 1). */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
}

/** What a deliverer says about one attempt: delivered, worth retrying, or never deliverable (give up now). */
export type DeliveryOutcome = { result: 'sent' } | { result: 'retry' | 'give-up'; error: string };

export interface DrainResult {
  sent: number;
  /** Failed this time, scheduled again. */
  retried: number;
  /** Given up: out of attempts, or never deliverable. */
  failed: number;
}

export interface OutboxLoopSpec<Item extends ClaimedItem> {
  queue: OutboxQueue;
  policy: RetryPolicy;
  deliver(item: Item): Promise<DeliveryOutcome>;
  /** Log fields that name an item (never its secret data). */
  describe(item: Item): Record<string, unknown>;
  /** Log messages: `${noun} not sent; will retry`, `… marked failed`, `${noun} lease lapsed during send`. */
  noun: string;
  /** Called at the end of every drain (the SMTP transport closes its connection). */
  afterDrain?(): void;
}

export interface OutboxLoop {
  /** Delivers every item due when the drain started, each at most once per drain; never throws for a failed delivery. */
  drain(options?: { limit?: number }): Promise<DrainResult>;
  /** Delivers one item now if it is pending (due or not), e.g. `webhooks test`; what happened to it. */
  deliverNow(id: string): Promise<keyof DrainResult | null>;
  /** Everything this loop did since it was created (for metrics and `serve` logs). */
  totals(): DrainResult;
}

const MAX_ERROR_LENGTH = 500;

export function createOutboxLoop<Item extends ClaimedItem>(deps: Deps, spec: OutboxLoopSpec<Item>): OutboxLoop {
  const { policy } = spec;
  const store = outboxStatements<Item>(deps, spec.queue);
  const totals: DrainResult = { sent: 0, retried: 0, failed: 0 };

  const giveUpOrRetry = (item: Item, token: string, error: string, permanent: boolean): 'retried' | 'failed' => {
    const now = deps.clock.nowMs();
    const failed = permanent || item.attempts >= policy.maxAttempts;
    const nextAttemptAt = failed ? now : now + retryDelayMs(item.attempts, policy);
    const message = error.slice(0, MAX_ERROR_LENGTH);
    store.markUnsent({ id: item.id, token, status: failed ? 'failed' : 'pending', nextAttemptAt, error: message });
    deps.logger.warn(
      { ...spec.describe(item), attempts: item.attempts, error: message, ...(failed ? {} : { nextAttemptAt: new Date(nextAttemptAt).toISOString() }) },
      failed ? `${spec.noun} not sent; marked failed` : `${spec.noun} not sent; will retry`,
    );
    return failed ? 'failed' : 'retried';
  };

  const attempt = async (item: Item, token: string): Promise<keyof DrainResult> => {
    let outcome: DeliveryOutcome;
    try {
      outcome = await spec.deliver(item);
    } catch (err) {
      outcome = { result: 'retry', error: (err as Error)?.message ?? String(err) };
    }
    if (outcome.result !== 'sent') return giveUpOrRetry(item, token, outcome.error, outcome.result === 'give-up');
    if (!store.markSent({ id: item.id, token, now: deps.clock.nowMs() })) {
      // Our lease lapsed during the delivery and another worker took the item: it may arrive twice.
      deps.logger.warn(spec.describe(item), `${spec.noun} lease lapsed during send`);
    }
    return 'sent';
  };

  const claimAndDeliver = async (dueBy: number, id?: string): Promise<keyof DrainResult | null> => {
    const token = randomUUID();
    const item = store.claim({ dueBy, leaseUntil: deps.clock.nowMs() + policy.leaseMs, token, id });
    if (!item) return null;
    const outcome = await attempt(item, token);
    totals[outcome]++;
    return outcome;
  };

  return {
    async drain({ limit = 500 } = {}) {
      const result: DrainResult = { sent: 0, retried: 0, failed: 0 };
      // Due means due when the drain started: an item rescheduled by this drain waits for a later one.
      const dueBy = deps.clock.nowMs();
      try {
        for (let i = 0; i < limit; i++) {
          const outcome = await claimAndDeliver(dueBy);
          if (!outcome) break;
          result[outcome]++;
        }
      } finally {
        spec.afterDrain?.();
      }
      return result;
    },
    async deliverNow(id) {
      try {
        return await claimAndDeliver(deps.clock.nowMs(), id);
      } finally {
        spec.afterDrain?.();
      }
    },
    totals: () => ({ ...totals }),
  };
}
