import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { ClientInfo } from '../identity/login.ts';
import { findUserByEmail, normalizeEmail } from '../identity/users.ts';
import { frontendLink } from '../mail/links.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { markEmailVerified } from '../identity/email-verification.ts';
import { completeSignIn, type LoginResult } from '../mfa/sign-in.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import type { MagicLinkRequestLimit } from './request-limit.ts';
import { findMagicLink, insertMagicLink, spendMagicLink, spendOpenLinksOf } from './store.ts';

/**
 * Sign-in by a one-time link mailed to the account's address (built like the password reset): 256 random bits,
 * only the SHA-256 stored, 15 minutes, single use, a newer link replacing the older ones. Opening it is a first
 * factor like a password: `completeSignIn` then starts the session — or asks for the second factor when the user
 * has MFA (or must enrol because a tenant requires it).
 */
export const MAGIC_LINK_TTL_MS = 15 * 60_000;

export function magicLinkUrl(deps: Deps, token: string): string {
  return frontendLink(deps.config, 'magic-link', token);
}

/**
 * Issues and mails a link when the address belongs to a live account and is under its mail limit; otherwise does
 * nothing visible. Returns whether a link was issued (tests; the HTTP answer never says).
 */
export function requestMagicLink(
  deps: Deps,
  caller: Principal,
  input: { email: string },
  client: ClientInfo,
  limit: MagicLinkRequestLimit,
  linkTo: (token: string) => string = (token) => magicLinkUrl(deps, token),
): boolean {
  const email = normalizeEmail(input.email);
  return deps.sqlite.transaction(() => {
    const user = findUserByEmail(deps, email);
    if (!user || user.deletedAt) return false;
    if (!limit.allow(email)) {
      deps.audit.append(deps.platformTenantId(), {
        actor: caller,
        type: 'magic_link.throttled',
        target: { type: 'user', id: user.id },
        payload: { userId: user.id, ip: client.ip },
      });
      return false;
    }
    const now = deps.clock.nowMs();
    spendOpenLinksOf(deps, user.id, now);
    const token = newOpaqueToken();
    const expiresAt = now + MAGIC_LINK_TTL_MS;
    insertMagicLink(deps, { token_hash: hashOpaqueToken(token), user_id: user.id, created_at: now, expires_at: expiresAt });
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'magic_link.requested',
      target: { type: 'user', id: user.id },
      payload: { userId: user.id, expiresAt: new Date(expiresAt).toISOString(), ip: client.ip },
    });
    enqueueMail(deps, {
      template: 'magic-link',
      to: user.email,
      data: { fullName: user.fullName, loginUrl: linkTo(token), expiresAt: new Date(expiresAt).toISOString() },
    });
    return true;
  })();
}

/**
 * POST /auth/magic-link/request: always `{ status: 'ok' }`, in the same time for every address — the lookup,
 * token, audit entry and mail happen after the response (deps.background). A malformed address is still a 400.
 */
export function requestMagicLinkAfterResponse(
  deps: Deps,
  caller: Principal,
  input: { email: string },
  client: ClientInfo,
  limit: MagicLinkRequestLimit,
  linkTo?: (token: string) => string,
): { status: 'ok' } {
  normalizeEmail(input.email);
  deps.background.run('magic-link.request', () => requestMagicLink(deps, caller, input, client, limit, linkTo));
  return { status: 'ok' };
}

const INVALID_LINK = 'This sign-in link is invalid, expired or already used';

/**
 * POST /auth/magic-link/verify {token}: spends the link and completes the sign-in (the login response, or the
 * MFA step). A bad, expired or spent link is 400 validation_error, as a reset token is: no session is involved.
 */
export async function verifyMagicLink(deps: Deps, caller: Principal, input: { token: string }, client: ClientInfo): Promise<LoginResult> {
  const userId = spendMagicLinkToken(deps, caller, input.token, client);
  if (!userId) throw validationError(INVALID_LINK);
  return completeSignIn(deps, caller, userId, client, 'magic_link');
}

/** Spends a link (single use, audited) and returns whose it was, or undefined for a bad, expired or spent one. */
export function spendMagicLinkToken(deps: Deps, caller: Principal, token: string, client: ClientInfo): string | undefined {
  const tokenHash = hashOpaqueToken(token);
  return deps.sqlite.transaction(() => {
    const link = findMagicLink(deps, tokenHash);
    if (!link || !spendMagicLink(deps, tokenHash, deps.clock.nowMs())) return undefined;
    deps.audit.append(deps.platformTenantId(), {
      actor: provenUser(caller, link.user_id),
      type: 'magic_link.used',
      target: { type: 'user', id: link.user_id },
      payload: { userId: link.user_id, ip: client.ip },
    });
    markEmailVerified(deps, link.user_id, 'magic_link', provenUser(caller, link.user_id));
    return link.user_id;
  })();
}
