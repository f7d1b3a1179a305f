import type { Deps } from '../../app/deps.ts';

/** The `backups` table (migration 0060): one row per backup taken, for `doctor` and `backup list`. */
export interface BackupRecord {
  id: string;
  takenAt: number;
  kind: 'manual' | 'nightly';
  file: string;
  bytes: number;
  sha256: string;
  sealing: 'passphrase' | 'public-key' | 'none';
}

export function insertBackupRecord(deps: Deps, record: BackupRecord): void {
  deps
    .statement('INSERT INTO backups (id, taken_at, kind, file, bytes, sha256, sealing) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(record.id, record.takenAt, record.kind, record.file, record.bytes, record.sha256, record.sealing);
}

export function newestBackupRecord(deps: Deps): BackupRecord | undefined {
  return deps
    .statement(
      `SELECT id, taken_at AS takenAt, kind, file, bytes, sha256, sealing FROM backups ORDER BY taken_at DESC, rowid DESC LIMIT 1`,
    )
    .get() as BackupRecord | undefined;
}

/** `PRAGMA integrity_check`: ['ok'] for a sound database, else the problems found. */
export function integrityCheck(deps: Deps): string[] {
  return (deps.sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}
