import type { Deps } from '../app/deps.ts';
import { decryptSecret, encryptSecret } from '../keys/master-key.ts';

/** A validated authorization request waiting for the user to sign in (carried to the hosted page, sealed). */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  maxAge: number | null;
  /** Unix ms after which the hosted page refuses it. */
  exp: number;
}

/** How long a user may take on the sign-in page. */
export const PENDING_AUTHORIZATION_MS = 10 * 60_000;

const context = (tenantId: string) => `oidc-authorization:${tenantId}`;

/**
 * AES-256-GCM under the master key, bound to the tenant: the page cannot be handed another tenant's request, nor a
 * request whose redirect URI was changed. No database row for a request nobody finishes.
 */
export function sealAuthorization(deps: Deps, tenantId: string, request: PendingAuthorization): string {
  const sealed = encryptSecret(deps.masterKeys, Buffer.from(JSON.stringify(request)), context(tenantId));
  return `${deps.masterKeys.currentId}.${sealed.toString('base64url')}`;
}

export function openAuthorization(deps: Deps, tenantId: string, sealed: string | undefined): PendingAuthorization | null {
  if (!sealed || sealed.length > 8192) return null;
  const dot = sealed.indexOf('.');
  if (dot < 1) return null;
  try {
    const plain = decryptSecret(deps.masterKeys, Buffer.from(sealed.slice(dot + 1), 'base64url'), context(tenantId), sealed.slice(0, dot));
    const request = JSON.parse(plain.toString('utf8')) as PendingAuthorization;
    return request.exp > deps.clock.nowMs() ? request : null;
  } catch {
    return null;
  }
}
