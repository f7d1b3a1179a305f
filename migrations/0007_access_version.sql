-- One counter bumped by every write that can change someone's effective access (src/access/tables.ts accessVersion).
-- Triggers, not service calls, so writes by any context and any process are seen by every process's cache.
INSERT INTO `access_version` (`id`, `version`) VALUES (1, 1);
--> statement-breakpoint
CREATE TRIGGER `company_memberships_insert_bumps_access_version` AFTER INSERT ON `company_memberships` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `company_memberships_update_bumps_access_version` AFTER UPDATE ON `company_memberships` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `company_memberships_delete_bumps_access_version` AFTER DELETE ON `company_memberships` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `company_entitlements_insert_bumps_access_version` AFTER INSERT ON `company_entitlements` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `company_entitlements_update_bumps_access_version` AFTER UPDATE ON `company_entitlements` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `company_entitlements_delete_bumps_access_version` AFTER DELETE ON `company_entitlements` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_modules_insert_bumps_access_version` AFTER INSERT ON `membership_modules` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_modules_update_bumps_access_version` AFTER UPDATE ON `membership_modules` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_modules_delete_bumps_access_version` AFTER DELETE ON `membership_modules` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_permissions_insert_bumps_access_version` AFTER INSERT ON `membership_permissions` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_permissions_update_bumps_access_version` AFTER UPDATE ON `membership_permissions` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `membership_permissions_delete_bumps_access_version` AFTER DELETE ON `membership_permissions` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `module_catalog_insert_bumps_access_version` AFTER INSERT ON `module_catalog` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `module_catalog_update_bumps_access_version` AFTER UPDATE ON `module_catalog` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `module_catalog_delete_bumps_access_version` AFTER DELETE ON `module_catalog` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `user_access_preferences_insert_bumps_access_version` AFTER INSERT ON `user_access_preferences` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `user_access_preferences_update_bumps_access_version` AFTER UPDATE ON `user_access_preferences` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `user_access_preferences_delete_bumps_access_version` AFTER DELETE ON `user_access_preferences` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `users_update_bumps_access_version` AFTER UPDATE OF `token_version`, `global_role`, `is_active`, `deleted_at`, `approval_status`, `email`, `full_name` ON `users` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
-- A removed membership takes its module grants and permissions with it (they are keyed by company and user).
CREATE TRIGGER `company_memberships_delete_drops_grants` AFTER DELETE ON `company_memberships` BEGIN DELETE FROM `membership_modules` WHERE `company_id` = OLD.`company_id` AND `user_id` = OLD.`user_id`; DELETE FROM `membership_permissions` WHERE `company_id` = OLD.`company_id` AND `user_id` = OLD.`user_id`; END;
