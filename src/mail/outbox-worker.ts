import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { createMailRenderer, type MailRenderer } from './templates.ts';
import { openMailData } from './outbox.ts';
import type { MailAddress, MailTransport } from './transport.ts';

/**
 * When a send fails the message waits 30 s, 1 min, 2 min, … (doubling, capped at 1 h) and is marked failed
 * after 12 sends (about 6 h of outage). A failed message stays in the outbox until `kimauth mail retry`.
 * The lease is how long a claim keeps other workers off a message; it must outlast one SMTP send
 * (SMTP_TIMEOUTS_MS) so a slow send is never taken over, yet lapse on its own when a worker dies mid-send.
 */
export interface MailRetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  leaseMs: number;
}

export const MAIL_RETRY_POLICY: MailRetryPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  maxAttempts: 12,
  leaseMs: 5 * 60_000,
};

/** Delay before the next send after `attempts` failed sends (attempts ≥ 1). */
export function retryDelayMs(attempts: number, policy: MailRetryPolicy = MAIL_RETRY_POLICY): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.max(0, attempts - 1), policy.maxDelayMs);
}

export interface DrainResult {
  sent: number;
  /** Failed this time, scheduled again. */
  retried: number;
  /** Given up: out of attempts, or a message that can never render. */
  failed: number;
}

export interface MailOutboxWorker {
  /** Sends every message due now, each at most once per drain; never throws for a failed send. */
  drain(options?: { limit?: number }): Promise<DrainResult>;
}

interface ClaimedRow {
  id: string;
  template: string;
  toAddress: string;
  data: string;
  attempts: number;
}

const MAX_ERROR_LENGTH = 500;

function sender(emailFrom: string, appName: string): string | MailAddress {
  // A bare address gets the app name as its display name; "Name <address>" is used as written.
  return emailFrom.includes('<') ? emailFrom : { name: appName, address: emailFrom.trim() };
}

/**
 * The outbox worker. Each message is claimed in its own IMMEDIATE transaction (so two processes on one data
 * dir never claim the same row), sent with no transaction open, then marked sent — its data, which may hold
 * a one-time link, emptied — or rescheduled with backoff. Delivery is at least once: a worker that dies
 * after the SMTP server accepted a message but before marking it sent lets the lease lapse and it is sent
 * again; the stable Message-ID lets the receiving side drop the duplicate.
 */
export function createMailOutboxWorker(
  deps: Deps,
  transport: MailTransport,
  options: { renderer?: MailRenderer; policy?: MailRetryPolicy } = {},
): MailOutboxWorker {
  const policy = options.policy ?? MAIL_RETRY_POLICY;
  const renderer = options.renderer ?? createMailRenderer(deps.config);
  const from = sender(deps.config.emailFrom, deps.config.emailAppName);
  const messageDomain = /@([^>\s]+)/.exec(deps.config.emailFrom)?.[1] ?? 'kimauth.invalid';

  const claimStatement = deps.sqlite.prepare(
    `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = @leaseUntil, claim_token = @token
     WHERE id = (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= @dueBy
                 ORDER BY next_attempt_at, created_at LIMIT 1)
     RETURNING id, template, to_address AS toAddress, data, attempts`,
  );
  const claim = deps.sqlite.transaction(
    (params: { dueBy: number; leaseUntil: number; token: string }) => claimStatement.get(params) as ClaimedRow | undefined,
  );
  const markSent = deps.sqlite.prepare(
    `UPDATE mail_outbox SET status = 'sent', sent_at = @now, data = '{}', last_error = NULL, claim_token = NULL
     WHERE id = @id AND claim_token = @token`,
  );
  const markUnsent = deps.sqlite.prepare(
    `UPDATE mail_outbox SET status = @status, next_attempt_at = @nextAttemptAt, last_error = @error, claim_token = NULL
     WHERE id = @id AND claim_token = @token`,
  );

  const giveUpOrRetry = (row: ClaimedRow, token: string, error: string, permanent: boolean): 'retried' | 'failed' => {
    const now = deps.clock.nowMs();
    const failed = permanent || row.attempts >= policy.maxAttempts;
    const nextAttemptAt = failed ? now : now + retryDelayMs(row.attempts, policy);
    const message = error.slice(0, MAX_ERROR_LENGTH);
    markUnsent.run({ id: row.id, token, status: failed ? 'failed' : 'pending', nextAttemptAt, error: message });
    deps.logger.warn(
      { mailId: row.id, template: row.template, attempts: row.attempts, error: message, ...(failed ? {} : { nextAttemptAt: new Date(nextAttemptAt).toISOString() }) },
      failed ? 'mail not sent; marked failed' : 'mail not sent; will retry',
    );
    return failed ? 'failed' : 'retried';
  };

  const deliver = async (row: ClaimedRow, token: string): Promise<keyof DrainResult> => {
    let rendered;
    try {
      rendered = renderer.render(row.template, row.toAddress, openMailData(deps, row.id, row.data));
    } catch (err) {
      // The data and templates will be the same next time: retrying cannot help (`mail retry` after a fix).
      return giveUpOrRetry(row, token, `render: ${(err as Error).message}`, true);
    }
    try {
      await transport.send({ from, to: row.toAddress, ...rendered, messageId: `<${row.id}@${messageDomain}>` });
    } catch (err) {
      return giveUpOrRetry(row, token, (err as Error).message ?? String(err), false);
    }
    const marked = markSent.run({ id: row.id, token, now: deps.clock.nowMs() });
    if (marked.changes === 0) {
      // Our lease lapsed during the send and another worker took the message: it may arrive twice.
      deps.logger.warn({ mailId: row.id, template: row.template }, 'mail lease lapsed during send');
    }
    return 'sent';
  };

  return {
    async drain({ limit = 500 } = {}) {
      const result: DrainResult = { sent: 0, retried: 0, failed: 0 };
      // Due means due when the drain started: a message rescheduled by this drain waits for a later one.
      const dueBy = deps.clock.nowMs();
      try {
        for (let i = 0; i < limit; i++) {
          const token = randomUUID();
          const row = claim.immediate({ dueBy, leaseUntil: deps.clock.nowMs() + policy.leaseMs, token });
          if (!row) break;
          result[await deliver(row, token)]++;
        }
      } finally {
        transport.close();
      }
      return result;
    },
  };
}
