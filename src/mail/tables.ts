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
    /** Template variables (JSON). May hold a one-time link; the row is deleted data-wise once sent. */
    data: text('data', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    lastError: text('last_error'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('mail_outbox_due_idx').on(t.status, t.nextAttemptAt)],
);

export type MailOutboxRow = typeof mailOutbox.$inferSelect;
