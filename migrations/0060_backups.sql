-- Backups taken by `kimauth backup` and the nightly job (src/operations/backup): what `doctor` reads for the last
-- backup's age. The archive itself lives outside the database.
CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`taken_at` integer NOT NULL,
	`kind` text NOT NULL,
	`file` text NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`sealing` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `backups_taken_at_idx` ON `backups` (`taken_at`);
