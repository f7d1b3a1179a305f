import { sqliteTable, text, integer, uniqueIndex, index } from 'drizzle-orm/sqlite-core';
import { tenants } from '../tenants/tables.ts';

/**
 * One HMAC chain per tenant. `hmac` covers every other column and `prev_hmac`, keyed by a key derived
 * from the master key identified by `key_id`, so a changed, removed or reordered entry breaks the chain.
 */
export const auditEntries = sqliteTable(
  'audit_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    seq: integer('seq').notNull(),
    /** Milliseconds since the epoch. */
    at: integer('at').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    channel: text('channel').notNull(),
    eventType: text('event_type').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    /** Canonical JSON, no secrets. */
    payload: text('payload').notNull(),
    keyId: text('key_id').notNull(),
    prevHmac: text('prev_hmac').notNull(),
    hmac: text('hmac').notNull(),
  },
  (t) => [
    uniqueIndex('audit_entries_tenant_seq_uq').on(t.tenantId, t.seq),
    index('audit_entries_type_idx').on(t.tenantId, t.eventType),
  ],
);

export type AuditEntryRow = typeof auditEntries.$inferSelect;
