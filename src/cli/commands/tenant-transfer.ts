import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { exportTenant } from '../../operations/transfer/export.ts';
import { importTenant } from '../../operations/transfer/import.ts';
import type { CliContext } from '../context.ts';
import { readSecret } from '../io.ts';

/** The archive passphrase: --passphrase-stdin, else a prompt on a terminal (twice when sealing). */
async function passphrase(ctx: CliContext, opts: { passphraseStdin?: boolean }, confirm: boolean): Promise<string> {
  if (opts.passphraseStdin) return (await readSecret(ctx.io, { stdin: true })) ?? '';
  if (!ctx.io.stdin.isTTY || !ctx.io.stderr.isTTY) throw validationError('Give the archive passphrase with --passphrase-stdin');
  const { password } = await import('@inquirer/prompts');
  const first = await password({ message: 'Archive passphrase', mask: true });
  if (confirm && (await password({ message: 'Again', mask: true })) !== first) throw validationError('The passphrases differ');
  return first;
}

export function registerTenantTransferCommands(tenants: Command, ctx: CliContext): void {
  tenants
    .command('export <tenant>')
    .description('write one encrypted, authenticated archive of everything of a tenant (to import on another instance)')
    .requiredOption('--out <file>', 'archive to write (never overwritten; mode 0600)')
    .option('--passphrase-stdin', 'read the passphrase from stdin (else prompted on a terminal)')
    .addHelpText(
      'after',
      `
The archive (AES-256-GCM, key from the passphrase with scrypt) holds the tenant, every table that references it,
its members' identity rows (password hashes included), its signing keys and its audit chain with its heads. The
chain is verified first. Audited as tenant.exported.

Examples:
  $ kimauth tenants export acme --out acme.kimauth
  $ printf '%s' "$PASSPHRASE" | kimauth tenants export acme --out acme.kimauth --passphrase-stdin --json`,
    )
    .action(async (ref: string, opts: { out: string; passphraseStdin?: boolean }, cmd: Command) => {
      const secret = await passphrase(ctx, opts, true);
      await ctx.withDeps(cmd, async (deps, out) => {
        const result = await exportTenant(deps, { tenant: ref, out: opts.out, passphrase: secret, actor: cliActor() });
        if (result.sealedColumns.length) {
          out.warn(`sealed under this instance's master key, will not open elsewhere: ${result.sealedColumns.join(', ')}`);
        }
        out.result(result, () =>
          out.line(`Exported ${result.tenant.slug} to ${result.file}: ${result.users} users, ${result.auditEntries} audit entries, ${Object.keys(result.tables).length} tables.`),
        );
      });
    });

  tenants
    .command('import <file>')
    .description('recreate a tenant from an export archive, in one transaction')
    .option('--as <slug>', 'import under this slug (ids are kept)')
    .option('--passphrase-stdin', 'read the passphrase from stdin (else prompted on a terminal)')
    .addHelpText(
      'after',
      `
Refuses a tenant id or slug that exists here (a slug clash can be avoided with --as), a user whose id or email
belongs to another account here, and any archive that does not open (wrong passphrase, a changed byte): nothing is
written then. Imported users keep their passwords but never a platform role. The audit chain is re-sealed under
this instance's master key and a tenant.imported entry records the source chain's end; \`audit verify\` passes.

Examples:
  $ kimauth tenants import acme.kimauth
  $ printf '%s' "$PASSPHRASE" | kimauth tenants import acme.kimauth --as acme-eu --passphrase-stdin --json`,
    )
    .action(async (file: string, opts: { as?: string; passphraseStdin?: boolean }, cmd: Command) => {
      const secret = await passphrase(ctx, opts, false);
      await ctx.withDeps(cmd, async (deps, out) => {
        const result = await importTenant(deps, { file, passphrase: secret, asSlug: opts.as, actor: cliActor() });
        out.result(result, () =>
          out.line(
            `Imported ${result.tenant.sourceSlug} as ${result.tenant.slug} (${result.tenant.id}): ${result.usersCreated} new users, ` +
              `${result.usersAlreadyPresent} already here, ${result.auditEntries} audit entries re-sealed.`,
          ),
        );
      });
    });
}
