-- Issue 11: every tenant is an OpenID Provider. Applications (OAuth clients) of a tenant; secrets only as SHA-256.
CREATE TABLE `oauth_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`client_id` text NOT NULL,
	`name` text NOT NULL,
	`client_type` text NOT NULL,
	`secret_hash` text,
	`redirect_uris` text NOT NULL,
	`post_logout_redirect_uris` text NOT NULL,
	`grant_types` text NOT NULL,
	`scopes` text NOT NULL,
	`access_token_ttl` integer NOT NULL,
	`refresh_token_ttl` integer NOT NULL,
	`enabled` integer NOT NULL DEFAULT 1,
	`secret_rotated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_clients_tenant_client_uq` ON `oauth_clients` (`tenant_id`, `client_id`);
--> statement-breakpoint
-- Tenant sessions (the one session model): an SSO session (client_id NULL) and the grant sessions of the clients
-- signed in through it (parent_session_id = the SSO session; NULL for offline_access, which outlives it).
ALTER TABLE `sessions` ADD `tenant_id` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `client_id` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `parent_session_id` text;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `auth_time` integer;
--> statement-breakpoint
ALTER TABLE `sessions` ADD `scope` text;
--> statement-breakpoint
CREATE INDEX `sessions_parent_idx` ON `sessions` (`parent_session_id`) WHERE `parent_session_id` IS NOT NULL;
