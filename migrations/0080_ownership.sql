-- The ownership registry (seed 000): who owns a resource of an application. kimauth stores the owner, never the resource.
CREATE TABLE `resource_owners` (
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`) ON DELETE CASCADE,
	`app` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text NOT NULL,
	`owner_type` text NOT NULL CHECK (`owner_type` IN ('user', 'group', 'agent')),
	`owner_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY (`tenant_id`, `app`, `resource_type`, `resource_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `resource_owners_by_owner` ON `resource_owners` (`tenant_id`, `owner_type`, `owner_id`, `app`, `resource_type`, `resource_id`);
--> statement-breakpoint
-- What owners may do to their own resources, per resource type (`kimauth tenants owner-policy set`).
CREATE TABLE `owner_policies` (
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`) ON DELETE CASCADE,
	`resource_type` text NOT NULL,
	`actions` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY (`tenant_id`, `resource_type`)
) WITHOUT ROWID;
