import type { Deps } from '../app/deps.ts';
import type { OutboxQueue } from '../outbox/store.ts';
import type { MailOutboxRow } from './tables.ts';

/**
 * Every statement on `mail_outbox`. The rules (sealing, requeue, purge, auditing) stay in outbox.ts; the delivery
 * bookkeeping (claim, lease, mark sent) is the one outbox loop's (src/outbox/store.ts), over the queue named here.
 * Statements are prepared once per Deps through deps.statement.
 */
type Statements = Pick<Deps, 'statement'>;

export const MAIL_TABLE = 'mail_outbox';

/** The mail outbox as the outbox loop sees it; a sent message's data (it may hold a one-time link) is emptied. */
export const MAIL_QUEUE: OutboxQueue = { table: MAIL_TABLE, columns: 'template, to_address AS toAddress, data', onSent: "data = '{}'" };

/** What a claim of the mail queue returns (MAIL_QUEUE.columns); `data` as stored. */
export interface ClaimedMail {
  id: string;
  template: string;
  toAddress: string;
  data: string;
  attempts: number;
}

interface MailRecord {
  id: string;
  template: string;
  to_address: string;
  data: string;
  status: MailOutboxRow['status'];
  attempts: number;
  next_attempt_at: number;
  claim_token: string | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

const COLUMNS = 'id, template, to_address, data, status, attempts, next_attempt_at, claim_token, last_error, created_at, sent_at';

function toMail(r: MailRecord): MailOutboxRow {
  return {
    id: r.id,
    template: r.template,
    toAddress: r.to_address,
    data: JSON.parse(r.data) as Record<string, unknown>,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    claimToken: r.claim_token,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    sentAt: r.sent_at === null ? null : new Date(r.sent_at),
  };
}

export function insertMail(deps: Statements, mail: { id: string; template: string; toAddress: string; data: unknown; now: Date }): void {
  deps
    .statement(
      `INSERT INTO mail_outbox (id, template, to_address, data, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
    )
    .run(mail.id, mail.template, mail.toAddress, JSON.stringify(mail.data), mail.now.getTime(), mail.now.getTime());
}

export function selectMail(deps: Statements, id: string): MailOutboxRow | undefined {
  const r = deps.statement(`SELECT ${COLUMNS} FROM mail_outbox WHERE id = ?`).get(id) as MailRecord | undefined;
  return r ? toMail(r) : undefined;
}

/** The queue (or one status of it), newest first. */
export function selectOutbox(deps: Statements, filter: { status?: MailOutboxRow['status']; limit: number }): MailOutboxRow[] {
  const rows = filter.status === undefined
    ? deps.statement(`SELECT ${COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id DESC LIMIT ?`).all(filter.limit)
    : deps.statement(`SELECT ${COLUMNS} FROM mail_outbox WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?`).all(filter.status, filter.limit);
  return (rows as MailRecord[]).map(toMail);
}

export function selectFailedMail(deps: Statements): MailOutboxRow[] {
  return (deps.statement(`SELECT ${COLUMNS} FROM mail_outbox WHERE status = 'failed' ORDER BY created_at`).all() as MailRecord[]).map(toMail);
}

/** Due at `now` with a fresh set of attempts and no claim; the row as it is now. */
export function requeueMailRow(deps: Statements, id: string, now: Date): MailOutboxRow {
  const r = deps
    .statement(`UPDATE mail_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, claim_token = NULL WHERE id = ? RETURNING ${COLUMNS}`)
    .get(now.getTime(), id) as MailRecord;
  return toMail(r);
}

/** Deletes messages sent before `cutoff`; how many. */
export function deleteSentBefore(deps: Statements, cutoff: Date): number {
  return deps.statement("DELETE FROM mail_outbox WHERE status = 'sent' AND sent_at < ?").run(cutoff.getTime()).changes;
}
