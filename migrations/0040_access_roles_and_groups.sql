-- Access roles, hierarchical groups and their grants (src/permissions/store.ts). Access roles are bundles of
-- permissions, not the membership roles (TENANT_SUPERADMIN…) that carry administrative authority.
CREATE TABLE `access_roles` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`client_id` text,
	`name` text NOT NULL,
	`description` text,
	`permissions` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_roles_name_uq` ON `access_roles` (`tenant_id`, ifnull(`client_id`, ''), `name`);
--> statement-breakpoint
CREATE TABLE `access_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`parent_id` text,
	`name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`parent_id`) REFERENCES `access_groups`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_groups_name_uq` ON `access_groups` (`tenant_id`, `name`);
--> statement-breakpoint
CREATE INDEX `access_groups_parent_idx` ON `access_groups` (`parent_id`);
--> statement-breakpoint
CREATE TABLE `access_group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `access_groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `access_group_members_user_idx` ON `access_group_members` (`tenant_id`, `user_id`);
--> statement-breakpoint
CREATE TABLE `access_group_permissions` (
	`group_id` text NOT NULL,
	`permission` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `permission`),
	FOREIGN KEY (`group_id`) REFERENCES `access_groups`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `access_group_permissions_tenant_idx` ON `access_group_permissions` (`tenant_id`);
--> statement-breakpoint
CREATE TABLE `access_role_assignments` (
	`role_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`role_id`, `subject_type`, `subject_id`),
	FOREIGN KEY (`role_id`) REFERENCES `access_roles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `access_role_assignments_subject_idx` ON `access_role_assignments` (`tenant_id`, `subject_type`, `subject_id`);
--> statement-breakpoint
-- Every write here can change someone's effective permissions: bump access_version (migration 0007) so every
-- process's cache sees it on the next request.
CREATE TRIGGER `access_roles_insert_bumps_access_version` AFTER INSERT ON `access_roles` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_roles_update_bumps_access_version` AFTER UPDATE ON `access_roles` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_roles_delete_bumps_access_version` AFTER DELETE ON `access_roles` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_groups_insert_bumps_access_version` AFTER INSERT ON `access_groups` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_groups_update_bumps_access_version` AFTER UPDATE ON `access_groups` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_groups_delete_bumps_access_version` AFTER DELETE ON `access_groups` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_group_members_insert_bumps_access_version` AFTER INSERT ON `access_group_members` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_group_members_delete_bumps_access_version` AFTER DELETE ON `access_group_members` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_group_permissions_insert_bumps_access_version` AFTER INSERT ON `access_group_permissions` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_group_permissions_delete_bumps_access_version` AFTER DELETE ON `access_group_permissions` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_role_assignments_insert_bumps_access_version` AFTER INSERT ON `access_role_assignments` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `access_role_assignments_delete_bumps_access_version` AFTER DELETE ON `access_role_assignments` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
-- A removed membership takes the user's group memberships and role assignments in that tenant with it.
CREATE TRIGGER `company_memberships_delete_drops_access_roles_and_groups` AFTER DELETE ON `company_memberships` BEGIN DELETE FROM `access_group_members` WHERE `tenant_id` = OLD.`company_id` AND `user_id` = OLD.`user_id`; DELETE FROM `access_role_assignments` WHERE `tenant_id` = OLD.`company_id` AND `subject_type` = 'user' AND `subject_id` = OLD.`user_id`; END;
