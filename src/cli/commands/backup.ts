import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { takeBackup, type BackupProgress } from '../../operations/backup/backup.ts';
import { restoreBackup } from '../../operations/backup/restore.ts';
import type { Sealing } from '../../operations/archive/sealed-archive.ts';
import type { CliContext } from '../context.ts';
import { readSecret } from '../io.ts';
import type { Output } from '../output.ts';

/** A one-line progress meter on a terminal's stderr (nothing when piped, --json or --quiet). */
function progressMeter(ctx: CliContext, out: Output, label: string) {
  const live = Boolean(ctx.io.stderr.isTTY) && !out.json && !out.quiet;
  return {
    update(p: BackupProgress) {
      if (!live || p.totalPages === 0) return;
      const done = p.totalPages - p.remainingPages;
      ctx.io.stderr.write(`\r${label}: ${Math.floor((done / p.totalPages) * 100)}% (${done}/${p.totalPages} pages)`);
    },
    end() {
      if (live) ctx.io.stderr.write('\n');
    },
  };
}

export function registerBackupCommand(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .description('take an online backup (SQLite backup API) of the running instance into one archive file')
    .requiredOption('--out <file>', 'archive to write (never overwritten; mode 0600)')
    .option('--encrypt-to-key <file>', 'seal to this PEM RSA public key (AES-256-GCM, key wrapped with RSA-OAEP-256); includes the master key')
    .option('--passphrase-stdin', 'seal with a passphrase read from stdin (scrypt → AES-256-GCM); includes the master key')
    .addHelpText(
      'after',
      `
Works while \`serve\` runs. The archive holds kimauth.db, kimauth.json and the published heads files; the master key
only when the archive is sealed (--encrypt-to-key or --passphrase-stdin) — keep the key apart for a plain backup.
Recorded in the backups table and audited (backup.taken). Restore with \`kimauth restore\`.

Examples:
  $ kimauth backup --out /srv/backups/kimauth-$(date +%F).kimauth-backup
  $ printf '%s' "$BACKUP_PASSPHRASE" | kimauth backup --out nightly.kimauth-backup --passphrase-stdin
  $ kimauth backup --out offsite.kimauth-backup --encrypt-to-key backup-public.pem --json`,
    )
    .action(async (opts: { out: string; encryptToKey?: string; passphraseStdin?: boolean }, cmd: Command) => {
      if (opts.encryptToKey && opts.passphraseStdin) throw validationError('Use either --encrypt-to-key or --passphrase-stdin');
      let sealing: Sealing = { type: 'none' };
      if (opts.encryptToKey) sealing = { type: 'public-key', pem: readFileSync(opts.encryptToKey, 'utf8') };
      if (opts.passphraseStdin) sealing = { type: 'passphrase', passphrase: (await readSecret(ctx.io, { stdin: true })) ?? '' };
      await ctx.withDeps(cmd, async (deps, out) => {
        const meter = progressMeter(ctx, out, 'backup');
        const result = await takeBackup(deps, { out: opts.out, sealing, kind: 'manual', actor: cliActor(), onProgress: meter.update });
        meter.end();
        out.result(result, () => {
          out.line(`Backup written to ${result.file} (${result.bytes} bytes, sha256 ${result.sha256.slice(0, 16)}…)`);
          out.line(result.includesMasterKey ? 'Sealed; it includes the master key.' : 'Not sealed; it does not include the master key — keep that apart.');
        });
      });
    });
}

export function registerRestoreCommand(program: Command, ctx: CliContext): void {
  program
    .command('restore')
    .description('restore a backup archive into an empty data dir, then verify integrity_check and the audit chains')
    .requiredOption('--from <file>', 'the backup archive')
    .option('--passphrase-stdin', 'the passphrase of a passphrase-sealed backup, from stdin')
    .option('--key <file>', 'the PEM RSA private key of a backup sealed with --encrypt-to-key')
    .addHelpText(
      'after',
      `
The target is --data-dir (or KIMAUTH_DATA_DIR); it must be empty or absent. Success is reported only after
integrity_check and \`audit verify\` pass on the restored copy; on a failure nothing is left behind. A plain backup
needs the instance's master key at KIMAUTH_MASTER_KEY_FILE (or <data-dir>/master.key).

Examples:
  $ kimauth restore --from nightly.kimauth-backup --data-dir /var/lib/kimauth-restored
  $ printf '%s' "$BACKUP_PASSPHRASE" | kimauth restore --from nightly.kimauth-backup --data-dir ./restored --passphrase-stdin --json`,
    )
    .action(async (opts: { from: string; passphraseStdin?: boolean; key?: string }, cmd: Command) => {
      const config = ctx.config(cmd);
      const out = ctx.output(cmd);
      const passphrase = opts.passphraseStdin ? await readSecret(ctx.io, { stdin: true }) : undefined;
      const privateKeyPem = opts.key ? readFileSync(opts.key, 'utf8') : undefined;
      out.note(`Restoring ${opts.from} into ${config.dataDir} …`);
      const report = await restoreBackup({ from: opts.from, config, opening: { passphrase, privateKeyPem }, actor: cliActor(), clock: ctx.clock });
      out.result(report, () => {
        out.line(`Restored the backup of ${report.takenAt} into ${report.dataDir}.`);
        out.line(`integrity_check: ok; audit chains: ${report.audit.tenants} tenants, ${report.audit.entriesChecked} entries, ${report.audit.headsChecked} heads — every chain holds.`);
      });
    });
}
