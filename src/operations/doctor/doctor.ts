import { existsSync } from 'node:fs';
import type { Config } from '../../app/config.ts';
import type { Clock } from '../../app/clock.ts';
import { buildDeps, databasePath, type Deps } from '../../app/deps.ts';
import type { HttpClient } from '../../app/http-client.ts';
import { DOCTOR_CHECKS, type Check, type CheckResult } from './checks.ts';

export interface DoctorReport {
  ok: boolean;
  counts: Record<CheckResult['status'], number>;
  checks: CheckResult[];
}

export interface DoctorInput {
  config: Config;
  clock: Clock;
  http?: HttpClient;
  timeoutMs?: number;
  checks?: Check[];
}

/**
 * Runs every check against a data dir without changing it: the database is opened without applying migrations
 * (pending ones are a finding, not something doctor does). `ok` is false when any check fails.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  let deps: Deps | undefined;
  const openError: string[] = [];
  if (existsSync(databasePath(input.config)) && existsSync(input.config.masterKeyFile)) {
    try {
      deps = buildDeps({ config: input.config, clock: input.clock, http: input.http, migrate: false });
    } catch (err) {
      openError.push((err as Error).message);
    }
  }
  const checks: CheckResult[] = [];
  try {
    for (const check of input.checks ?? DOCTOR_CHECKS) {
      try {
        checks.push(await check({ config: input.config, nowMs: input.clock.nowMs(), deps, timeoutMs: input.timeoutMs ?? 3_000 }));
      } catch (err) {
        checks.push({ name: check.name || 'check', status: 'fail', message: `the check itself failed: ${(err as Error).message}`, fix: 'report this' });
      }
    }
  } finally {
    deps?.close();
  }
  if (openError.length) checks.unshift({ name: 'database', status: 'fail', message: openError.join('; '), fix: 'restore kimauth.db from a backup (`kimauth restore`)' });
  else if (!existsSync(databasePath(input.config))) {
    checks.unshift({ name: 'database', status: 'fail', message: `${databasePath(input.config)} is missing`, fix: 'run `kimauth init`, or restore a backup' });
  }
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, counts, checks };
}
