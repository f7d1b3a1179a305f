import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { createOutboxLoop, retryDelayMs, type DeliveryOutcome, type RetryPolicy } from '../../src/outbox/loop.ts';
import { outboxDepth } from '../../src/outbox/store.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';

/**
 * The one outbox loop over an outbox-shaped table of its own (the shape mail_outbox and webhook_deliveries
 * share), with a deliverer the test scripts: what claim, lease, backoff and giving up do, whoever the items are for.
 */
const POLICY: RetryPolicy = { firstDelayMs: 10_000, maxDelayMs: 40_000, maxAttempts: 4, leaseMs: 60_000 };

function createQueue(deps: Deps): void {
  deps.sqlite.exec(`CREATE TABLE IF NOT EXISTS test_outbox (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL, claim_token TEXT, last_error TEXT, created_at INTEGER NOT NULL, sent_at INTEGER)`);
  deps.sqlite.exec('DELETE FROM test_outbox');
}

function enqueue(deps: Deps, id: string, body = 'hello'): void {
  const now = deps.clock.nowMs();
  deps.sqlite.prepare('INSERT INTO test_outbox (id, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?)').run(id, body, now, now);
}

const row = (deps: Deps, id: string) =>
  deps.sqlite.prepare('SELECT status, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, body FROM test_outbox WHERE id = ?').get(id) as {
    status: string;
    attempts: number;
    nextAttemptAt: number;
    lastError: string | null;
    body: string;
  };

describe('the outbox loop (src/outbox)', () => {
  let t: TestInstance;
  let outcomes: DeliveryOutcome[];
  let delivered: string[];

  const loop = () =>
    createOutboxLoop<{ id: string; attempts: number; body: string }>(t.deps, {
      queue: { table: 'test_outbox', columns: 'body', onSent: "body = ''" },
      policy: POLICY,
      noun: 'test item',
      describe: (item) => ({ itemId: item.id }),
      deliver: async (item) => {
        const outcome = outcomes.length > 1 ? outcomes.shift()! : (outcomes[0] ?? { result: 'sent' });
        if (outcome.result === 'sent') delivered.push(`${item.id}:${item.body}`);
        return outcome;
      },
    });

  beforeEach(async () => {
    t = await createTestInstance();
    createQueue(t.deps);
    outcomes = [];
    delivered = [];
  });
  afterEach(() => t.close());

  it('delivers a due item once, marks it sent and applies onSent', async () => {
    enqueue(t.deps, 'a', 'secret-link');
    expect(await loop().drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(delivered).toEqual(['a:secret-link']);
    expect(row(t.deps, 'a')).toMatchObject({ status: 'sent', attempts: 1, body: '' });
    expect(await loop().drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
  });

  it('retries with doubling backoff, capped, and gives up after maxAttempts', async () => {
    enqueue(t.deps, 'a');
    outcomes = [{ result: 'retry', error: 'receiver down' }];
    const worker = loop();
    const delays: number[] = [];
    for (let attempt = 1; attempt < POLICY.maxAttempts; attempt++) {
      expect(await worker.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
      const r = row(t.deps, 'a');
      delays.push(r.nextAttemptAt - t.clock.nowMs());
      // Not due a millisecond early.
      t.clock.advance(r.nextAttemptAt - t.clock.nowMs() - 1);
      expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
      t.clock.advance(1);
    }
    expect(delays).toEqual([10_000, 20_000, 40_000]);
    expect(delays.map((_, i) => retryDelayMs(i + 1, POLICY))).toEqual(delays);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(row(t.deps, 'a')).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, lastError: 'receiver down' });
    expect(worker.totals()).toEqual({ sent: 0, retried: 3, failed: 1 });
  });

  it('gives up at once on a permanent failure, and a throwing deliverer is retried', async () => {
    enqueue(t.deps, 'never');
    outcomes = [{ result: 'give-up', error: 'cannot render' }];
    expect(await loop().drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(row(t.deps, 'never')).toMatchObject({ status: 'failed', attempts: 1, lastError: 'cannot render' });

    enqueue(t.deps, 'throws');
    const throwing = createOutboxLoop<{ id: string; attempts: number }>(t.deps, {
      queue: { table: 'test_outbox', columns: 'body' },
      policy: POLICY,
      noun: 'test item',
      describe: (item) => ({ itemId: item.id }),
      deliver: async () => {
        throw new Error('socket hang up');
      },
    });
    expect(await throwing.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(row(t.deps, 'throws')).toMatchObject({ status: 'pending', lastError: 'socket hang up' });
  });

  it('a claimed item is leased: no other drain takes it until the lease lapses', async () => {
    enqueue(t.deps, 'a');
    let release!: () => void;
    const slow = createOutboxLoop<{ id: string; attempts: number }>(t.deps, {
      queue: { table: 'test_outbox', columns: 'body' },
      policy: POLICY,
      noun: 'test item',
      describe: (item) => ({ itemId: item.id }),
      deliver: () => new Promise<DeliveryOutcome>((resolve) => (release = () => resolve({ result: 'sent' }))),
    });
    const first = slow.drain();
    // While the first drain is mid-delivery, a second loop finds nothing due, and deliverNow leaves it alone.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await loop().drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await loop().deliverNow('a')).toBeNull();
    release();
    expect(await first).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(delivered).toEqual([]);
  });

  it('deliverNow sends one named item, due or not', async () => {
    enqueue(t.deps, 'a');
    enqueue(t.deps, 'b');
    t.deps.sqlite.prepare('UPDATE test_outbox SET next_attempt_at = ? WHERE id = ?').run(t.clock.nowMs() + 3_600_000, 'b');
    expect(await loop().deliverNow('b')).toBe('sent');
    expect(delivered).toEqual(['b:hello']);
    expect(row(t.deps, 'a').status).toBe('pending');
  });

  it('reports its depth: pending, due, failed, sent and the oldest waiting item', async () => {
    enqueue(t.deps, 'sent');
    await loop().drain();
    t.clock.advance(1_000);
    enqueue(t.deps, 'failed');
    outcomes = [{ result: 'give-up', error: 'no' }];
    await loop().drain();
    t.clock.advance(1_000);
    const oldest = t.clock.nowMs();
    enqueue(t.deps, 'due');
    enqueue(t.deps, 'later');
    t.deps.sqlite.prepare('UPDATE test_outbox SET next_attempt_at = ? WHERE id = ?').run(oldest + 60_000, 'later');
    expect(outboxDepth(t.deps, 'test_outbox', t.clock.nowMs())).toEqual({ pending: 2, due: 1, failed: 1, sent: 1, oldestPendingAt: oldest });
  });
});
