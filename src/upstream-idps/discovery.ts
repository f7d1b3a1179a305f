import type { Configuration, CustomFetch } from 'openid-client';
import type { Deps } from '../app/deps.ts';
import { clientSecretOf, isLoopbackIssuer } from './providers.ts';
import type { UpstreamIdpRow } from './tables.ts';

/** How long a provider's discovered metadata is reused; its JWKS is refetched by openid-client on an unknown kid. */
const METADATA_TTL_MS = 60 * 60_000;
/** A provider that does not answer in this time is "unavailable" (the page says so) rather than a hung sign-in. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * The openid-client Configuration of each upstream provider, discovered once and kept per Deps (keyed by the row's
 * id and updated_at, so a changed or re-added provider is discovered again). A failed discovery is not kept.
 */
export interface UpstreamClients {
  configuration(deps: Deps, idp: UpstreamIdpRow): Promise<Configuration>;
}

export function createUpstreamClients(): UpstreamClients {
  const cache = new Map<string, { at: number; config: Promise<Configuration> }>();
  return {
    configuration(deps, idp) {
      const key = `${idp.id}:${idp.updated_at}`;
      const now = deps.clock.nowMs();
      const hit = cache.get(key);
      if (hit && now - hit.at < METADATA_TTL_MS) return hit.config;
      const config = discover(deps, idp);
      cache.set(key, { at: now, config });
      config.catch(() => {
        if (cache.get(key)?.config === config) cache.delete(key);
      });
      return config;
    },
  };
}

async function discover(deps: Deps, idp: UpstreamIdpRow): Promise<Configuration> {
  // Loaded on first use: CLI commands that never sign anyone in do not pay for it.
  const client = await import('openid-client');
  // Outbound HTTP through deps.http (ARCHITECTURE rule 11), each request bounded in time.
  const upstreamFetch: CustomFetch = (url, options) =>
    deps.http(url, { ...options, signal: options.signal ?? AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) } as RequestInit);
  // The ID token's signature is checked against the provider's JWKS (non-repudiation checks), not only trusted
  // because it came over TLS: a token the provider's published keys did not sign is refused.
  const execute = [client.enableNonRepudiationChecks];
  if (isLoopbackIssuer(idp.issuer)) execute.push(client.allowInsecureRequests);
  return client.discovery(new URL(idp.issuer), idp.client_id, undefined, client.ClientSecretPost(clientSecretOf(deps, idp)), {
    [client.customFetch]: upstreamFetch,
    execute,
    timeout: UPSTREAM_TIMEOUT_MS / 1000,
  });
}
