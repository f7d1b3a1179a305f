-- Upstream OpenID providers per tenant (src/upstream-idps): sign-in on the hosted page through Google, Entra, Keycloak…
CREATE TABLE `upstream_idps` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`issuer` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_sealed` text NOT NULL,
	`scopes` text NOT NULL,
	`allowed_domains` text NOT NULL DEFAULT '[]',
	`link_by_verified_email` integer NOT NULL DEFAULT 0,
	`create_users` integer NOT NULL DEFAULT 1,
	`auth_provider` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `upstream_idps_tenant_name_idx` ON `upstream_idps` (`tenant_id`, `name`);
--> statement-breakpoint
CREATE TABLE `upstream_idp_links` (
	`idp_id` text NOT NULL REFERENCES `upstream_idps`(`id`) ON DELETE CASCADE,
	`subject` text NOT NULL,
	`user_id` text NOT NULL REFERENCES `users`(`id`),
	`provider_name` text NOT NULL,
	`issuer` text NOT NULL,
	`email` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY (`idp_id`, `subject`)
);
--> statement-breakpoint
CREATE INDEX `upstream_idp_links_user_idx` ON `upstream_idp_links` (`user_id`);
--> statement-breakpoint
CREATE TABLE `upstream_sign_ins` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`idp_id` text NOT NULL REFERENCES `upstream_idps`(`id`) ON DELETE CASCADE,
	`nonce` text NOT NULL,
	`code_verifier_sealed` text NOT NULL,
	`request` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `upstream_sign_ins_expiry_idx` ON `upstream_sign_ins` (`expires_at`);
