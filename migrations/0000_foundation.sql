CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`legacy_code` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_slug_unique` ON `tenants` (`slug`);--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_legacy_code_unique` ON `tenants` (`legacy_code`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`full_name` text NOT NULL,
	`password_hash` text,
	`global_role` text DEFAULT 'NONE' NOT NULL,
	`approval_status` text DEFAULT 'PENDING' NOT NULL,
	`is_active` integer DEFAULT false NOT NULL,
	`auth_provider` text DEFAULT 'password' NOT NULL,
	`phone_number` text,
	`profile_picture_url` text,
	`token_version` integer DEFAULT 1 NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_approval_idx` ON `users` (`approval_status`);--> statement-breakpoint
CREATE INDEX `users_global_role_idx` ON `users` (`global_role`);--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`alg` text DEFAULT 'RS256' NOT NULL,
	`status` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_key_enc` blob NOT NULL,
	`master_key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`deactivated_at` integer,
	`retired_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `signing_keys_tenant_idx` ON `signing_keys` (`tenant_id`,`status`);--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`channel` text NOT NULL,
	`event_type` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`payload` text NOT NULL,
	`key_id` text NOT NULL,
	`prev_hmac` text NOT NULL,
	`hmac` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_entries_tenant_seq_uq` ON `audit_entries` (`tenant_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_entries_type_idx` ON `audit_entries` (`tenant_id`,`event_type`);