import type { OAuthClient } from '../clients/clients.ts';
import { OAuthError } from './errors.ts';

export function parseScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/** The requested scopes, each allowed for the client, or invalid_scope naming the first that is not. */
export function allowedScopes(client: OAuthClient, requested: string[]): string[] {
  const refused = requested.find((s) => !client.scopes.includes(s));
  if (refused) throw new OAuthError('invalid_scope', `Scope "${refused}" is not allowed for this client`);
  return requested;
}

/** Scopes that only mean something for a person signing in. */
export const USER_ONLY_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
