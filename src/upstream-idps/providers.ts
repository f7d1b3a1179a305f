import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import { assertPlainText } from '../app/control-characters.ts';
import type { Actor } from '../audit/audit-log.ts';
import { AUTH_PROVIDERS, type AuthProvider } from '../identity/tables.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import { getTenant } from '../tenants/tenants.ts';
import { countLinks, deleteIdp, idpButtonsOfTenant, idpByName, idpsOfTenant, insertIdp } from './store.ts';
import type { UpstreamIdpRow } from './tables.ts';

/**
 * The upstream OpenID providers of a tenant (issue 13 §4): added, listed and removed by operators, each change
 * audited in the tenant's chain in its transaction. The client secret is sealed with the master key and never
 * shown again; sign-in itself lives in sign-in-start.ts and sign-in-callback.ts.
 */
export interface UpstreamIdpInput {
  name: string;
  displayName?: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space- or comma-separated; `openid` is always asked. Default `openid email profile`. */
  scopes?: string;
  allowedDomains?: readonly string[];
  linkByVerifiedEmail?: boolean;
  /** Whether someone without an account here gets one (joining the tenant with the lowest role). Default yes. */
  createUsers?: boolean;
  /** users.auth_provider of the users it creates; inferred from the issuer when omitted. */
  authProvider?: string;
}

export interface UpstreamIdpView {
  id: string;
  tenant: string;
  name: string;
  displayName: string;
  issuer: string;
  clientId: string;
  scopes: string[];
  allowedDomains: string[];
  linkByVerifiedEmail: boolean;
  createUsers: boolean;
  authProvider: AuthProvider;
  /** The redirect URI to register with the provider. */
  redirectUri: string;
  linkedUsers: number;
  createdAt: string;
  updatedAt: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
export const DEFAULT_SCOPES = 'openid email profile';

/** The seal of a client secret is bound to its provider row: copied to another row, it does not open. */
/** The associated data of a provider's sealed client secret (the tenant export opens and re-seals it). */
export const secretContext = (idpId: string) => `upstream-idp:${idpId}`;

/** Where the provider sends the browser back: one URL per tenant and provider. */
export function callbackUrl(deps: Deps, tenantSlug: string, idpName: string): string {
  return `${deps.config.publicUrl}/t/${tenantSlug}/login/upstream/${idpName}/callback`;
}

/** Plain http only on loopback (a provider on the same machine, tests); anything else must be https. */
export function isLoopbackIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

function checkedIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer.trim());
  } catch {
    throw validationError(`--issuer ${issuer} is not a URL`);
  }
  if (url.search || url.hash || url.username || url.password) throw validationError('--issuer must be a plain URL (no query, fragment or credentials)');
  if (url.protocol !== 'https:' && !isLoopbackIssuer(url.href)) throw validationError('--issuer must be an https URL (plain http only on loopback)');
  // The issuer is compared to the provider's metadata as a string: keep what the operator wrote, minus a lone trailing slash.
  return issuer.trim().replace(/\/$/, '');
}

/** Google and Microsoft Entra by their issuers; any other OpenID provider is company SSO (seed 002 names). */
export function inferredAuthProvider(issuer: string): AuthProvider {
  const host = new URL(issuer).hostname;
  if (host === 'accounts.google.com') return 'google';
  if (host === 'login.microsoftonline.com' || host.endsWith('.microsoftonline.com')) return 'microsoft';
  return 'sso';
}

function checkedAuthProvider(value: string | undefined, issuer: string): AuthProvider {
  if (value === undefined) return inferredAuthProvider(issuer);
  const allowed = AUTH_PROVIDERS.filter((p) => p !== 'password');
  if (!(allowed as readonly string[]).includes(value)) throw validationError(`--auth-provider must be one of ${allowed.join(', ')}`);
  return value as AuthProvider;
}

export function parseDomains(domains: readonly string[]): string[] {
  const out = [...new Set(domains.flatMap((d) => d.split(',')).map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean))];
  const bad = out.filter((d) => !DOMAIN.test(d));
  if (bad.length) throw validationError(`Not a domain name: ${bad.join(', ')}`);
  return out;
}

function checkedScopes(scopes: string | undefined): string {
  const list = [...new Set(['openid', ...(scopes ?? DEFAULT_SCOPES).split(/[\s,]+/).filter(Boolean)])];
  const bad = list.filter((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s));
  if (bad.length) throw validationError(`Not a scope: ${bad.join(', ')}`);
  return list.join(' ');
}

function checkedText(field: string, value: string, max: number): string {
  const v = value.trim();
  if (!v) throw validationError(`${field} is required`);
  if (v.length > max) throw validationError(`${field}: at most ${max} characters`);
  assertPlainText(field, v);
  return v;
}

