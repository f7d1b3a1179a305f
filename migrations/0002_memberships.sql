CREATE TABLE `user_set_password_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `user_set_password_tokens_user_idx` ON `user_set_password_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `business_unit_memberships` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`company_id` text NOT NULL,
	`business_unit_id` text NOT NULL,
	`role` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`company_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `business_unit_memberships_user_company_bu_uq` ON `business_unit_memberships` (`user_id`,`company_id`,`business_unit_id`);--> statement-breakpoint
CREATE INDEX `business_unit_memberships_bu_idx` ON `business_unit_memberships` (`company_id`,`business_unit_id`,`is_active`);--> statement-breakpoint
CREATE TABLE `company_memberships` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`company_id` text NOT NULL,
	`role` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`approval_limit` text,
	`metadata` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`company_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `company_memberships_user_company_uq` ON `company_memberships` (`user_id`,`company_id`);--> statement-breakpoint
CREATE INDEX `company_memberships_company_idx` ON `company_memberships` (`company_id`,`is_active`);--> statement-breakpoint
ALTER TABLE `users` ADD `approved_at` integer;