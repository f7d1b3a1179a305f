-- Tenant VAT settings (src/vat): the seller's VAT ID, member state of identification and OSS return format.
CREATE TABLE `tenant_vat_settings` (
	`tenant_id` text PRIMARY KEY NOT NULL REFERENCES `tenants`(`id`),
	`vat_id` text NOT NULL,
	`member_state` text NOT NULL,
	`oss_format` text NOT NULL,
	`scheme` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
-- Every VIES consultation that got an answer (src/vat): the day cache, and the evidence of a reverse charge.
CREATE TABLE `vies_consultations` (
	`id` text PRIMARY KEY NOT NULL,
	`vat_id` text NOT NULL,
	`day` text NOT NULL,
	`outcome` text NOT NULL,
	`request_identifier` text,
	`trader_name` text,
	`checked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `vies_consultations_vat_day_idx` ON `vies_consultations` (`vat_id`, `day`);
--> statement-breakpoint
-- ECB euro reference rates (src/fx): units of `currency` per 1 EUR, as the ECB publishes the decimal.
CREATE TABLE `fx_rates` (
	`currency` text NOT NULL,
	`day` text NOT NULL,
	`rate` text NOT NULL,
	`imported_at` integer NOT NULL,
	PRIMARY KEY (`currency`, `day`)
);
--> statement-breakpoint
-- Payment profiles (src/payments): where an actor's money goes. `accounts` is JSON {provider: account id}.
CREATE TABLE `payment_profiles` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`name` text NOT NULL,
	`country` text NOT NULL,
	`vat_id` text,
	`accounts` text NOT NULL,
	`is_default` integer NOT NULL DEFAULT 0,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_profiles_actor_idx` ON `payment_profiles` (`tenant_id`, `actor_type`, `actor_id`);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_profiles_one_default_uq` ON `payment_profiles` (`tenant_id`, `actor_type`, `actor_id`) WHERE `is_default` = 1;
--> statement-breakpoint
-- Reported payments: amounts in integer minor units; the treatment decided when reported, never rewritten.
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`profile_id` text NOT NULL REFERENCES `payment_profiles`(`id`),
	`resource_app` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`buyer_country` text NOT NULL,
	`buyer_kind` text NOT NULL,
	`buyer_vat_id` text,
	`supply_type` text NOT NULL,
	`provider` text NOT NULL,
	`charge_id` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`period` text NOT NULL,
	`treatment` text NOT NULL,
	`member_state` text,
	`rate_type` text,
	`rate_bp` integer NOT NULL,
	`vat_minor` integer NOT NULL,
	`vies` text NOT NULL,
	`vies_request_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_charge_uq` ON `payments` (`tenant_id`, `provider`, `charge_id`);
--> statement-breakpoint
CREATE INDEX `payments_period_idx` ON `payments` (`tenant_id`, `occurred_at`);
--> statement-breakpoint
CREATE INDEX `payments_vies_idx` ON `payments` (`vies`) WHERE `vies` = 'unavailable';
--> statement-breakpoint
-- Refunds inherit the payment's treatment in force when refunded (its VAT and period of origin).
CREATE TABLE `payment_refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`payment_id` text NOT NULL REFERENCES `payments`(`id`),
	`amount_minor` integer NOT NULL,
	`vat_minor` integer NOT NULL,
	`treatment` text NOT NULL,
	`provider_refund_id` text,
	`refunded_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_refunds_payment_idx` ON `payment_refunds` (`payment_id`);
--> statement-breakpoint
CREATE INDEX `payment_refunds_period_idx` ON `payment_refunds` (`tenant_id`, `refunded_at`);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_refunds_provider_uq` ON `payment_refunds` (`payment_id`, `provider_refund_id`) WHERE `provider_refund_id` IS NOT NULL;
--> statement-breakpoint
-- A later VIES answer about a payment recorded as `vies: unavailable`: a new record, the payment stays as it was.
-- The deltas take the not-yet-refunded remainder out of the OSS supplies when the VAT ID turned out valid.
CREATE TABLE `payment_vat_corrections` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`payment_id` text NOT NULL REFERENCES `payments`(`id`),
	`vies` text NOT NULL,
	`vies_request_id` text,
	`treatment` text NOT NULL,
	`taxable_delta_minor` integer NOT NULL,
	`vat_delta_minor` integer NOT NULL,
	`recorded_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_vat_corrections_payment_uq` ON `payment_vat_corrections` (`payment_id`);
--> statement-breakpoint
CREATE INDEX `payment_vat_corrections_period_idx` ON `payment_vat_corrections` (`tenant_id`, `recorded_at`);
--> statement-breakpoint
-- Quarterly reports the scheduler has written (src/oss): one row per tenant and quarter, so a rerun is a no-op.
CREATE TABLE `oss_report_runs` (
	`tenant_id` text NOT NULL REFERENCES `tenants`(`id`),
	`quarter` text NOT NULL,
	`files` text NOT NULL,
	`generated_at` integer NOT NULL,
	PRIMARY KEY (`tenant_id`, `quarter`)
);
