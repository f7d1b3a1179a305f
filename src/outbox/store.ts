import type { Deps } from '../app/deps.ts';

/**
 * All SQL of the outbox loop (loop.ts). It runs over any outbox-shaped table a context owns — the context names
 * its table and the columns its deliverer needs; the loop owns only the delivery bookkeeping columns every such
 * table has:
 *
 *   id TEXT PRIMARY KEY, status TEXT ('pending' | 'sent' | 'failed'), attempts INTEGER, next_attempt_at INTEGER,
 *   claim_token TEXT, last_error TEXT, created_at INTEGER, sent_at INTEGER, and an index on (status, next_attempt_at).
 *
 * Mail (mail_outbox) and webhook deliveries (webhook_deliveries) are the two today.
 */
export interface OutboxQueue {
  /** The table (a constant of the owning context, never input). */
  table: string;
  /** What a claim returns besides `id` and `attempts`: a SELECT list over the table (`template, to_address AS toAddress`). */
  columns: string;
  /** Extra assignments when an item is sent (`data = '{}'` empties a payload that held a one-time link). */
  onSent?: string;
}

export interface ClaimedItem {
  id: string;
  attempts: number;
}

export interface OutboxStatements<Item extends ClaimedItem> {
  /**
   * Takes the next item due by `dueBy` (or the one named by `id`, due or not, unless leased), counting the attempt
   * and leasing it until `leaseUntil`; in its own IMMEDIATE transaction.
   */
  claim(params: { dueBy: number; leaseUntil: number; token: string; id?: string }): Item | undefined;
  markSent(params: { id: string; token: string; now: number }): boolean;
  markUnsent(params: { id: string; token: string; status: 'pending' | 'failed'; nextAttemptAt: number; error: string }): boolean;
}

export function outboxStatements<Item extends ClaimedItem>(deps: Deps, queue: OutboxQueue): OutboxStatements<Item> {
  const { table } = queue;
  const claimSql = (which: string) =>
    `UPDATE ${table} SET attempts = attempts + 1, next_attempt_at = @leaseUntil, claim_token = @token
      WHERE id = (SELECT id FROM ${table} WHERE status = 'pending' AND ${which}
                  ORDER BY next_attempt_at, created_at LIMIT 1)
      RETURNING id, attempts, ${queue.columns}`;
  const claimNext = deps.statement(claimSql('next_attempt_at <= @dueBy'));
  // One named item, due or not, unless another worker holds a lease on it that has not lapsed.
  const claimOne = deps.statement(claimSql('id = @id AND (claim_token IS NULL OR next_attempt_at <= @dueBy)'));
  const claim = deps.sqlite.transaction((params: { dueBy: number; leaseUntil: number; token: string; id?: string }) =>
    params.id === undefined ? (claimNext.get(params) as Item | undefined) : (claimOne.get(params) as Item | undefined),
  );
  const markSent = deps.statement(
    `UPDATE ${table} SET status = 'sent', sent_at = @now, last_error = NULL, claim_token = NULL${queue.onSent ? `, ${queue.onSent}` : ''}
      WHERE id = @id AND claim_token = @token`,
  );
  const markUnsent = deps.statement(
    `UPDATE ${table} SET status = @status, next_attempt_at = @nextAttemptAt, last_error = @error, claim_token = NULL
      WHERE id = @id AND claim_token = @token`,
  );
  return {
    claim: (params) => claim.immediate(params),
    markSent: (params) => markSent.run(params).changes > 0,
    markUnsent: (params) => markUnsent.run(params).changes > 0,
  };
}

export interface OutboxDepth {
  /** Waiting to be sent (due now or later, or leased by a worker sending it now). */
  pending: number;
  /** Pending and due now: what the next drain takes. */
  due: number;
  /** Given up on; they wait for an operator (`kimauth mail retry`, `kimauth webhooks deliveries --retry`). */
  failed: number;
  sent: number;
  /** The oldest pending item's creation time (ms), or null: how far behind the loop is. */
  oldestPendingAt: number | null;
}

/** How deep the queue is and how much of it failed: for CLI listings, readiness and metrics. */
export function outboxDepth(deps: Deps, table: string, now: number): OutboxDepth {
  const row = deps
    .statement(
      `SELECT
         COALESCE(SUM(status = 'pending'), 0) AS pending,
         COALESCE(SUM(status = 'pending' AND next_attempt_at <= @now), 0) AS due,
         COALESCE(SUM(status = 'failed'), 0) AS failed,
         COALESCE(SUM(status = 'sent'), 0) AS sent,
         MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldestPendingAt
       FROM ${table}`,
    )
    .get({ now }) as OutboxDepth;
  return { ...row };
}
