import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF guard for webhook targets (issue 15 §7). A target is refused unless every address its host resolves to is
 * public unicast: loopback, private (RFC 1918, unique-local fc00::/7), link-local (169.254/16 — cloud metadata —
 * and fe80::/10), carrier-grade NAT, unspecified, broadcast, multicast, reserved and documentation ranges, and the
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are all refused. Checked when a webhook is
 * created or changed, and again before every delivery (the name may resolve elsewhere by then).
 * KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lifts the address rule (on-premises receivers, tests); the
 * scheme rule (http or https only) always holds.
 */
export type HostLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type TargetCheck = { ok: true; url: URL; addresses: string[] } | { ok: false; reason: string; retryable: boolean };

/** The ipaddr.js range of an address (IPv4-mapped IPv6 as its IPv4 address), `unicast` for public addresses. */
export function addressRange(address: string): string {
  return ipaddr.process(address).range();
}

export function isPublicAddress(address: string): boolean {
  return isIP(address) !== 0 && addressRange(address) === 'unicast';
}

export function parseTargetUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `webhook URLs must be http or https (got ${url.protocol})`;
  if (!url.hostname) return 'the webhook URL has no host';
  return url;
}

export async function checkWebhookTarget(
  text: string,
  options: { allowPrivateNetworks: boolean; lookup?: HostLookup },
): Promise<TargetCheck> {
  const url = parseTargetUrl(text);
  if (typeof url === 'string') return { ok: false, reason: url, retryable: false };
  // WHATWG URL has already normalised the host: `2130706433` and `0x7f.1` are 127.0.0.1; IPv6 comes bracketed.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await (options.lookup ?? systemLookup)(host)).map((a) => a.address);
    } catch (err) {
      return { ok: false, reason: `cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, retryable: true };
    }
    if (addresses.length === 0) return { ok: false, reason: `cannot resolve ${host}`, retryable: true };
  }
  if (!options.allowPrivateNetworks) {
    const refused = addresses.filter((a) => !isPublicAddress(a));
    if (refused.length > 0) {
      return {
        ok: false,
        reason:
          `${host} resolves to a ${addressRange(refused[0])} address (${refused.join(', ')}): webhook targets on loopback, private or ` +
          'link-local networks are refused (set KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true for on-premises receivers)',
        retryable: false,
      };
    }
  }
  return { ok: true, url, addresses };
}
