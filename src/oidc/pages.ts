import Mustache from 'mustache';
import { readAsset } from '../app/assets.ts';
import type { TenantBranding } from './store.ts';

/** Server-rendered hosted pages (templates/pages/): no JavaScript, every value HTML-escaped by mustache. */
const cache = new Map<string, string>();
function template(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    t = readAsset(`templates/pages/${name}.html`);
    cache.set(name, t);
  }
  return t;
}

const ACCENT = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
export const DEFAULT_ACCENT = '#2f5bea';

export interface PageLook {
  workspace: string;
  logoUrl: string | null;
  accent: string;
}

export function lookOf(tenantName: string, branding: TenantBranding): PageLook {
  return {
    workspace: branding.displayName ?? tenantName,
    logoUrl: branding.logoUrl,
    accent: branding.accentColor && ACCENT.test(branding.accentColor) ? branding.accentColor : DEFAULT_ACCENT,
  };
}

function page(look: PageLook, title: string, heading: string, subheading: string | null, body: string): string {
  return Mustache.render(template('layout'), { ...look, title, heading, subheading, body });
}

export interface LoginView {
  action: string;
  request: string;
  csrf: string;
  email?: string;
  error?: string;
  clientName: string;
  /** Sign-in through the tenant's upstream OpenID providers, below the password form. */
  upstream?: UpstreamLink[];
}

export function renderLoginPage(look: PageLook, view: LoginView): string {
  const body = Mustache.render(template('login'), view) + renderUpstreamLinks(view.upstream ?? []);
  return page(look, 'Sign in', `Sign in to ${look.workspace}`, `to continue to ${view.clientName}`, body);
}

export interface MfaView {
  action: string;
  request: string;
  csrf: string;
  mfaToken: string;
  error?: string;
  clientName: string;
}

/** The second step of a hosted sign-in: a TOTP code or a recovery code for the pending sign-in. */
export function renderMfaPage(look: PageLook, view: MfaView): string {
  return page(look, 'Two-step verification', 'Two-step verification', `to continue to ${view.clientName}`, Mustache.render(template('mfa'), view));
}

export function renderMessagePage(look: PageLook, title: string, message: string, hint?: string): string {
  return page(look, title, title, null, Mustache.render(template('message'), { message, hint }));
}

/**
 * The page's own Content-Security-Policy: the global one, plus the one origin the form's answer redirects to
 * (browsers apply form-action to redirects after a POST) and the logo's origin.
 */
export function pagePolicy(extra: { formTarget?: string; logoUrl?: string | null } = {}): string {
  const origin = (u: string | null | undefined) => {
    try {
      return u ? ` ${new URL(u).origin}` : '';
    } catch {
      return '';
    }
  };
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src 'self' data:${origin(extra.logoUrl)}`,
    `form-action 'self'${origin(extra.formTarget)}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderLogoutConfirmation(look: PageLook, view: { action: string; csrf: string; clientId?: string; postLogoutRedirectUri?: string; state?: string }): string {
  return page(look, 'Sign out', 'Sign out', null, Mustache.render(template('logout'), { ...view, workspace: look.workspace }));
}

// ─── Upstream OpenID providers (src/upstream-idps): their block of the sign-in page ─────────────────────────────

export interface UpstreamLink {
  label: string;
  href: string;
}

/** "Continue with …" links under the form (templates/pages/login-upstream.html); nothing when the tenant has none. */
function renderUpstreamLinks(links: UpstreamLink[]): string {
  return links.length ? Mustache.render(template('login-upstream'), { links }) : '';
}
