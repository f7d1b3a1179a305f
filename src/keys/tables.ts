import { sqliteTable, text, integer, index, blob } from 'drizzle-orm/sqlite-core';
import { tenants } from '../tenants/tables.ts';

/**
 * RS256 signing keys, one active per tenant. `active` signs; `inactive` (rotated out) is still published
 * in the JWKS so tokens it signed verify until they expire; `retired` is gone from the JWKS.
 */
export const KEY_STATUSES = ['active', 'inactive', 'retired'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const signingKeys = sqliteTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    alg: text('alg').notNull().default('RS256'),
    status: text('status', { enum: KEY_STATUSES }).notNull(),
    publicJwk: text('public_jwk', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    /** PKCS#8 DER, AES-256-GCM under the master key: iv(12) | tag(16) | ciphertext. */
    privateKeyEnc: blob('private_key_enc', { mode: 'buffer' }).notNull(),
    /** Which master key encrypted it. */
    masterKeyId: text('master_key_id').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /** When a newer key took over signing. */
    deactivatedAt: integer('deactivated_at', { mode: 'timestamp_ms' }),
    retiredAt: integer('retired_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('signing_keys_tenant_idx').on(t.tenantId, t.status)],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
