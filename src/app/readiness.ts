import type { Deps } from './deps.ts';
import { pendingMigrations } from '../db/migrate.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failed'>;
  failures: string[];
}

/** What `/ready` answers: can we write, is the schema current, can the platform key sign. */
export function checkReadiness(deps: Deps): Readiness {
  const checks: Readiness['checks'] = {};
  const failures: string[] = [];
  const run = (name: string, fn: () => void) => {
    try {
      fn();
      checks[name] = 'ok';
    } catch (err) {
      checks[name] = 'failed';
      failures.push(`${name}: ${(err as Error).message}`);
    }
  };
  run('database', () => {
    if (deps.sqlite.readonly) throw new Error('opened read-only');
    // A real write, rolled back, proves the file is writable and the write lock can be had.
    try {
      deps.sqlite.exec('BEGIN IMMEDIATE; CREATE TABLE main.kimauth_ready_probe (x); INSERT INTO main.kimauth_ready_probe VALUES (1);');
    } finally {
      if (deps.sqlite.inTransaction) deps.sqlite.exec('ROLLBACK');
    }
  });
  run('migrations', () => {
    const pending = pendingMigrations(deps.sqlite);
    if (pending.length) throw new Error(`${pending.length} pending`);
  });
  run('keys', () => {
    deps.keyring.active(deps.platformTenantId());
  });
  return { ready: failures.length === 0, checks, failures };
}
