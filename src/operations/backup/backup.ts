import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../../app/config.ts';
import { DATABASE_FILE, type Deps } from '../../app/deps.ts';
import { conflict } from '../../app/errors.ts';
import type { Actor } from '../../audit/audit-log.ts';
import { HEADS_DIR } from '../../audit/heads.ts';
import { MASTER_KEY_FILE } from '../../keys/master-key.ts';
import { sealArchive, type ArchiveFile, type Sealing } from '../archive/sealed-archive.ts';
import { insertBackupRecord, type BackupRecord } from './store.ts';

/** Archive member names. */
export const BACKUP_MEMBERS = { database: DATABASE_FILE, config: CONFIG_FILE, masterKey: MASTER_KEY_FILE, headsDir: HEADS_DIR } as const;

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

export interface BackupInput {
  out: string;
  sealing: Sealing;
  kind: BackupRecord['kind'];
  actor: Actor;
  onProgress?(progress: BackupProgress): void;
}

export interface BackupResult {
  id: string;
  file: string;
  bytes: number;
  sha256: string;
  takenAt: string;
  sealing: Sealing['type'];
  /** What the archive holds, by member name and size. */
  members: Array<{ name: string; bytes: number }>;
  includesMasterKey: boolean;
}

/** Pages copied per step of SQLite's online backup; between steps writers carry on. */
const PAGES_PER_STEP = 256;

/**
 * An online backup: SQLite's backup API copies a consistent snapshot of the live database page by page (while
 * `serve` keeps writing), then the archive adds what a restore needs — kimauth.json and the published heads files,
 * and the master key only when the archive is sealed. Written 0600, never over an existing file; recorded in
 * `backups` and audited (`backup.taken`) in the platform chain.
 */
export async function takeBackup(deps: Deps, input: BackupInput): Promise<BackupResult> {
  const out = path.resolve(input.out);
  if (existsSync(out)) throw conflict(`${out} already exists; choose another --out`);
  const scratch = mkdtempSync(path.join(path.dirname(out), '.kimauth-backup-'));
  try {
    const snapshot = path.join(scratch, DATABASE_FILE);
    await deps.sqlite.backup(snapshot, {
      progress: ({ totalPages, remainingPages }) => {
        input.onProgress?.({ totalPages, remainingPages });
        return PAGES_PER_STEP;
      },
    });
    const files: ArchiveFile[] = [{ name: BACKUP_MEMBERS.database, data: readFileSync(snapshot) }];
    const configFile = path.join(deps.config.dataDir, CONFIG_FILE);
    if (existsSync(configFile)) files.push({ name: BACKUP_MEMBERS.config, data: readFileSync(configFile) });
    const headsDir = path.join(deps.config.dataDir, HEADS_DIR);
    if (existsSync(headsDir)) {
      for (const name of readdirSync(headsDir).filter((n) => n.endsWith('.jsonl')).sort()) {
        files.push({ name: `${HEADS_DIR}/${name}`, data: readFileSync(path.join(headsDir, name)) });
      }
    }
    const includesMasterKey = input.sealing.type !== 'none';
    if (includesMasterKey) files.push({ name: BACKUP_MEMBERS.masterKey, data: readFileSync(deps.config.masterKeyFile) });

    const takenAt = deps.clock.now();
    const archive = sealArchive('kimauth-backup', files, input.sealing, { publicUrl: deps.config.publicUrl, includesMasterKey }, takenAt.toISOString());
    writeFileSync(out, archive, { mode: 0o600, flag: 'wx' });
    const result: BackupResult = {
      id: randomUUID(),
      file: out,
      bytes: archive.length,
      sha256: createHash('sha256').update(archive).digest('hex'),
      takenAt: takenAt.toISOString(),
      sealing: input.sealing.type,
      members: files.map((f) => ({ name: f.name, bytes: f.data.length })),
      includesMasterKey,
    };
    deps.sqlite.transaction(() => {
      insertBackupRecord(deps, { id: result.id, takenAt: takenAt.getTime(), kind: input.kind, file: out, bytes: result.bytes, sha256: result.sha256, sealing: result.sealing });
      deps.audit.append(deps.platformTenantId(), {
        actor: input.actor,
        type: 'backup.taken',
        target: { type: 'backup', id: result.id },
        payload: { kind: input.kind, file: path.basename(out), bytes: result.bytes, sha256: result.sha256, sealing: result.sealing, includesMasterKey },
      });
    })();
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
