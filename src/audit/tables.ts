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

/**
 * Published chain heads: "at `published_at` the tenant's chain ended at `seq` with `hmac`", signed as a JWS
 * (RS256) with the tenant's signing key. Copies kept outside the server (the jsonl files, external
 * collectors) let `audit verify` detect a chain that was truncated or rewritten after the head was published.
 */
export const auditHeads = sqliteTable(
  'audit_heads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** 0 with the genesis HMAC while the chain is still empty. */
    seq: integer('seq').notNull(),
    hmac: text('hmac').notNull(),
    /** Milliseconds since the epoch. */
    publishedAt: integer('published_at').notNull(),
    /** The signing key that signed `jws`. */
    kid: text('kid').notNull(),
    /** Compact JWS over the head's JSON (tenant, slug, seq, hmac, publishedAt). */
    jws: text('jws').notNull(),
  },
  (t) => [index('audit_heads_tenant_time_idx').on(t.tenantId, t.publishedAt)],
);

export type AuditHeadRow = typeof auditHeads.$inferSelect;
