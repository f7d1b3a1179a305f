import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { tenantBySlug, type TenantRef } from '../tenants/tenant-lookup.ts';

/** One tenant as an OpenID Provider: its issuer and endpoint URLs (issue 11 §2). */
export interface Provider {
  tenant: TenantRef;
  issuer: string;
  endpoints: {
    authorization: string;
    token: string;
    userinfo: string;
    jwks: string;
    introspection: string;
    revocation: string;
    endSession: string;
    login: string;
    /** The hosted sign-in's second step (TOTP or recovery code). */
    loginMfa: string;
    /** Hosted TOTP enrolment on first sign-in (a tenant requires MFA, the user has none). */
    loginMfaEnroll: string;
    /** Back to the application with a code, from a live SSO session (after the recovery codes were shown). */
    loginContinue: string;
    /** "Email me a link" on the hosted page, and the page the mailed link opens. */
    loginMagicLink: string;
    /** "Use a passkey" on the hosted page (issue 13 §3). */
    loginPasskey: string;
    /** The hosted account page (passkeys), and its script. */
    account: string;
    passkeyScript: string;
  };
}

export function issuerOf(deps: Deps, slug: string): string {
  return `${deps.config.publicUrl}/t/${slug}`;
}

/** The provider at /t/{slug}; unknown slugs are 404 (the caller decides what a disabled tenant answers). */
export function providerOf(deps: Deps, slug: string): Provider {
  const tenant = tenantBySlug(deps, slug);
  if (!tenant) throw notFound(`Tenant "${slug}"`);
  const issuer = issuerOf(deps, tenant.slug);
  const p = `${issuer}/protocol/openid-connect`;
  return {
    tenant,
    issuer,
    endpoints: {
      authorization: `${p}/auth`,
      token: `${p}/token`,
      userinfo: `${p}/userinfo`,
      jwks: `${p}/certs`,
      introspection: `${p}/introspect`,
      revocation: `${p}/revoke`,
      endSession: `${p}/logout`,
      login: `${issuer}/login`,
      loginMfa: `${issuer}/login/mfa`,
      loginMfaEnroll: `${issuer}/login/mfa/enroll`,
      loginContinue: `${issuer}/login/continue`,
      loginMagicLink: `${issuer}/login/magic-link`,
      loginPasskey: `${issuer}/login/passkey`,
      account: `${issuer}/account`,
      passkeyScript: `${issuer}/assets/passkeys.js`,
    },
  };
}
