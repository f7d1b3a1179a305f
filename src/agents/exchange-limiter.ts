import type { Clock } from '../app/clock.ts';
import { AppError } from '../app/errors.ts';

const WINDOW_MS = 60_000;
const MAX_TRACKED = 100_000;

/**
 * Token exchanges per agent in fixed one-minute windows on the injected clock: one leaked token cannot make the
 * server sign without end. One limiter per server (the route family builds it), so it is never module state.
 */
export class AgentExchangeLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number,
  ) {}

  /** Counts one exchange of the agent; throws 429 `rate_limited` beyond the limit. */
  take(agentId: string): void {
    const now = this.clock.nowMs();
    const start = now - (now % WINDOW_MS);
    let w = this.windows.get(agentId);
    if (!w || w.start !== start) {
      if (this.windows.size >= MAX_TRACKED) for (const [id, old] of this.windows) if (old.start !== start) this.windows.delete(id);
      w = { start, count: 0 };
      this.windows.set(agentId, w);
    }
    w.count += 1;
    if (w.count > this.perMinute) {
      throw new AppError('rate_limited', 'Too many token requests for this agent; try again later', {
        retryAfterSeconds: Math.ceil((start + WINDOW_MS - now) / 1000),
      });
    }
  }
}
