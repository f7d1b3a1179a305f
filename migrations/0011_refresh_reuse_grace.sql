-- KIMAUTH_REFRESH_REUSE_GRACE: the successor of a just-rotated refresh token, AES-256-GCM under the master key
-- (never in clear), kept only until its grace ends or the successor is used.
ALTER TABLE `refresh_tokens` ADD `successor_sealed` text;
--> statement-breakpoint
CREATE INDEX `refresh_tokens_successor_sealed_idx` ON `refresh_tokens` (`rotated_at`) WHERE `successor_sealed` IS NOT NULL;
