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
  /** The tenant offers "email me a link" (issue 13 §2): the second button's target. */
  magicLinkAction?: string;
  /** "Use a passkey" (issue 13 §3): its own form, driven by a small script. */
  passkey?: PasskeyFormView;
}

export interface PasskeyFormView {
  action: string;
  /** The sealed ceremony (challenge) posted back with the answer. */
  ceremony: string;
  /** The WebAuthn options for the script (JSON, HTML-escaped into a hidden field like every value). */
  optionsJson: string;
  scriptUrl: string;
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

export interface MfaEnrolView extends MfaView {
  workspace: string;
  qrCode: string;
  secret: string;
}

/** Hosted TOTP enrolment on first sign-in: the QR code (a data URL, no script) and the key in text, confirmed with a code. */
export function renderMfaEnrolPage(look: PageLook, view: Omit<MfaEnrolView, 'workspace'>): string {
  const body = Mustache.render(template('mfa-enroll'), { ...view, workspace: look.workspace });
  return page(look, 'Set up two-step verification', 'Set up two-step verification', `to continue to ${view.clientName}`, body);
}

/** The recovery codes, shown once, then on to the application. */
export function renderRecoveryCodesPage(look: PageLook, view: { action: string; request: string; csrf: string; clientName: string; recoveryCodes: string[] }): string {
  return page(look, 'Save your recovery codes', 'Save your recovery codes', null, Mustache.render(template('recovery-codes'), view));
}

/** After "email me a link": the same answer for every address. */
export function renderMagicLinkSentPage(look: PageLook, view: { email: string; clientName: string }): string {
  return page(look, 'Check your email', 'Check your email', null, Mustache.render(template('magic-link-sent'), view));
}

/** The landing of a mailed link: a button (a POST) spends it, so a mail scanner fetching the link signs no one in. */
export function renderMagicLinkPage(look: PageLook, view: { action: string; request: string; csrf: string; token: string; clientName: string }): string {
  return page(look, 'Sign in', `Sign in to ${look.workspace}`, `to continue to ${view.clientName}`, Mustache.render(template('magic-link'), view));
}

export interface AccountView {
  email: string;
  csrf: string;
  passkeys: Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }>;
  removeAction: string;
  register: PasskeyFormView;
  signOutUrl: string;
  notice?: string;
  error?: string;
}

/** The hosted account page (signed in by the SSO session): the user's passkeys, add and remove. */
export function renderAccountPage(look: PageLook, view: AccountView): string {
  return page(look, 'Your account', 'Your account', look.workspace, Mustache.render(template('account'), view));
}

export function renderMessagePage(look: PageLook, title: string, message: string, hint?: string): string {
  return page(look, title, title, null, Mustache.render(template('message'), { message, hint }));
}

/**
 * The page's own Content-Security-Policy: the global one, plus the one origin the form's answer redirects to
 * (browsers apply form-action to redirects after a POST) and the logo's origin.
 */
export function pagePolicy(extra: { formTarget?: string; logoUrl?: string | null; scripts?: boolean } = {}): string {
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
    // Only the passkey pages run a script: the one file of this origin, never inline code.
    ...(extra.scripts ? ["script-src 'self'"] : []),
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
