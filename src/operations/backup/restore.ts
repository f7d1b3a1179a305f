import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../app/config.ts';
import type { Clock } from '../../app/clock.ts';
import { buildDeps } from '../../app/deps.ts';
import { AppError, conflict } from '../../app/errors.ts';
import type { Logger } from '../../app/logger.ts';
import type { Actor } from '../../audit/audit-log.ts';
import { HEADS_DIR } from '../../audit/heads.ts';
import { parseHeadsFile, verifyAuditChains, type VerifyReport } from '../../audit/verify.ts';
import { readMasterKeyring } from '../../keys/master-key.ts';
import { openArchive, type Opening } from '../archive/sealed-archive.ts';
import { BACKUP_MEMBERS } from './backup.ts';
import { integrityCheck } from './store.ts';

export interface RestoreInput {
  from: string;
  /** The target's configuration: its dataDir (must be empty or absent) and masterKeyFile. */
  config: Config;
  opening: Opening;
  actor: Actor;
  clock?: Clock;
  logger?: Logger;
}

export interface RestoreReport {
  dataDir: string;
  takenAt: string;
  members: Array<{ name: string; bytes: number }>;
  masterKey: 'from-backup' | 'existing-file';
  integrity: 'ok';
  audit: Pick<VerifyReport, 'ok' | 'entriesChecked' | 'headsChecked'> & { tenants: number };
}

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/**
 * Restores a backup into an empty (or absent) data dir, then opens it and checks it before it reports success:
 * `PRAGMA integrity_check` and every audit chain with its stored and published heads (src/audit/verify.ts). A
 * check that fails removes what was written, so the dir is left as it was found. The restore is audited
 * (`backup.restored`) in the restored platform chain.
 */
export async function restoreBackup(input: RestoreInput): Promise<RestoreReport> {
  const dataDir = input.config.dataDir;
  if (!isEmptyDir(dataDir)) throw conflict(`${dataDir} is not empty; restore only into an empty or new data dir`);
  const archive = openArchive(readFileSync(input.from), 'kimauth-backup', input.opening);
  const database = archive.files.get(BACKUP_MEMBERS.database);
  if (!database) throw new AppError('validation_error', 'The backup holds no database');

  const keyFile = input.config.masterKeyFile;
  const keyInDataDir = path.dirname(keyFile) === dataDir;
  const backupKey = archive.files.get(BACKUP_MEMBERS.masterKey);
  if (!backupKey && !existsSync(keyFile)) {
    throw new AppError(
      'validation_error',
      `This backup holds no master key (only sealed backups do); put the instance's master key at ${keyFile} or set KIMAUTH_MASTER_KEY_FILE`,
    );
  }
  if (backupKey && !keyInDataDir && existsSync(keyFile)) {
    throw conflict(`${keyFile} (KIMAUTH_MASTER_KEY_FILE) already exists; unset it to restore the backup's own master key`);
  }

  const createdDir = !existsSync(dataDir);
  const written: string[] = [];
  const write = (file: string, data: Buffer) => {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, data, { mode: 0o600, flag: 'wx' });
    written.push(file);
  };
  const undo = () => {
    for (const file of written.reverse()) rmSync(file, { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(path.join(dataDir, BACKUP_MEMBERS.database + suffix), { force: true });
    rmSync(path.join(dataDir, HEADS_DIR), { recursive: true, force: true });
    if (createdDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    for (const [name, data] of archive.files) {
      if (name === BACKUP_MEMBERS.masterKey) continue;
      if (name.includes('..') || path.isAbsolute(name)) throw new AppError('validation_error', `The backup names an unsafe path: ${name}`);
      write(path.join(dataDir, name), data);
    }
    if (backupKey) write(keyFile, backupKey);

    const deps = buildDeps({ config: input.config, clock: input.clock, logger: input.logger, masterKeys: readMasterKeyring(keyFile) });
    try {
      const integrity = integrityCheck(deps);
      if (integrity.join() !== 'ok') throw new AppError('internal_error', `integrity_check failed: ${integrity.slice(0, 5).join('; ')}`);
      const headsDir = path.join(dataDir, HEADS_DIR);
      const externalHeads = existsSync(headsDir)
        ? readdirSync(headsDir).flatMap((name) => parseHeadsFile(readFileSync(path.join(headsDir, name), 'utf8'), `${HEADS_DIR}/${name}`))
        : [];
      const verified = await verifyAuditChains(deps, { externalHeads });
      if (!verified.ok) {
        const b = verified.firstBreak!;
        throw new AppError('internal_error', `audit verify failed: tenant ${b.slug || b.tenantId}, seq ${b.seq ?? '?'} (${b.kind}): ${b.message}`);
      }
      deps.sqlite.transaction(() => {
        deps.audit.append(deps.platformTenantId(), {
          actor: input.actor,
          type: 'backup.restored',
          payload: { takenAt: archive.createdAt, file: path.basename(input.from), entriesChecked: verified.entriesChecked },
        });
      })();
      return {
        dataDir,
        takenAt: archive.createdAt,
        members: [...archive.files].map(([name, data]) => ({ name, bytes: data.length })),
        masterKey: backupKey ? 'from-backup' : 'existing-file',
        integrity: 'ok',
        audit: { ok: true, entriesChecked: verified.entriesChecked, headsChecked: verified.headsChecked, tenants: verified.tenants.length },
      };
    } finally {
      deps.close();
    }
  } catch (err) {
    undo();
    throw err;
  }
}
