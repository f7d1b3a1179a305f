import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout README's Architecture section promises, checked on the source text: routes and commands hold no SQL,
 * every table is touched only by the context that owns it, and only through that context's store.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

const FILES = filesUnder(SRC).map((file) => ({ rel: path.relative(SRC, file).split(path.sep).join('/'), text: readFileSync(file, 'utf8') }));
const contextOf = (rel: string) => rel.split('/')[0];

/** Who owns each table (one row per CREATE TABLE in migrations/; a new table needs its row here). */
const TABLE_OWNERS: Record<string, string> = {
  access_group_members: 'permissions',
  access_group_permissions: 'permissions',
  access_groups: 'permissions',
  access_role_assignments: 'permissions',
  access_roles: 'permissions',
  access_version: 'access',
  agents: 'agents',
  api_keys: 'api-keys',
  audit_entries: 'audit',
  audit_heads: 'audit',
  backups: 'operations',
  business_unit_memberships: 'memberships',
  company_access_settings: 'access',
  company_entitlements: 'access',
  company_memberships: 'memberships',
  fx_rates: 'fx',
  invitations: 'invitations',
  magic_link_tokens: 'magic-links',
  mail_outbox: 'mail',
  membership_modules: 'access',
  membership_permissions: 'access',
  mfa_challenges: 'mfa',
  mfa_recovery_codes: 'mfa',
  mfa_totp: 'mfa',
  module_catalog: 'access',
  oauth_clients: 'clients',
  oidc_authorization_codes: 'oidc',
  oidc_browser_sessions: 'oidc',
  oidc_revoked_access_tokens: 'oidc',
  oss_report_runs: 'oss',
  owner_policies: 'ownership',
  password_reset_tokens: 'identity',
  passkey_spent_challenges: 'passkeys',
  passkeys: 'passkeys',
  payment_profiles: 'payments',
  payment_refunds: 'payments',
  payment_vat_corrections: 'payments',
  payments: 'payments',
  refresh_tokens: 'sessions',
  resource_owners: 'ownership',
  sessions: 'sessions',
  signing_keys: 'keys',
  tenant_branding: 'oidc',
  tenant_magic_link_settings: 'magic-links',
  tenant_mfa_policies: 'mfa',
  tenant_vat_settings: 'vat',
  tenants: 'tenants',
  user_access_preferences: 'access',
  user_set_password_tokens: 'identity',
  upstream_idp_links: 'upstream-idps',
  upstream_idps: 'upstream-idps',
  upstream_sign_ins: 'upstream-idps',
  users: 'identity',
  vies_consultations: 'vat',
  webhook_deliveries: 'webhooks',
  webhooks: 'webhooks',
};

/**
 * Modules that read every table by design, each for a stated reason: the tenant export copies a tenant's rows of
 * every context into one archive and back (its table list is checked against the migrations by its own test).
 */
const READS_EVERY_TABLE = new Set(['operations/transfer/store.ts']);
/** The database plumbing itself: opening, migrating, the statement and committed-read caches, the readiness probe. */
const PLUMBING = new Set(['db/client.ts', 'db/migrate.ts', 'db/committed-read-cache.ts', 'app/deps.ts', 'app/readiness.ts', 'operations/backup/store.ts']);

const SQL_CALL = /deps\.statement\(|deps\.db\.|\.prepare\(\s*[`'"]|sqlite\.exec\(/;
const TABLE_REF = /\b(?:FROM|JOIN|INTO|UPDATE|DELETE FROM)\s+([a-z_]+)\b/g;

describe('layering', () => {
  it('knows the owner of every table the migrations create', () => {
    const migrations = path.resolve(SRC, '../migrations');
    const created = readdirSync(migrations)
      .filter((f) => f.endsWith('.sql'))
      .flatMap((f) => [...readFileSync(path.join(migrations, f), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?[`"]?([a-z_]+)/g)].map((m) => m[1]));
    expect([...new Set(created)].filter((t) => !(t in TABLE_OWNERS))).toEqual([]);
  });

  it('routes and commands hold no SQL', () => {
    const offenders = FILES.filter((f) => /^(http|cli)\//.test(f.rel) && (SQL_CALL.test(f.text) || /\b(SELECT \w|INSERT INTO|DELETE FROM)\b/.test(f.text)));
    expect(offenders.map((f) => f.rel)).toEqual([]);
  });

  it('SQL lives in a store module of its context', () => {
    const offenders = FILES.filter((f) => SQL_CALL.test(f.text) && !f.rel.endsWith('/store.ts') && !PLUMBING.has(f.rel));
    expect(offenders.map((f) => f.rel)).toEqual([]);
  });

  it("a context's SQL touches only its own tables", () => {
    const crossings: string[] = [];
    for (const f of FILES) {
      if (READS_EVERY_TABLE.has(f.rel) || PLUMBING.has(f.rel)) continue;
      for (const m of f.text.matchAll(TABLE_REF)) {
        const owner = TABLE_OWNERS[m[1]];
        if (owner && owner !== contextOf(f.rel)) crossings.push(`${f.rel} → ${m[1]} (${owner})`);
      }
    }
    expect([...new Set(crossings)]).toEqual([]);
  });

  it("no module outside a context imports its drizzle tables (types and enums are fine)", () => {
    const tableNames = new Map<string, Set<string>>();
    for (const f of FILES.filter((file) => file.rel.endsWith('/tables.ts'))) {
      tableNames.set(contextOf(f.rel), new Set([...f.text.matchAll(/export const (\w+) = sqliteTable\(/g)].map((m) => m[1])));
    }
    const crossings: string[] = [];
    for (const f of FILES) {
      if (f.rel.endsWith('/tables.ts') || f.rel.startsWith('db/') || READS_EVERY_TABLE.has(f.rel)) continue;
      for (const m of f.text.matchAll(/import \{([^}]*)\} from '(?:\.\.\/)+([a-z-]+)\/tables\.ts'/g)) {
        const owner = m[2];
        if (owner === contextOf(f.rel)) continue;
        const names = m[1].split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '));
        for (const name of names) if (tableNames.get(owner)?.has(name)) crossings.push(`${f.rel} imports ${owner}'s ${name}`);
      }
    }
    expect(crossings).toEqual([]);
  });
});
