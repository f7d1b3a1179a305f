import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../app/clock.ts';
import { AppError } from '../../app/errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The per-IP bucket of the anonymous credential routes (login, register, reset request and confirm,
     * set-password, invitation accept): `{ onRequest: app.ipRateLimit }`. One instance per server, so the
     * routes of every family draw from the same bucket.
     */
    ipRateLimit: IpRateLimit;
  }
}

export type IpRateLimit = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const WINDOW_MS = 60_000;
const MAX_TRACKED_IPS = 100_000;

/**
 * One request bucket per client IP, shared by every route that uses the same limiter (login, register and
 * reset-request share one, seed 002 §4.1). Fixed one-minute windows on the injected clock.
 *
 * Not @fastify/rate-limit: its local store reads the wall clock itself (tests would have to sleep) and keeps
 * a store per route, while these routes must draw from one bucket.
 */
export function createIpRateLimiter(clock: Clock, limitPerMinute: number): IpRateLimit {
  const windows = new Map<string, { start: number; count: number }>();

  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const now = clock.nowMs();
    const start = now - (now % WINDOW_MS);
    let w = windows.get(request.ip);
    if (!w || w.start !== start) {
      if (windows.size >= MAX_TRACKED_IPS) {
        for (const [ip, old] of windows) if (old.start !== start) windows.delete(ip);
      }
      w = { start, count: 0 };
      windows.set(request.ip, w);
    }
    w.count += 1;
    const remaining = Math.max(0, limitPerMinute - w.count);
    const retryAfterSeconds = Math.ceil((start + WINDOW_MS - now) / 1000);
    reply.header('x-ratelimit-limit', String(limitPerMinute));
    reply.header('x-ratelimit-remaining', String(remaining));
    if (w.count > limitPerMinute) {
      throw new AppError('rate_limited', 'Too many requests from this address; try again later', { retryAfterSeconds });
    }
  };
}
