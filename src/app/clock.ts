/** The only place that reads the wall clock. Everything else receives a Clock. */
export interface Clock {
  now(): Date;
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Whole seconds since the epoch (JWT `iat`/`exp`). */
  nowSeconds(): number;
}

export function systemClock(): Clock {
  return {
    now: () => new Date(Date.now()),
    nowMs: () => Date.now(),
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
}

/** A clock for tests: starts at `start` and moves only when told to. */
export interface FixedClock extends Clock {
  advance(ms: number): void;
  set(date: Date | string): void;
}

export function fixedClock(start: Date | string = '2026-01-01T00:00:00Z'): FixedClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    nowMs: () => current,
    nowSeconds: () => Math.floor(current / 1000),
    advance(ms) {
      current += ms;
    },
    set(date) {
      current = new Date(date).getTime();
    },
  };
}
