-- OIDC email_verified (issue 11): when kimauth last saw proof that the user controls their current email — a link
-- it mailed there was used (password reset, set-password link, magic link, accepted invitation). NULL: no proof.
ALTER TABLE `users` ADD `email_verified_at` integer;
--> statement-breakpoint
-- Existing accounts: the same proofs, read from the audit chain (the only record that names who used which link).
UPDATE `users` SET `email_verified_at` = (
  SELECT MAX(a.`at`) FROM `audit_entries` a
   WHERE (a.`target_id` = `users`.`id` AND a.`event_type` = 'magic_link.used')
      OR (a.`target_id` = `users`.`id` AND a.`event_type` = 'user.password_changed'
          AND json_extract(a.`payload`, '$.via') IN ('password_reset', 'set_password_link'))
      OR (a.`event_type` = 'invitation.accepted' AND json_extract(a.`payload`, '$.userId') = `users`.`id`)
);
--> statement-breakpoint
-- …unless the email was changed after that proof: the new address has not been proven.
UPDATE `users` SET `email_verified_at` = NULL
 WHERE `email_verified_at` IS NOT NULL AND EXISTS (
  SELECT 1 FROM `audit_entries` a, json_each(a.`payload`, '$.fields') f
   WHERE a.`target_id` = `users`.`id` AND a.`event_type` = 'user.updated' AND a.`at` >= `users`.`email_verified_at` AND f.`value` = 'email'
);
