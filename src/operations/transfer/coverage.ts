/**
 * How every table of the schema fares in a tenant export. Most tables are found from the schema (a foreign key to
 * tenants, or to a row of such a table: see store.ts); the rest are named here, each with the reason it travels or
 * does not. test/operations/transfer-coverage.test.ts fails on a table that is in none of these, so a table added
 * later is decided on, not forgotten.
 */

/** Tables that name their tenant in a column without a foreign key (rows of a tenant that is the issuer). */
export const TENANT_COLUMN_TABLES: Record<string, string[]> = {
  // A revoked access token stays revoked: the imported tenant signs with the same keys, so a token of the source
  // would verify at a target that serves the same issuer URL.
  oidc_revoked_access_tokens: ['tenant_id'],
};

/**
 * Tables of a user's own (no tenant): carried for the users the archive brings, inserted only for the accounts
 * the import creates (an account already present keeps its own second factor).
 */
export const USER_SCOPED_TABLES: Record<string, string> = {
  // The TOTP secret is sealed with the master key: opened on export, sealed again with the target's (sealed-values.ts).
  mfa_totp: 'user_id',
  // Only SHA-256 hashes of the codes: carried as they are, they keep working.
  mfa_recovery_codes: 'user_id',
  // Public keys only (nothing sealed); they keep working where the target serves the same host name (the RP ID).
  passkeys: 'user_id',
};

/**
 * Columns naming a principal by type and id rather than by foreign key: a `user` there is a user the tenant's
 * rows refer to, so their identity row travels too.
 */
export const POLYMORPHIC_USER_REFERENCES: Array<{ table: string; typeColumn: string; idColumn: string }> = [
  { table: 'access_role_assignments', typeColumn: 'subject_type', idColumn: 'subject_id' },
  { table: 'resource_owners', typeColumn: 'owner_type', idColumn: 'owner_id' },
  { table: 'agents', typeColumn: 'owner_type', idColumn: 'owner_id' },
  { table: 'payment_profiles', typeColumn: 'actor_type', idColumn: 'actor_id' },
  { table: 'api_keys', typeColumn: 'created_by_type', idColumn: 'created_by_id' },
];

/**
 * Instance-wide tables whose rows a tenant's rows name by value: the rows named travel, and are inserted unless the
 * target has them already.
 */
export const SHARED_REFERENCE_TABLES: Array<{ table: string; column: string; namedBy: Array<{ table: string; column: string }> }> = [
  // The VIES answers behind the tenant's payments and VAT corrections (evidence of a buyer's VAT status).
  {
    table: 'vies_consultations',
    column: 'vat_id',
    namedBy: [
      { table: 'payments', column: 'buyer_vat_id' },
      { table: 'payment_profiles', column: 'vat_id' },
      { table: 'tenant_vat_settings', column: 'vat_id' },
    ],
  },
  // Operator-defined modules the tenant's entitlements and member grants name.
  {
    table: 'module_catalog',
    column: 'name',
    namedBy: [
      { table: 'company_entitlements', column: 'module' },
      { table: 'membership_modules', column: 'module' },
    ],
  },
];

/** Tables that do not travel, and why. */
export const EXCLUDED_TABLES: Record<string, string> = {
  kimauth_migrations: "instance: the target's own migration ledger",
  backups: "instance: the source's backup history names files in the source data dir",
  fx_rates: 'instance: ECB reference rates, imported on each instance with `fx import`; payments store their converted amounts',
  access_version: 'instance: a counter the access triggers bump; the import bumps the target\'s own',
  mail_outbox: "transient: mail queued by the source is sent by the source (the rows are sealed to the source's key)",
  sessions: 'sign-in state: users sign in again at the target; a live session at two instances would defeat refresh-token reuse detection',
  refresh_tokens: 'sign-in state (see sessions): rotation at two instances would fork the token family',
  oidc_authorization_codes: 'transient: single-use codes valid for a minute, bound to a browser session of the source',
  oidc_browser_sessions: 'transient: SSO cookies of browsers signed in at the source',
  mfa_challenges: 'transient: a pending second-factor step of a sign-in at the source (minutes)',
  magic_link_tokens: 'transient: one-time sign-in links sent by the source (minutes)',
  password_reset_tokens: 'transient: one-time reset links sent by the source; the user asks the target for a new one',
  user_set_password_tokens: 'transient: one-time set-password links sent by the source',
  passkey_spent_challenges: 'transient: used WebAuthn challenges, remembered only until they would have expired (minutes)',
  upstream_sign_ins: "transient: a sign-in at an upstream provider in progress at the source (minutes; its PKCE verifier is sealed to the source's key)",
};
