import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { mailOutbox } from './tables.ts';

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
  'invitation',
] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

export interface OutgoingMail {
  template: MailTemplate;
  to: string;
  data: Record<string, unknown>;
}

/**
 * Queues a message inside the caller's transaction (the change and its mail commit or roll back together).
 * With KIMAUTH_EMAIL_ENABLED=false nothing is queued.
 */
export function enqueueMail(deps: Deps, mail: OutgoingMail): string | null {
  if (!deps.sqlite.inTransaction) throw new Error(`mail ${mail.template} must be queued inside the transaction of its change`);
  if (!deps.config.emailEnabled) return null;
  const id = randomUUID();
  const now = deps.clock.now();
  deps.db
    .insert(mailOutbox)
    .values({ id, template: mail.template, toAddress: mail.to, data: mail.data, status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now })
    .run();
  return id;
}
