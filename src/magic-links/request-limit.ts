import { createHash } from 'node:crypto';
import type { Clock } from '../app/clock.ts';

/**
 * How many sign-in links one address may be sent: MAX_LINKS_PER_WINDOW per WINDOW_MS. Beyond that the request is
 * still answered 200 (it must not tell whether the address has an account) but nothing is mailed, so the route
 * cannot be used to flood someone's inbox. Per process, in memory; the per-IP bucket of the route comes first.
 */
export const MAX_LINKS_PER_WINDOW = 3;
export const WINDOW_MS = 15 * 60_000;
const MAX_TRACKED = 50_000;

export interface MagicLinkRequestLimit {
  /** Counts a request for this address; false when it is over the limit. */
  allow(normalizedEmail: string): boolean;
}

export function createMagicLinkRequestLimit(clock: Clock): MagicLinkRequestLimit {
  const sent = new Map<string, number[]>();
  return {
    allow(normalizedEmail) {
      const now = clock.nowMs();
      // Keyed by a hash: the process memory holds no list of addresses.
      const key = createHash('sha256').update(normalizedEmail).digest('base64url');
      const recent = (sent.get(key) ?? []).filter((at) => now - at < WINDOW_MS);
      if (recent.length >= MAX_LINKS_PER_WINDOW) {
        sent.set(key, recent);
        return false;
      }
      recent.push(now);
      sent.delete(key);
      sent.set(key, recent);
      if (sent.size > MAX_TRACKED) {
        for (const [k, times] of sent) {
          if (sent.size <= MAX_TRACKED / 2) break;
          if (times.every((at) => now - at >= WINDOW_MS) || sent.size > MAX_TRACKED) sent.delete(k);
        }
      }
      return true;
    },
  };
}
