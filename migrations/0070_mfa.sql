-- TOTP MFA (src/mfa). One authenticator per user: the RFC 6238 secret AES-256-GCM under the master key (never in
-- clear), `pending` until the first code confirms it; `last_step` is the highest time step accepted, so a code
-- (or an older one) is never accepted twice.
CREATE TABLE `mfa_totp` (
	`user_id` text PRIMARY KEY NOT NULL REFERENCES `users`(`id`),
	`secret_sealed` text NOT NULL,
	`status` text NOT NULL,
	`last_step` integer,
	`created_at` integer NOT NULL,
	`confirmed_at` integer
);
--> statement-breakpoint
-- One-time recovery codes: only their SHA-256 is stored (80 random bits each).
CREATE TABLE `mfa_recovery_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL REFERENCES `users`(`id`),
	`created_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `mfa_recovery_codes_user_idx` ON `mfa_recovery_codes` (`user_id`);
--> statement-breakpoint
-- The second step of a sign-in whose first factor (password, magic link) is proven: the mfaToken's SHA-256,
-- short-lived and single use. `purpose` verify = a code completes it; enroll = the tenant requires MFA and the
-- user has none yet, so the token allows only TOTP enrolment and its confirmation.
CREATE TABLE `mfa_challenges` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL REFERENCES `users`(`id`),
	`purpose` text NOT NULL,
	`first_factor` text NOT NULL,
	`failures` integer NOT NULL DEFAULT 0,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `mfa_challenges_expires_idx` ON `mfa_challenges` (`expires_at`);
--> statement-breakpoint
-- Tenants that require MFA of their active members (`kimauth tenants update acme --require-mfa`).
CREATE TABLE `tenant_mfa_policies` (
	`tenant_id` text PRIMARY KEY NOT NULL REFERENCES `tenants`(`id`),
	`require_mfa` integer NOT NULL,
	`updated_at` integer NOT NULL
);
