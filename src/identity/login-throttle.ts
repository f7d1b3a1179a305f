import type { Clock } from '../app/clock.ts';

/**
 * Slows down password guessing against one account without letting a guesser lock the owner out.
 *
 * Failures are counted per (account, client IP). The first FREE_FAILURES failures cost nothing; each further
 * one blocks that pair for BASE_DELAY_MS × 2^(extra failures − 1), capped at MAX_DELAY_MS. While blocked, the
 * password is not even checked (429 rate_limited + Retry-After), so the block cannot be used to keep guessing.
 * The owner signing in from any other address is never affected, and a correct password from the same address
 * after the block resets the count. Spread-out guessing from many addresses is bounded by the per-IP request
 * bucket and the argon2id cost instead of by an account-wide lock that an attacker could trigger at will.
 *
 * State is in memory, per server process (a restart forgets it, which only ever helps the owner).
 */
export const FREE_FAILURES = 5;
export const BASE_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 15 * 60_000;
/** A pair that has been quiet this long starts over. */
export const FORGET_AFTER_MS = 60 * 60_000;
const MAX_TRACKED_PAIRS = 100_000;

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export interface LoginThrottle {
  /** Milliseconds this (account, ip) pair must still wait; 0 when it may try. */
  retryAfterMs(account: string, ip: string): number;
  recordFailure(account: string, ip: string): void;
  recordSuccess(account: string, ip: string): void;
}

export function delayAfter(failures: number): number {
  if (failures <= FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (failures - FREE_FAILURES - 1));
}

export function createLoginThrottle(clock: Clock): LoginThrottle {
  const records = new Map<string, FailureRecord>();
  const keyOf = (account: string, ip: string) => `${account}\u0000${ip}`;

  const prune = (now: number) => {
    for (const [key, r] of records) if (now - r.lastFailureAt > FORGET_AFTER_MS) records.delete(key);
    // Still too many (a flood of distinct pairs): drop the oldest; forgetting only ever favours the owner.
    for (const key of records.keys()) {
      if (records.size <= MAX_TRACKED_PAIRS / 2) break;
      records.delete(key);
    }
  };

  return {
    retryAfterMs(account, ip) {
      const r = records.get(keyOf(account, ip));
      if (!r) return 0;
      return Math.max(0, r.blockedUntil - clock.nowMs());
    },
    recordFailure(account, ip) {
      const now = clock.nowMs();
      const key = keyOf(account, ip);
      let r = records.get(key);
      if (r && now - r.lastFailureAt > FORGET_AFTER_MS) r = undefined;
      const failures = (r?.failures ?? 0) + 1;
      records.delete(key); // re-insert so Map order stays oldest-first for pruning
      records.set(key, { failures, lastFailureAt: now, blockedUntil: now + delayAfter(failures) });
      if (records.size > MAX_TRACKED_PAIRS) prune(now);
    },
    recordSuccess(account, ip) {
      records.delete(keyOf(account, ip));
    },
  };
}
