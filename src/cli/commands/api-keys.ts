import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyView } from '../../api-keys/api-keys.ts';
import type { CliContext } from '../context.ts';
import type { Column } from '../output.ts';

const COLUMNS: Column<ApiKeyView>[] = [
  { header: 'id', value: (k) => k.id },
  { header: 'name', value: (k) => k.name },
  { header: 'scopes', value: (k) => k.scopes.join(',') },
  { header: 'status', value: (k) => k.status },
  { header: 'expires', value: (k) => k.expiresAt },
  { header: 'last used', value: (k) => k.lastUsedAt },
  { header: 'created', value: (k) => k.createdAt },
];

/** `kimauth api-keys create|list|revoke --tenant SLUG`: tenant API keys (issue 15 §6). */
export function registerApiKeysCommand(program: Command, ctx: CliContext): void {
  const keys = program
    .command('api-keys')
    .description('tenant API keys (Bearer kimauth_<slug>_…) for scripts and backends, limited to their scopes')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth api-keys create --tenant acme --name ci --scopes users:read,roles:write --expires 90d\n  $ kimauth api-keys list --tenant acme\n  $ kimauth api-keys revoke --tenant acme ci',
    );

  keys
    .command('create')
    .description('issue a key and print it once (only its SHA-256 is kept)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--name <name>', 'a name for people, unique among the live keys of the tenant')
    .requiredOption('--scopes <list>', 'comma-separated <resource>:read|write (write implies read), e.g. payments:write,reports:read')
    .option('--expires <when>', 'lifetime (90d, 12h, 30m) or an ISO 8601 date; default: never')
    .addHelpText('after', '\nExample:\n  $ kimauth api-keys create --tenant acme --name ci --scopes users:read,roles:write --expires 90d --json')
    .action(async (opts: { tenant: string; name: string; scopes: string; expires?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const created = createApiKey(deps, cliActor(), opts.tenant, { name: opts.name, scopes: opts.scopes.split(','), expires: opts.expires });
        out.result(created, () => {
          out.line(created.key);
          out.note(
            `API key "${created.apiKey.name}" (${created.apiKey.id}) with ${created.apiKey.scopes.join(', ')}` +
              `${created.apiKey.expiresAt ? `, expires ${created.apiKey.expiresAt}` : ''}. Copy it now: it is not shown again.`,
          );
        });
      }),
    );

  keys
    .command('list')
    .description("the tenant's keys (never the keys themselves)")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--all', 'include revoked keys')
    .addHelpText('after', '\nExample:\n  $ kimauth api-keys list --tenant acme --all --json')
    .action(async (opts: { tenant: string; all?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listApiKeys(deps, cliActor(), opts.tenant, { includeRevoked: Boolean(opts.all) });
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );

  keys
    .command('revoke <key>')
    .description('revoke a key by id or name; requests with it are refused (401) from now on')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth api-keys revoke --tenant acme ci')
    .action(async (ref: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const revoked = revokeApiKey(deps, cliActor(), opts.tenant, ref);
        out.result(revoked, () => out.line(`Revoked API key "${revoked.name}" (${revoked.id})`));
      }),
    );
}
