import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';

/**
 * Mail is written here in the same transaction as the change that causes it, and sent later by the outbox
 * worker, so an SMTP outage never fails an API call and never loses a message.
 */
export const mailOutbox = sqliteTable(
  'mail_outbox',
  {
    id: text('id').primaryKey(),
    template: text('template').notNull(),
    toAddress: text('to_address').notNull(),
    /**
     * Template variables, sealed with the master key (`{"sealed": …}`, outbox.ts). They may hold a one-time link,
     * so they are never stored in clear, and emptied once the message is sent.
     */
    data: text('data', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    /** Sends started (counted when a worker claims the row). */
    attempts: integer('attempts').notNull().default(0),
    /**
     * When the row is next due. A worker that claims a row pushes this forward by its lease, so a second
     * worker skips it and a crashed worker's claim lapses by itself.
     */
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    /** The claim of the worker sending it now; only that claim may mark the row sent or failed. */
    claimToken: text('claim_token'),
    lastError: text('last_error'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('mail_outbox_due_idx').on(t.status, t.nextAttemptAt)],
);

export type MailOutboxRow = typeof mailOutbox.$inferSelect;
