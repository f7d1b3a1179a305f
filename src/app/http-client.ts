/**
 * Outbound HTTP as a dependency (ARCHITECTURE rule 11): entitlements, VIES, webhook receivers and upstream IdPs
 * call `deps.http`, never the global `fetch`, so tests point them at stand-in servers on loopback or wrap them.
 */
export type HttpClient = (input: string | URL, init?: RequestInit) => Promise<Response>;

export function defaultHttpClient(): HttpClient {
  return (input, init) => globalThis.fetch(input, init);
}
