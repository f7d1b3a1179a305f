import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import type { MailOutboxRow } from './tables.ts';
import { deleteSentBefore, insertMail, MAIL_TABLE, requeueMailRow, selectFailedMail, selectMail, selectOutbox } from './store.ts';
import { outboxDepth, type OutboxDepth } from '../outbox/store.ts';
import type { z } from 'zod';
import type { MailDataSchemas } from './templates.ts';

/** Every message kimauth sends; each has templates/email/<name>/{subject.txt,body.html,body.txt}. */
export const MAIL_TEMPLATES = [
  'registration-received',
  'password-reset',
  'password-changed',
  'user-created',
  'account-approved',
  'account-rejected',
  'account-deactivated',
  'account-deleted',
  'password-changed-by-admin',
  'email-changed',
  'invitation',
  'magic-link',
] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

/** What each template takes (the zod contract in templates.ts), so a caller cannot queue data it cannot render. */
export type MailData<T extends MailTemplate> = z.input<MailDataSchemas[T]>;

export interface OutgoingMail<T extends MailTemplate = MailTemplate> {
  template: T;
  to: string;
  data: MailData<T>;
}

/** The message id is bound as associated data: a sealed payload copied to another row does not open. */
const sealContext = (mailId: string) => `mail-outbox:${mailId}`;

/**
 * Message data as stored: `{"sealed": "<masterKeyId>.<base64 iv|tag|ciphertext>"}`, AES-256-GCM under the master
 * key's secret-encryption subkey (as signing keys are). It holds one-time links, so it is never in clear in the
 * database file, its WAL or its freed pages; a copy of the data dir without the master key opens nothing.
 */
function sealMailData(deps: Deps, mailId: string, data: unknown): { sealed: string } {
  return { sealed: sealToText(deps.masterKeys, JSON.stringify(data), sealContext(mailId)) };
}

/** The template data of an outbox row (`data` column as stored). Rows queued before encryption are read as they are. */
export function openMailData(deps: Deps, mailId: string, stored: string): Record<string, unknown> {
  const parsed = JSON.parse(stored) as Record<string, unknown>;
  if (typeof parsed.sealed !== 'string') return parsed;
  return JSON.parse(openSealedText(deps.masterKeys, parsed.sealed, sealContext(mailId))) as Record<string, unknown>;
}

/**
 * Queues a message inside the caller's transaction (the change and its mail commit or roll back together).
 * With KIMAUTH_EMAIL_ENABLED=false nothing is queued.
 */
export function enqueueMail<T extends MailTemplate>(deps: Deps, mail: OutgoingMail<T>): string | null {
  if (!deps.sqlite.inTransaction) throw new Error(`mail ${mail.template} must be queued inside the transaction of its change`);
  if (!deps.config.emailEnabled) return null;
  const id = randomUUID();
  const now = deps.clock.now();
  insertMail(deps, { id, template: mail.template, toAddress: mail.to, data: sealMailData(deps, id, mail.data), now });
  return id;
}

export type MailStatus = MailOutboxRow['status'];
export const MAIL_STATUSES: readonly MailStatus[] = ['pending', 'sent', 'failed'];

/** The queue, newest first (operators: `kimauth mail outbox`). */
export function listOutbox(deps: Deps, filter: { status?: MailStatus; limit?: number } = {}): MailOutboxRow[] {
  return selectOutbox(deps, { status: filter.status || undefined, limit: filter.limit ?? 100 });
}

function requeueRow(deps: Deps, row: MailOutboxRow, actor: Actor): MailOutboxRow {
  const updated = requeueMailRow(deps, row.id, deps.clock.now());
  deps.audit.append(deps.platformTenantId(), {
    actor,
    type: 'mail.requeued',
    target: { type: 'mail', id: row.id },
    payload: { template: row.template, previousStatus: row.status, previousAttempts: row.attempts },
  });
  return updated;
}

/**
 * Puts one message back in the queue, due now with a fresh set of attempts: a failed one, or a pending one
 * to send it without waiting for its backoff. A sent message cannot be requeued (its data is gone).
 */
export function requeueMail(deps: Deps, id: string, actor: Actor): MailOutboxRow {
  return deps.sqlite.transaction(() => {
    const row = selectMail(deps, id);
    if (!row) throw notFound(`Mail ${id}`);
    if (row.status === 'sent') throw conflict(`Mail ${id} was already sent; it cannot be requeued`);
    return requeueRow(deps, row, actor);
  })();
}

/** Requeues every failed message (after an SMTP outage longer than the retry window, or a config fix). */
export function requeueFailedMail(deps: Deps, actor: Actor): MailOutboxRow[] {
  return deps.sqlite.transaction(() => selectFailedMail(deps).map((row) => requeueRow(deps, row, actor)))();
}

/** How deep the mail queue is and how much of it failed (the one outbox loop's depth, src/outbox). */
export function mailOutboxDepth(deps: Deps): OutboxDepth {
  return outboxDepth(deps, MAIL_TABLE, deps.clock.nowMs());
}

/** Sent messages are kept this long (their data is already emptied), then deleted. */
export const SENT_MAIL_RETENTION_MS = 30 * 24 * 60 * 60_000;

export function purgeSentMail(deps: Deps, actor: Actor, retentionMs = SENT_MAIL_RETENTION_MS): number {
  const cutoff = new Date(deps.clock.nowMs() - retentionMs);
  return deps.sqlite.transaction(() => {
    const deleted = deleteSentBefore(deps, cutoff);
    if (deleted > 0) {
      deps.audit.append(deps.platformTenantId(), {
        actor,
        type: 'mail.purged',
        payload: { deleted, sentBefore: cutoff.toISOString() },
      });
    }
    return deleted;
  })();
}
