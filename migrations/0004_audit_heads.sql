CREATE TABLE `audit_heads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`seq` integer NOT NULL,
	`hmac` text NOT NULL,
	`published_at` integer NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_heads_tenant_time_idx` ON `audit_heads` (`tenant_id`,`published_at`);