import { createHash, randomBytes } from 'node:crypto';

/**
 * A tenant API key as issue 15 §6 writes it: `kimauth_<slug>_` + 32 random bytes in base62 (43 characters). The
 * slug is there for people and secret scanners (which tenant leaked a key); the database row, found by the key's
 * SHA-256, is what decides the key's tenant.
 */
export const API_KEY_PREFIX = 'kimauth_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** ⌈256 / log2(62)⌉: every 32-byte value fits in 43 base62 digits. */
const SECRET_LENGTH = 43;
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9]))_([0-9A-Za-z]{${SECRET_LENGTH}})$`);

export function base62(bytes: Buffer, length = SECRET_LENGTH): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}

export function generateApiKey(slug: string): string {
  return `${API_KEY_PREFIX}${slug}_${base62(randomBytes(32))}`;
}

/** Whether a Bearer credential is an API key (rather than an access token); its slug, or null. */
export function apiKeySlug(credential: string): string | null {
  return KEY_PATTERN.exec(credential)?.[1] ?? null;
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

/** Only this is stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
