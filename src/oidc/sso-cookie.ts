import type { Deps } from '../app/deps.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { browserSessionId, insertBrowserSession } from './store.ts';

/** The per-tenant SSO cookie (issue 11 §3): HttpOnly, SameSite=Lax, Secure when the public URL is https, Path=/t/{slug}. */
export const SSO_COOKIE = 'kimauth_sso';
export const CSRF_COOKIE = 'kimauth_csrf';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

export function cookieHeader(deps: Deps, slug: string, name: string, value: string, maxAgeSeconds: number): string {
  const secure = deps.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${name}=${value}; Path=/t/${slug}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

/** Binds a new SSO cookie to the session. Call inside the sign-in transaction; returns the cookie value. */
export function newSsoCookie(deps: Deps, tenantId: string, sessionId: string): string {
  const value = newOpaqueToken();
  insertBrowserSession(deps, hashOpaqueToken(value), tenantId, sessionId);
  return value;
}

export function ssoSessionIdOf(deps: Deps, tenantId: string, cookieValue: string | undefined): string | undefined {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  return browserSessionId(deps, hashOpaqueToken(cookieValue), tenantId);
}
