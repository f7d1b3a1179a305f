-- Agents (seed 000): non-human actors of a tenant, owned by a user or a group, with their own grants (always a
-- subset of the owner's) and an API token of which only the SHA-256 is kept.
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`) ON DELETE CASCADE,
	`name` text NOT NULL,
	`owner_type` text NOT NULL CHECK (`owner_type` IN ('user', 'group')),
	`owner_id` text NOT NULL,
	`permissions` text NOT NULL,
	`audiences` text NOT NULL,
	`token_hash` text NOT NULL,
	`status` text NOT NULL DEFAULT 'active' CHECK (`status` IN ('active', 'revoked')),
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`revoked_at` integer,
	`token_rotated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_tenant_name` ON `agents` (`tenant_id`, `name`);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_token_hash` ON `agents` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `agents_by_owner` ON `agents` (`tenant_id`, `owner_type`, `owner_id`);
