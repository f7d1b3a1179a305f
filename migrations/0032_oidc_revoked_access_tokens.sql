-- RFC 7009: access tokens revoked before they expire, by jti, kept only until their exp.
CREATE TABLE `oidc_revoked_access_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`expires_at` integer NOT NULL
);
