-- Authorization codes (single use, 60 s), only their SHA-256 stored; `grant_session_id` is what the code issued,
-- revoked when the code is presented again (RFC 6749 §4.1.2).
CREATE TABLE `oidc_authorization_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`code_challenge` text,
	`scope` text NOT NULL,
	`nonce` text,
	`sso_session_id` text NOT NULL,
	`user_id` text NOT NULL,
	`auth_time` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`grant_session_id` text
);
--> statement-breakpoint
CREATE INDEX `oidc_authorization_codes_expiry_idx` ON `oidc_authorization_codes` (`expires_at`);
--> statement-breakpoint
-- The per-tenant SSO cookie: only its SHA-256, pointing at the SSO session.
CREATE TABLE `oidc_browser_sessions` (
	`cookie_hash` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `oidc_browser_sessions_session_idx` ON `oidc_browser_sessions` (`session_id`);
--> statement-breakpoint
-- How the hosted sign-in page looks for a tenant.
CREATE TABLE `tenant_branding` (
	`tenant_id` text PRIMARY KEY NOT NULL REFERENCES `tenants`(`id`),
	`display_name` text,
	`logo_url` text,
	`accent_color` text,
	`updated_at` integer NOT NULL
);
