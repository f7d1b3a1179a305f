import { randomBytes } from 'node:crypto';

/**
 * An agent's API token: `kimauth_<tenant>_agt_` and 32 random bytes in base62 (43 characters). The prefix tells
 * a secret scanner and a person what it is and whose; only the SHA-256 of the whole token is kept.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BYTES = 32;
const LENGTH = 43; // ceil(256 / log2(62))

export function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(LENGTH, '0');
}

export const agentTokenPrefix = (tenantSlug: string) => `kimauth_${tenantSlug}_agt_`;

export function newAgentToken(tenantSlug: string): string {
  return agentTokenPrefix(tenantSlug) + base62(randomBytes(BYTES));
}

/** Whether a presented bearer string looks like an agent token at all (before any lookup). */
export function looksLikeAgentToken(token: string): boolean {
  return /^kimauth_[a-z0-9-]{1,63}_agt_[0-9A-Za-z]{43}$/.test(token);
}
