import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';
import { users } from '../identity/tables.ts';

/** A server-side session: the `sessionId` claim. Revoking it stops its refresh tokens and access tokens. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    authType: text('auth_type').notNull().default('internal'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }).notNull(),
    /** Absolute end of the refresh window. */
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
    revokeReason: text('revoke_reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId, t.revokedAt)],
);

/**
 * Opaque refresh tokens, stored only as SHA-256. One current token per session; rotated ones are kept so that
 * presenting one again is recognised as reuse (and revokes the session).
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    rotatedAt: integer('rotated_at', { mode: 'timestamp_ms' }),
    /**
     * With KIMAUTH_REFRESH_REUSE_GRACE: the token that replaced this one, sealed with the master key
     * (`<keyId>.<base64 iv|tag|ciphertext>`), so a client that lost the refresh response can get it again.
     * Emptied when the successor is used or the grace ends.
     */
    successorSealed: text('successor_sealed'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

export type SessionRow = typeof sessions.$inferSelect;