function view(deps: Deps, tenantSlug: string, row: UpstreamIdpRow): UpstreamIdpView {
  return {
    id: row.id,
    tenant: tenantSlug,
    name: row.name,
    displayName: row.display_name,
    issuer: row.issuer,
    clientId: row.client_id,
    scopes: row.scopes.split(' '),
    allowedDomains: JSON.parse(row.allowed_domains) as string[],
    linkByVerifiedEmail: row.link_by_verified_email === 1,
    createUsers: row.create_users === 1,
    authProvider: row.auth_provider as AuthProvider,
    redirectUri: callbackUrl(deps, tenantSlug, row.name),
    linkedUsers: countLinks(deps, row.id),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** What the audit entry says of a provider: everything but the secret. */
const auditOf = (row: UpstreamIdpRow) => ({
  name: row.name,
  issuer: row.issuer,
  clientId: row.client_id,
  scopes: row.scopes,
  allowedDomains: JSON.parse(row.allowed_domains) as string[],
  linkByVerifiedEmail: row.link_by_verified_email === 1,
  createUsers: row.create_users === 1,
  authProvider: row.auth_provider,
});

export function addUpstreamIdp(deps: Deps, tenantRef: string, input: UpstreamIdpInput, actor: Actor): UpstreamIdpView {
  const tenant = getTenant(deps, tenantRef);
  const name = input.name.trim().toLowerCase();
  if (!NAME.test(name)) throw validationError('--name: 1–32 characters of a-z, 0-9 and -, e.g. google');
  const issuer = checkedIssuer(input.issuer);
  const clientId = checkedText('--client-id', input.clientId, 255);
  const secret = input.clientSecret.trim();
  if (!secret) throw validationError('The client secret is empty');
  if (secret.length > 4096) throw validationError('The client secret is longer than 4096 characters');
  const displayName = checkedText('--display-name', input.displayName ?? name.charAt(0).toUpperCase() + name.slice(1), 60);
  const id = randomUUID();
  const now = deps.clock.nowMs();
  const row: UpstreamIdpRow = {
    id,
    tenant_id: tenant.id,
    name,
    display_name: displayName,
    issuer,
    client_id: clientId,
    client_secret_sealed: sealToText(deps.masterKeys, secret, secretContext(id)),
    scopes: checkedScopes(input.scopes),
    allowed_domains: JSON.stringify(parseDomains(input.allowedDomains ?? [])),
    link_by_verified_email: input.linkByVerifiedEmail ? 1 : 0,
    create_users: input.createUsers === false ? 0 : 1,
    auth_provider: checkedAuthProvider(input.authProvider, issuer),
    created_at: now,
    updated_at: now,
  };
  deps.sqlite.transaction(() => {
    if (idpByName(deps, tenant.id, name)) throw conflict(`Tenant ${tenant.slug} already has a provider named ${name}`);
    insertIdp(deps, row);
    deps.audit.append(tenant.id, { actor, type: 'upstream_idp.added', target: { type: 'upstream_idp', id }, payload: auditOf(row) });
  }).immediate();
  return view(deps, tenant.slug, row);
}

export function listUpstreamIdps(deps: Deps, tenantRef: string): UpstreamIdpView[] {
  const tenant = getTenant(deps, tenantRef);
  return idpsOfTenant(deps, tenant.id).map((row) => view(deps, tenant.slug, row));
}

/** Removes a provider, its links to users and its pending sign-ins; the users themselves stay. */
export function removeUpstreamIdp(deps: Deps, tenantRef: string, name: string, actor: Actor): { removed: UpstreamIdpView; unlinkedUsers: number } {
  const tenant = getTenant(deps, tenantRef);
  return deps.sqlite.transaction(() => {
    const row = idpByName(deps, tenant.id, name.trim().toLowerCase());
    if (!row) throw notFound(`Upstream provider "${name}" of tenant ${tenant.slug}`);
    const removed = view(deps, tenant.slug, row);
    const unlinkedUsers = deleteIdp(deps, row.id);
    deps.audit.append(tenant.id, {
      actor,
      type: 'upstream_idp.removed',
      target: { type: 'upstream_idp', id: row.id },
      payload: { ...auditOf(row), unlinkedUsers },
    });
    return { removed, unlinkedUsers };
  }).immediate();
}

/** The provider a sign-in URL names, or undefined. */
export function findUpstreamIdp(deps: Deps, tenantId: string, name: string): UpstreamIdpRow | undefined {
  return NAME.test(name) ? idpByName(deps, tenantId, name) : undefined;
}

export function clientSecretOf(deps: Deps, row: UpstreamIdpRow): string {
  return openSealedText(deps.masterKeys, row.client_secret_sealed, secretContext(row.id));
}

export interface UpstreamButton {
  name: string;
  label: string;
}

/** The hosted sign-in page's buttons, one per provider of the tenant. */
export function upstreamButtons(deps: Deps, tenantId: string): UpstreamButton[] {
  return idpButtonsOfTenant(deps, tenantId).map((r) => ({ name: r.name, label: r.display_name }));
}
