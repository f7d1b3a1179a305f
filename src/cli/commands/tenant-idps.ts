import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { AUTH_PROVIDERS } from '../../identity/tables.ts';
import { addUpstreamIdp, DEFAULT_SCOPES, listUpstreamIdps, removeUpstreamIdp, type UpstreamIdpView } from '../../upstream-idps/providers.ts';
import type { CliContext } from '../context.ts';
import { readSecret } from '../io.ts';
import type { Column, Output } from '../output.ts';

const COLUMNS: Column<UpstreamIdpView>[] = [
  { header: 'name', value: (p) => p.name },
  { header: 'button', value: (p) => p.displayName },
  { header: 'issuer', value: (p) => p.issuer },
  { header: 'client id', value: (p) => p.clientId },
  { header: 'allowed domains', value: (p) => (p.allowedDomains.length ? p.allowedDomains.join(', ') : 'any') },
  { header: 'link by verified email', value: (p) => (p.linkByVerifiedEmail ? 'yes' : 'no') },
  { header: 'creates users', value: (p) => (p.createUsers ? 'yes' : 'no') },
  { header: 'linked users', value: (p) => p.linkedUsers },
];

function show(out: Output, p: UpstreamIdpView): void {
  out.record([
    ['name', p.name],
    ['button', `Continue with ${p.displayName}`],
    ['issuer', p.issuer],
    ['client id', p.clientId],
    ['scopes', p.scopes.join(' ')],
    ['allowed domains', p.allowedDomains.length ? p.allowedDomains.join(', ') : 'any'],
    ['link by verified email', p.linkByVerifiedEmail ? 'yes' : 'no'],
    ['creates users', p.createUsers ? `yes (auth provider ${p.authProvider})` : 'no'],
    ['redirect URI', p.redirectUri],
  ]);
}

/** `kimauth tenants idp add|list|remove`: the upstream OpenID providers a tenant's users may sign in with. */
export function registerTenantIdpCommands(tenants: Command, ctx: CliContext): void {
  const idp = tenants
    .command('idp')
    .description("the upstream OpenID providers (Google, Microsoft Entra, Keycloak, another kimauth) of a tenant's hosted sign-in page")
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kimauth tenants idp add acme --name google --issuer https://accounts.google.com --client-id 123.apps.googleusercontent.com \\\n' +
        '      --client-secret-file google.secret --allowed-domains acme.com --link-by-verified-email\n' +
        '  $ kimauth tenants idp list acme\n' +
        '  $ kimauth tenants idp remove acme google',
    );

  idp
    .command('add <tenant>')
    .description('add a provider; prints the redirect URI to register with it (the client secret is stored sealed and never shown)')
    .requiredOption('--name <name>', 'short name in URLs, a-z 0-9 -, e.g. google')
    .requiredOption('--issuer <url>', "the provider's issuer (https; its /.well-known/openid-configuration is read at sign-in)")
    .requiredOption('--client-id <id>', 'the client id the provider gave kimauth')
    .option('--client-secret-file <file>', 'read the client secret from a file')
    .option('--client-secret-stdin', 'read the client secret from stdin')
    .option('--display-name <text>', 'what the button says after "Continue with" (default: the name, capitalised)')
    .option('--allowed-domains <list>', 'comma-separated email domains; a verified address of another domain is refused')
    .option('--link-by-verified-email', 'link an existing user whose email the provider says is verified (never an unverified one)')
    .option('--no-create-users', 'do not create users for unknown accounts (they must be invited or linked first)')
    .option('--scopes <list>', `scopes asked of the provider (default "${DEFAULT_SCOPES}")`)
    .addOption(
      new Option('--auth-provider <provider>', 'authProvider of the users it creates (default: google, microsoft or sso, by the issuer)').choices(
        AUTH_PROVIDERS.filter((p) => p !== 'password'),
      ),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kimauth tenants idp add acme --name google --issuer https://accounts.google.com --client-id 123.apps.googleusercontent.com \\\n' +
        '      --client-secret-file google.secret --allowed-domains acme.com --link-by-verified-email\n' +
        '  $ printf %s "$SECRET" | kimauth tenants idp add acme --name entra --display-name "Microsoft" \\\n' +
        '      --issuer https://login.microsoftonline.com/TENANT-ID/v2.0 --client-id APP-ID --client-secret-stdin --json\n' +
        '\nNew users join the tenant as SUBMITTER; existing users keep their memberships. Register the printed redirect URI with the provider.',
    )
    .action(
      async (
        ref: string,
        opts: {
          name: string;
          issuer: string;
          clientId: string;
          clientSecretFile?: string;
          clientSecretStdin?: boolean;
          displayName?: string;
          allowedDomains?: string;
          linkByVerifiedEmail?: boolean;
          createUsers: boolean;
          scopes?: string;
          authProvider?: string;
        },
        cmd: Command,
      ) => {
        if (Boolean(opts.clientSecretFile) === Boolean(opts.clientSecretStdin)) throw validationError('Give the client secret with either --client-secret-file or --client-secret-stdin');
        const clientSecret = (await readSecret(ctx.io, { stdin: opts.clientSecretStdin, file: opts.clientSecretFile })) ?? '';
        return ctx.withDeps(cmd, (deps, out) => {
          const added = addUpstreamIdp(
            deps,
            ref,
            {
              name: opts.name,
              displayName: opts.displayName,
              issuer: opts.issuer,
              clientId: opts.clientId,
              clientSecret,
              scopes: opts.scopes,
              allowedDomains: opts.allowedDomains ? [opts.allowedDomains] : [],
              linkByVerifiedEmail: opts.linkByVerifiedEmail,
              createUsers: opts.createUsers,
              authProvider: opts.authProvider,
            },
            cliActor(),
          );
          out.result(added, () => {
            out.line(`Added provider ${added.name} to ${added.tenant}`);
            show(out, added);
            out.note(`Register this redirect URI with the provider: ${added.redirectUri}`);
          });
        });
      },
    );

  idp
    .command('list <tenant>')
    .description("a tenant's upstream providers (never their secrets)")
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants idp list acme\n  $ kimauth tenants idp list acme --json')
    .action(async (ref: string, _opts: unknown, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listUpstreamIdps(deps, ref);
        out.result(rows, () => out.table(rows, COLUMNS));
      }),
    );

  idp
    .command('remove <tenant> <name>')
    .description('remove a provider and its links to users (the users stay and may sign in another way)')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants idp remove acme google')
    .action(async (ref: string, name: string, _opts: unknown, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const { removed, unlinkedUsers } = removeUpstreamIdp(deps, ref, name, cliActor());
        out.result({ removed: removed.name, tenant: removed.tenant, unlinkedUsers }, () =>
          out.line(`Removed provider ${removed.name} from ${removed.tenant} (${unlinkedUsers} user link${unlinkedUsers === 1 ? '' : 's'} removed)`),
        );
      }),
    );
}
