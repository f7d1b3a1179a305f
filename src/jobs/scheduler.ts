import { CronJob } from 'cron';
import type { Logger } from '../app/logger.ts';

export interface ScheduledJob {
  name: string;
  /** Cron expression (six fields allowed, seconds first), evaluated in UTC. */
  cronTime: string;
  run(): Promise<void> | void;
}

export interface JobStatus {
  name: string;
  cronTime: string;
  nextRun: string | null;
  running: boolean;
}

/**
 * The cron scheduler `serve` runs. Contexts register jobs (audit heads hourly, OSS reports quarterly, the
 * mail outbox…); a tick never overlaps the previous tick of the same job, and stop() waits for ticks in flight.
 */
export interface Scheduler {
  register(job: ScheduledJob): void;
  start(): void;
  stop(): Promise<void>;
  status(): JobStatus[];
  /** Runs one job now, as a tick would (CLI `… publish` commands and tests use the same path). */
  runNow(name: string): Promise<void>;
}

export function createScheduler(logger: Logger): Scheduler {
  const entries = new Map<string, { job: ScheduledJob; cron: CronJob; running: Promise<void> | null }>();

  const tick = async (name: string) => {
    const entry = entries.get(name);
    if (!entry || entry.running) return;
    const startedAt = process.hrtime.bigint();
    entry.running = (async () => {
      try {
        await entry.job.run();
        logger.debug({ job: name, ms: Number(process.hrtime.bigint() - startedAt) / 1e6 }, 'job done');
      } catch (err) {
        logger.error({ job: name, err }, 'job failed');
      }
    })();
    try {
      await entry.running;
    } finally {
      entry.running = null;
    }
  };

  return {
    register(job) {
      if (entries.has(job.name)) throw new Error(`job ${job.name} is already registered`);
      const cron = CronJob.from({ cronTime: job.cronTime, onTick: () => void tick(job.name), start: false, timeZone: 'UTC' });
      entries.set(job.name, { job, cron, running: null });
    },
    start() {
      for (const entry of entries.values()) entry.cron.start();
    },
    async stop() {
      for (const entry of entries.values()) entry.cron.stop();
      await Promise.all([...entries.values()].map((e) => e.running).filter(Boolean));
    },
    status() {
      return [...entries.values()].map((e) => ({
        name: e.job.name,
        cronTime: e.job.cronTime,
        nextRun: e.cron.isActive ? e.cron.nextDate().toUTC().toISO() : null,
        running: e.running !== null,
      }));
    },
    async runNow(name) {
      if (!entries.has(name)) throw new Error(`no job named ${name}`);
      await tick(name);
    },
  };
}
