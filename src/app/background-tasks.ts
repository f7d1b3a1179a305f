import type { Logger } from './logger.ts';

/**
 * Work that runs after the HTTP response was written (`setImmediate`), so the time to answer does not depend on it:
 * the password-reset request answers known and unknown addresses alike, then looks the address up. A failure is
 * logged, never thrown at a caller who already has the answer. `idle()` waits for everything started (tests,
 * shutdown before the database closes).
 */
export interface BackgroundTasks {
  run(name: string, task: () => unknown): void;
  idle(): Promise<void>;
}

/** `logger` is asked for only when a task fails. */
export function createBackgroundTasks(logger: () => Logger): BackgroundTasks {
  const pending = new Set<Promise<void>>();
  return {
    run(name, task) {
      const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .then(
          () => undefined,
          (err: unknown) => logger().error({ err, task: name }, 'background task failed'),
        )
        .finally(() => pending.delete(done));
      pending.add(done);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
