import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import { hasControlCharacters } from '../app/control-characters.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { ClientInfo } from '../identity/login.ts';
import type { AuthProvider } from '../identity/tables.ts';
import { createUser, findUserByEmail, normalizeEmail } from '../identity/users.ts';
import { markEmailVerified } from '../identity/email-verification.ts';
import { writeCompanyMembership } from '../memberships/memberships.ts';
import { getCompanyById as getCompany } from '../tenants/tenants.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';
import { insertLink, linkOf, linkOfUser } from './store.ts';
import type { UpstreamIdpRow } from './tables.ts';

/** The ID token claims this file reads (openid-client has verified signature, iss, aud, exp and nonce). */
export interface UpstreamClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
}

/** Why a provider's user does not get in; `reason` goes to the audit entry, the rest to the page. */
export interface Refusal {
  refused: true;
  reason: 'domain_not_allowed' | 'email_not_verified' | 'no_email' | 'not_linked' | 'no_account';
  title: string;
  message: string;
  hint?: string;
}

export interface Resolved {
  refused?: false;
  userId: string;
  /** How the user was found: an existing link, linked now by a verified email, or created now. */
  via: 'link' | 'verified_email' | 'created';
}

/** The company role a user created by an upstream sign-in gets: the lowest one. */
export const NEW_MEMBER_ROLE = 'SUBMITTER' as const;

function emailOf(claims: UpstreamClaims): string | null {
  if (typeof claims.email !== 'string') return null;
  try {
    return normalizeEmail(claims.email);
  } catch {
    return null;
  }
}

function fullNameOf(claims: UpstreamClaims, email: string): string {
  const name = typeof claims.name === 'string' ? claims.name.trim().slice(0, 200) : '';
  return name && !hasControlCharacters(name) ? name : email.split('@')[0];
}

/**
 * Who a provider's user is here, in this order: the link (provider + sub); else, when the provider is trusted to
 * link by email and the provider says the email is verified, the user with that email (linked now); else a new user
 * with that verified email, joining the tenant, if the provider may create users. An unverified email never
 * links and never creates. Allowed domains are checked first, on the verified email, every time.
 */
export async function resolveUpstreamUser(
  deps: Deps,
  caller: Principal,
  idp: UpstreamIdpRow,
  claims: UpstreamClaims,
  tenantName: string,
): Promise<Resolved | Refusal> {
  const email = emailOf(claims);
  const verified = claims.email_verified === true;
  const domains = JSON.parse(idp.allowed_domains) as string[];
  if (domains.length > 0) {
    const domain = email?.split('@')[1];
    if (!email || !verified || !domain || !domains.includes(domain)) {
      return {
        refused: true,
        reason: 'domain_not_allowed',
        title: 'This account may not sign in here',
        message: `${tenantName} accepts ${idp.display_name} accounts of ${domains.join(', ')} only${email ? `, and ${email} is not one${verified ? '' : ' (or its address is not verified)'}` : ''}.`,
        hint: `Sign in to ${idp.display_name} with an address of ${domains.join(', ')}, or sign in another way.`,
      };
    }
  }

  const link = linkOf(deps, idp.id, claims.sub);
  if (link) return { userId: link.user_id, via: 'link' };

  if (!email) {
    return {
      refused: true,
      reason: 'no_email',
      title: 'No email address from the provider',
      message: `${idp.display_name} did not tell us your email address, so this account cannot be matched to an account here.`,
      hint: 'Allow access to your email address at the provider, or ask an administrator.',
    };
  }
  const existing = findUserByEmail(deps, email);
  if (existing) {
    if (!idp.link_by_verified_email || !verified) return notLinked(idp, tenantName);
    const linked = deps.sqlite.transaction(() => {
      // A user links once per provider: a second subject claiming the same email is not this user.
      if (linkOfUser(deps, idp.id, existing.id) || linkOf(deps, idp.id, claims.sub)) return false;
      linkUser(deps, caller, idp, claims.sub, existing.id, email, 'verified_email');
      return true;
    }).immediate();
    return linked ? { userId: existing.id, via: 'verified_email' } : notLinked(idp, tenantName);
  }

  if (!idp.create_users) {
    return {
      refused: true,
      reason: 'no_account',
      title: 'No account here',
      message: `There is no account for this ${idp.display_name} account in ${tenantName}.`,
      hint: `Ask an administrator of ${tenantName} to invite you.`,
    };
  }
  if (!verified) {
    return {
      refused: true,
      reason: 'email_not_verified',
      title: 'Email address not verified',
      message: `${idp.display_name} has not verified ${email}, so no account can be made with it.`,
      hint: `Verify your address with ${idp.display_name}, then sign in again.`,
    };
  }
  try {
    const user = await createUser(
      deps,
      { email, fullName: fullNameOf(claims, email), password: null, authProvider: idp.auth_provider as AuthProvider, approvalStatus: 'APPROVED', isActive: true },
      caller,
      {
        auditTenantId: idp.tenant_id,
        inTransaction: (row) => {
          // The tenant's provider settings are the authority for this membership (as an invitation is for its own).
          const actor = provenUser(caller, row.id);
          const company = getCompany(deps, idp.tenant_id);
          trackPermissionChanges(deps, company.id, actor, () => [row.id], () =>
            writeCompanyMembership(deps, actor, company, { userId: row.id, role: NEW_MEMBER_ROLE, isActive: true }),
          );
          linkUser(deps, caller, idp, claims.sub, row.id, email, 'created');
        },
      },
    );
    return { userId: user.id, via: 'created' };
  } catch (err) {
    // The same email registered a moment ago by another door: not this sign-in's to link.
    if (isAppError(err) && err.code === 'conflict') return notLinked(idp, tenantName);
    throw err;
  }
}

function notLinked(idp: UpstreamIdpRow, tenantName: string): Refusal {
  return {
    refused: true,
    reason: 'not_linked',
    title: 'Account not linked',
    message: `This ${idp.display_name} account is not linked to an account in ${tenantName}.`,
    hint: 'Sign in with your password instead, or ask an administrator to link your account.',
  };
}

/** Inside the caller's transaction: the link and its audit entry in the tenant's chain. */
function linkUser(deps: Deps, caller: Principal, idp: UpstreamIdpRow, subject: string, userId: string, email: string, via: 'verified_email' | 'created'): void {
  const now = deps.clock.nowMs();
  insertLink(deps, { idp_id: idp.id, subject, user_id: userId, provider_name: idp.name, issuer: idp.issuer, email, created_at: now });
  // Links are made only for an email the provider verified: kimauth now knows it too (OIDC email_verified).
  markEmailVerified(deps, userId, 'upstream_idp', provenUser(caller, userId));
  deps.audit.append(idp.tenant_id, {
    actor: provenUser(caller, userId),
    type: 'user.upstream_idp_linked',
    target: { type: 'user', id: userId },
    payload: { userId, idp: idp.name, issuer: idp.issuer, via },
  });
}
