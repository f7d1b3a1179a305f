import type { Deps } from '../app/deps.ts';
import { findClient, type OAuthClient } from '../clients/clients.ts';
import { hashOpaqueToken, sameSecret } from '../tokens/opaque-tokens.ts';
import type { Provider } from './provider.ts';
import { invalidClient, invalidRequest } from './errors.ts';

export type FormBody = Record<string, string | undefined>;

/**
 * Who is calling the token, introspection or revocation endpoint (RFC 6749 §2.3): `client_secret_basic`,
 * `client_secret_post`, or `none` for a public client (its client_id only). Every failure is the same
 * `invalid_client` (401 + WWW-Authenticate), so the endpoint is no oracle for which client ids exist.
 */
export function authenticateClient(deps: Deps, provider: Provider, authorization: string | undefined, body: FormBody): OAuthClient {
  let clientId: string | undefined;
  let secret: string | undefined;
  if (authorization && /^basic\s/i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('Malformed Basic credentials');
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw invalidClient('Malformed Basic credentials');
    }
    if (body.client_secret !== undefined) throw invalidRequest('Use one client authentication method, not two');
    if (body.client_id !== undefined && body.client_id !== clientId) throw invalidClient();
  } else {
    clientId = body.client_id;
    secret = body.client_secret;
  }
  if (!clientId) throw invalidClient('Client authentication is required (client_id)');
  if (!provider.tenant.active) throw invalidClient('This workspace is disabled');
  const client = findClient(deps, provider.tenant.id, clientId);
  if (!client || !client.enabled) throw invalidClient();
  if (client.clientType === 'confidential') {
    if (!secret || !client.secretHash || !sameSecret(hashOpaqueToken(secret), client.secretHash)) throw invalidClient();
  } else if (secret !== undefined) {
    throw invalidClient('A public client has no secret');
  }
  return client;
}

/** WWW-Authenticate for a 401 invalid_client (RFC 6749 §5.2). */
export function clientChallenge(provider: { issuer: string }): string {
  return `Basic realm="${provider.issuer}"`;
}
