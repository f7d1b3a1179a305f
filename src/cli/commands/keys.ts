import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { getTenant, listTenants } from '../../tenants/tenants.ts';
import { rotateMasterKey } from '../../keys/master-key-rotation.ts';
import { listSigningKeys, retireSigningKey, rotateSigningKey } from '../../keys/signing-keys.ts';
import type { SigningKeyRow } from '../../keys/tables.ts';
import { validationError } from '../../app/errors.ts';
import type { CliContext } from '../context.ts';

function keyJson(k: SigningKeyRow, slug: string) {
  return {
    kid: k.kid,
    tenant: slug,
    alg: k.alg,
    status: k.status,
    createdAt: k.createdAt.toISOString(),
    deactivatedAt: k.deactivatedAt?.toISOString() ?? null,
    retiredAt: k.retiredAt?.toISOString() ?? null,
  };
}

export function registerKeysCommand(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('list, rotate and retire RS256 signing keys')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth keys list --tenant acme\n  $ kimauth keys rotate --all\n  $ kimauth keys retire <kid>\n  $ kimauth keys retire -- <kid>    # an older kid that starts with \"-\"\n  $ kimauth keys rotate-master',
    );

  keys
    .command('list')
    .description('list signing keys (all tenants, or one)')
    .option('--tenant <tenant>', 'tenant id or slug (master = platform keys)')
    .addHelpText('after', '\nExample:\n  $ kimauth keys list --tenant master --json')
    .action(async (opts: { tenant?: string }, cmd: Command) =>
      ctx.withReadDeps(cmd, (deps, out) => {
        const slugs = new Map(listTenants(deps).map((t) => [t.id, t.slug]));
        const tenantId = opts.tenant ? getTenant(deps, opts.tenant).id : undefined;
        const rows = listSigningKeys(deps, tenantId).map((k) => keyJson(k, slugs.get(k.tenantId) ?? k.tenantId));
        out.result(rows, () =>
          out.table(rows, [
            { header: 'tenant', value: (r) => r.tenant },
            { header: 'kid', value: (r) => r.kid },
            { header: 'status', value: (r) => r.status },
            { header: 'created', value: (r) => r.createdAt },
            { header: 'deactivated', value: (r) => r.deactivatedAt },
            { header: 'retired', value: (r) => r.retiredAt },
          ]),
        );
      }),
    );

  keys
    .command('rotate')
    .description('make a new active key; the old public key stays in the JWKS until retired')
    .option('--tenant <tenant>', 'tenant id or slug (default: master, the platform key)')
    .option('--all', 'rotate every tenant')
    .addHelpText('after', '\nExamples:\n  $ kimauth keys rotate                 # platform key\n  $ kimauth keys rotate --tenant acme\n  $ kimauth keys rotate --all --json')
    .action(async (opts: { tenant?: string; all?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        if (opts.all && opts.tenant) throw validationError('Use either --tenant or --all, not both');
        const targets = opts.all ? listTenants(deps) : [getTenant(deps, opts.tenant ?? 'master')];
        const results = [];
        for (const tenant of targets) {
          const key = await rotateSigningKey(deps, tenant.id, cliActor());
          results.push(keyJson(key, tenant.slug));
          out.note(`rotated ${tenant.slug}: new key ${key.kid}`);
        }
        out.result(results, () => out.line(`Rotated ${results.length} key${results.length === 1 ? '' : 's'}.`));
      }),
    );

  keys
    .command('retire <kid>')
    .description('remove a rotated-out key from the JWKS (refused while its tokens may be valid)')
    .option('--force', 'retire even though tokens it signed may still be valid')
    .addHelpText('after', '\nExample:\n  $ kimauth keys retire 3kTq…  --force')
    .action(async (kid: string, opts: { force?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const key = retireSigningKey(deps, kid, cliActor(), { force: opts.force });
        const slug = listTenants(deps).find((t) => t.id === key.tenantId)?.slug ?? key.tenantId;
        out.result(keyJson(key, slug), () => out.line(`Retired key ${kid} of ${slug}.`));
      }),
    );

  keys
    .command('rotate-master')
    .description('make a new instance master key current; re-encrypts every signing private key, keeps old master keys')
    .addHelpText(
      'after',
      `
master.key is rewritten atomically and keeps every old key, so audit entries HMAC-ed under an old key still
verify. Restart running \`serve\` processes afterwards so they load the new key.

Example:
  $ kimauth keys rotate-master --json`,
    )
    .action(async (_opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const result = rotateMasterKey(deps, cliActor());
        out.result(result, () =>
          out.line(`Master key ${result.currentKeyId} is current (was ${result.previousKeyId}); re-encrypted ${result.reencryptedKeys} signing keys.`),
        );
      }),
    );
}
