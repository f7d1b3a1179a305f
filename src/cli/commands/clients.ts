import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import {
  clientMetadata,
  createClient,
  deleteClient,
  listClients,
  rotateClientSecret,
  showClient,
  updateClient,
  type ClientSettings,
  type OAuthClient,
} from '../../clients/clients.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string) => value.split(/[\s,]+/).filter(Boolean);

interface SettingOptions {
  name?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantTypes?: string;
  scopes?: string;
  accessTokenTtl?: string;
  refreshTokenTtl?: string;
  enabled?: boolean;
  disabled?: boolean;
}

function seconds(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw validationError(`${what} must be a number of seconds`);
  return Number(value);
}

function settingsOf(opts: SettingOptions): ClientSettings {
  return {
    name: opts.name,
    redirectUris: opts.redirectUri,
    postLogoutRedirectUris: opts.postLogoutRedirectUri,
    grantTypes: opts.grantTypes === undefined ? undefined : list(opts.grantTypes),
    scopes: opts.scopes === undefined ? undefined : list(opts.scopes),
    accessTokenTtl: seconds(opts.accessTokenTtl, '--access-token-ttl'),
    refreshTokenTtl: seconds(opts.refreshTokenTtl, '--refresh-token-ttl'),
    enabled: opts.enabled ? true : opts.disabled ? false : undefined,
  };
}

function settingOptions(cmd: Command, forUpdate: boolean): Command {
  cmd
    .option('--redirect-uri <uri>', 'a redirect URI (exact match); repeat for several' + (forUpdate ? ' (replaces the list)' : ''), collect)
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return; repeat for several', collect)
    .option('--grant-types <list>', 'comma-separated: authorization_code,refresh_token,client_credentials,urn:ietf:params:oauth:grant-type:token-exchange')
    .option('--scopes <list>', 'allowed scopes, comma-separated (default: openid,profile,email,offline_access)')
    .option('--access-token-ttl <seconds>', 'access-token lifetime (default 300)')
    .option('--refresh-token-ttl <seconds>', 'refresh-token lifetime (default KIMAUTH_REFRESH_TOKEN_TTL)')
    .addOption(new Option('--enabled', 'the client may sign users in and get tokens').conflicts('disabled'))
    .option('--disabled', 'refuse every request of this client at once');
  return cmd;
}

function printClient(out: Output, c: OAuthClient, slug: string, secret?: string): void {
  out.result(clientMetadata(c, slug, secret), () => {
    out.record([
      ['client_id', c.clientId],
      ...(secret ? [['client_secret', `${secret}   (shown once; store it now)`] as [string, unknown]] : []),
      ['name', c.name],
      ['type', c.clientType],
      ['tenant', slug],
      ['enabled', c.enabled],
      ['redirect URIs', c.redirectUris.join(' ') || null],
      ['post-logout URIs', c.postLogoutRedirectUris.join(' ') || null],
      ['grant types', c.grantTypes.join(', ')],
      ['scopes', c.scopes.join(' ')],
      ['access-token TTL', `${c.accessTokenTtl} s`],
      ['refresh-token TTL', `${c.refreshTokenTtl} s`],
    ]);
  });
}

export function registerClientsCommand(program: Command, ctx: CliContext): void {
  const clients = program
    .command('clients')
    .description("register and manage a tenant's applications (OAuth 2.0 / OpenID Connect clients)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth clients create --tenant acme --name web --public --redirect-uri https://app.example/cb\n  $ kimauth clients list --tenant acme --json',
    );

  settingOptions(
    clients
      .command('create')
      .description('register an application; prints its client_id (and a confidential client its secret, once)')
      .requiredOption('--tenant <slug>', 'the tenant the application belongs to')
      .requiredOption('--name <name>', 'display name')
      .addOption(new Option('--public', 'a browser or mobile app without a secret (PKCE S256 required)').conflicts('confidential'))
      .option('--confidential', 'a server-side app with a client secret')
      .option('--client-id <id>', 'choose the client_id (default: random)'),
    false,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth clients create --tenant acme --name web --public --redirect-uri https://app.example/cb\n' +
        '  $ kimauth clients create --tenant acme --name backend --confidential --grant-types client_credentials --json',
    )
    .action(async (opts: SettingOptions & { tenant: string; public?: boolean; confidential?: boolean; clientId?: string; name: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        if (!opts.public && !opts.confidential) throw validationError('Say which kind of client: --public or --confidential');
        const { client, clientSecret } = createClient(deps, cliActor(), opts.tenant, {
          ...settingsOf(opts),
          name: opts.name,
          type: opts.public ? 'public' : 'confidential',
          clientId: opts.clientId,
        });
        printClient(out, client, getTenant(deps, opts.tenant).slug, clientSecret);
      }),
    );

  clients
    .command('list')
    .description("list a tenant's applications")
    .requiredOption('--tenant <slug>', 'the tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth clients list --tenant acme')
    .action(async (opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listClients(deps, cliActor(), opts.tenant);
        const slug = getTenant(deps, opts.tenant).slug;
        out.result(
          rows.map((c) => clientMetadata(c, slug)),
          () =>
            out.table(rows, [
              { header: 'client_id', value: (c) => c.clientId },
              { header: 'name', value: (c) => c.name },
              { header: 'type', value: (c) => c.clientType },
              { header: 'grant types', value: (c) => c.grantTypes.join(',') },
              { header: 'enabled', value: (c) => c.enabled },
            ]),
        );
      }),
    );

  clients
    .command('show <clientId>')
    .description('show one application')
    .requiredOption('--tenant <slug>', 'the tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth clients show web-app --tenant acme --json')
    .action(async (clientId: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => printClient(out, showClient(deps, cliActor(), opts.tenant, clientId), getTenant(deps, opts.tenant).slug)),
    );

  settingOptions(
    clients
      .command('update <clientId>')
      .description("change an application's settings (lists given replace the old ones)")
      .requiredOption('--tenant <slug>', 'the tenant')
      .option('--name <name>', 'new display name'),
    true,
  )
    .addHelpText('after', '\nExamples:\n  $ kimauth clients update web-app --tenant acme --redirect-uri https://app.example/cb2\n  $ kimauth clients update web-app --tenant acme --disabled')
    .action(async (clientId: string, opts: SettingOptions & { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const settings = settingsOf(opts);
        if (Object.values(settings).every((v) => v === undefined)) throw validationError('Nothing to change: give at least one option');
        printClient(out, updateClient(deps, cliActor(), opts.tenant, clientId, settings), getTenant(deps, opts.tenant).slug);
      }),
    );

  clients
    .command('rotate-secret <clientId>')
    .description("replace a confidential client's secret (the old one stops working at once); prints the new one once")
    .requiredOption('--tenant <slug>', 'the tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth clients rotate-secret backend --tenant acme --json')
    .action(async (clientId: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const { client, clientSecret } = rotateClientSecret(deps, cliActor(), opts.tenant, clientId);
        printClient(out, client, getTenant(deps, opts.tenant).slug, clientSecret);
      }),
    );

  clients
    .command('delete <clientId>')
    .description('delete an application; its tokens stop working at once')
    .requiredOption('--tenant <slug>', 'the tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth clients delete web-app --tenant acme')
    .action(async (clientId: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        deleteClient(deps, cliActor(), opts.tenant, clientId);
        out.result({ deleted: true, client_id: clientId }, () => out.line(`Deleted client ${clientId}`));
      }),
    );
}
