import type { Deps } from '../app/deps.ts';
import { createMailRenderer, type MailRenderer } from './templates.ts';
import { openMailData } from './outbox.ts';
import { MAIL_QUEUE, type ClaimedMail } from './store.ts';
import type { MailAddress, MailTransport } from './transport.ts';
import { createOutboxLoop, retryDelayMs as retryDelay, type DeliveryOutcome, type DrainResult, type RetryPolicy } from '../outbox/loop.ts';

/**
 * When a send fails the message waits 30 s, 1 min, 2 min, … (doubling, capped at 1 h) and is marked failed
 * after 12 sends (about 6 h of outage). A failed message stays in the outbox until `kimauth mail retry`.
 * The lease is how long a claim keeps other workers off a message; it must outlast one SMTP send
 * (SMTP_TIMEOUTS_MS) so a slow send is never taken over, yet lapse on its own when a worker dies mid-send.
 */
export type MailRetryPolicy = RetryPolicy;

export const MAIL_RETRY_POLICY: MailRetryPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  maxAttempts: 12,
  leaseMs: 5 * 60_000,
};

/** Delay before the next send after `attempts` failed sends (attempts ≥ 1). */
export function retryDelayMs(attempts: number, policy: MailRetryPolicy = MAIL_RETRY_POLICY): number {
  return retryDelay(attempts, policy);
}

export type { DrainResult };

export interface MailOutboxWorker {
  /** Sends every message due now, each at most once per drain; never throws for a failed send. */
  drain(options?: { limit?: number }): Promise<DrainResult>;
}

function sender(emailFrom: string, appName: string): string | MailAddress {
  // A bare address gets the app name as its display name; "Name <address>" is used as written.
  return emailFrom.includes('<') ? emailFrom : { name: appName, address: emailFrom.trim() };
}

/**
 * The mail outbox worker: the one outbox loop (src/outbox/loop.ts) delivering mail_outbox rows over SMTP. Each
 * message is claimed in its own IMMEDIATE transaction, sent with no transaction open, then marked sent — its
 * data emptied — or rescheduled with backoff. Delivery is at least once; the stable Message-ID lets the
 * receiving side drop a duplicate.
 */
export function createMailOutboxWorker(
  deps: Deps,
  transport: MailTransport = deps.mailTransport,
  options: { renderer?: MailRenderer; policy?: MailRetryPolicy } = {},
): MailOutboxWorker {
  const renderer = options.renderer ?? createMailRenderer(deps.config);
  const from = sender(deps.config.emailFrom, deps.config.emailAppName);
  const messageDomain = /@([^>\s]+)/.exec(deps.config.emailFrom)?.[1] ?? 'kimauth.invalid';

  const deliver = async (row: ClaimedMail): Promise<DeliveryOutcome> => {
    let rendered;
    try {
      rendered = renderer.render(row.template, row.toAddress, openMailData(deps, row.id, row.data));
    } catch (err) {
      // The data and templates will be the same next time: retrying cannot help (`mail retry` after a fix).
      return { result: 'give-up', error: `render: ${(err as Error).message}` };
    }
    try {
      await transport.send({ from, to: row.toAddress, ...rendered, messageId: `<${row.id}@${messageDomain}>` });
    } catch (err) {
      return { result: 'retry', error: (err as Error).message ?? String(err) };
    }
    return { result: 'sent' };
  };

  const loop = createOutboxLoop<ClaimedMail>(deps, {
    queue: MAIL_QUEUE,
    policy: options.policy ?? MAIL_RETRY_POLICY,
    deliver,
    describe: (row) => ({ mailId: row.id, template: row.template }),
    noun: 'mail',
    afterDrain: () => transport.close(),
  });
  return { drain: (drainOptions) => loop.drain(drainOptions) };
}
