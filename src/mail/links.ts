import type { Config } from '../app/config.ts';

/** A page of the frontend that takes a one-time token: `{KIMAUTH_FRONTEND_URL}/<page>?token=…`. */
export function frontendLink(config: Pick<Config, 'frontendUrl'>, page: 'reset-password' | 'set-password' | 'accept-invitation' | 'magic-link', token: string): string {
  return `${config.frontendUrl.replace(/\/+$/, '')}/${page}?token=${encodeURIComponent(token)}`;
}
