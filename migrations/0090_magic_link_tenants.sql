-- Tenants whose hosted sign-in page offers "email me a link" (`kimauth tenants update acme --magic-links`).
CREATE TABLE `tenant_magic_link_settings` (
	`tenant_id` text PRIMARY KEY NOT NULL REFERENCES `tenants`(`id`),
	`enabled` integer NOT NULL,
	`updated_at` integer NOT NULL
);
