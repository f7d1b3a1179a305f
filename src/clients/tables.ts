import { sqliteTable, text, integer, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tenants } from '../tenants/tables.ts';

export const CLIENT_TYPES = ['public', 'confidential'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** RFC 8693 token exchange: agent API tokens and acting on behalf of a group (src/oidc/grants/token-exchange.ts). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * An application registered in one tenant (an OAuth 2.0 / OIDC client). `client_id` is unique within the tenant;
 * a confidential client's secret is stored only as SHA-256 (it is 256 random bits, shown once).
 * List columns are JSON arrays of strings.
 */
export const oauthClients = sqliteTable(
  'oauth_clients',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    clientId: text('client_id').notNull(),
    name: text('name').notNull(),
    clientType: text('client_type', { enum: CLIENT_TYPES }).notNull(),
    secretHash: text('secret_hash'),
    redirectUris: text('redirect_uris').notNull(),
    postLogoutRedirectUris: text('post_logout_redirect_uris').notNull(),
    grantTypes: text('grant_types').notNull(),
    scopes: text('scopes').notNull(),
    accessTokenTtl: integer('access_token_ttl').notNull(),
    refreshTokenTtl: integer('refresh_token_ttl').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    secretRotatedAt: integer('secret_rotated_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('oauth_clients_tenant_client_uq').on(t.tenantId, t.clientId)],
);
