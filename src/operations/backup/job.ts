import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Deps } from '../../app/deps.ts';
import { systemActor } from '../../audit/actors.ts';
import type { Scheduler } from '../../jobs/scheduler.ts';
import { takeBackup, type BackupResult } from './backup.ts';

export const NIGHTLY_BACKUP_JOB = 'backup.nightly';
/** 02:15 UTC, before the 03:30 purges. */
export const NIGHTLY_BACKUP_CRON = '0 15 2 * * *';
const NIGHTLY_NAME = /^kimauth-\d{8}T\d{6}Z\.kimauth-backup$/;

export function nightlyBackupName(at: Date): string {
  return `kimauth-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}.kimauth-backup`;
}

/**
 * One nightly backup into KIMAUTH_BACKUP_DIR (unsealed, so without the master key: keep the key apart), then
 * rotation: only the newest KIMAUTH_BACKUP_KEEP nightly files stay. Both audited in the platform chain.
 */
export async function runNightlyBackup(deps: Deps): Promise<{ backup: BackupResult; removed: string[] }> {
  const dir = path.resolve(deps.config.backupDir!);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const actor = systemActor(NIGHTLY_BACKUP_JOB);
  const backup = await takeBackup(deps, { out: path.join(dir, nightlyBackupName(deps.clock.now())), sealing: { type: 'none' }, kind: 'nightly', actor });
  const nightly = readdirSync(dir).filter((n) => NIGHTLY_NAME.test(n)).sort();
  const removed = nightly.slice(0, Math.max(0, nightly.length - deps.config.backupKeep));
  for (const name of removed) rmSync(path.join(dir, name), { force: true });
  if (removed.length) {
    deps.sqlite.transaction(() => {
      deps.audit.append(deps.platformTenantId(), { actor, type: 'backup.rotated', payload: { removed, kept: deps.config.backupKeep } });
    })();
  }
  return { backup, removed };
}

/** `serve` takes the nightly backup when KIMAUTH_BACKUP_DIR is set. */
export function registerBackupJob(scheduler: Scheduler, deps: Deps): void {
  if (!deps.config.backupDir) return;
  scheduler.register({
    name: NIGHTLY_BACKUP_JOB,
    cronTime: NIGHTLY_BACKUP_CRON,
    async run() {
      const { backup, removed } = await runNightlyBackup(deps);
      deps.logger.info({ file: backup.file, bytes: backup.bytes, removed: removed.length }, 'nightly backup taken');
    },
  });
}
