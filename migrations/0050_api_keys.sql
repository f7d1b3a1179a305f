-- Tenant API keys (src/api-keys): `kimauth_<slug>_<base62>`; only the SHA-256 of the key is stored.
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by_type` text NOT NULL,
	`created_by_id` text,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`key_hash`);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_tenant_name_idx` ON `api_keys` (`tenant_id`, `name`) WHERE `revoked_at` IS NULL;
