-- Magic sign-in links (src/magic-links): the token's SHA-256 only, 15 minutes, single use.
CREATE TABLE `magic_link_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL REFERENCES `users`(`id`),
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `magic_link_tokens_user_idx` ON `magic_link_tokens` (`user_id`, `used_at`);
