-- Disabling or enabling a company changes who may access it: /auth/me/access caches must see it on the next call.
CREATE TRIGGER `tenants_status_bumps_access_version` AFTER UPDATE OF `status` ON `tenants` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
