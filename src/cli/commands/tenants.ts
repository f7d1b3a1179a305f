import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { setTenantMagicLinks, tenantOffersMagicLinks } from '../../magic-links/tenant-setting.ts';
import { createTenantWithHead, getTenant, listTenants, updateTenant } from '../../tenants/tenants.ts';
import type { TenantRow } from '../../tenants/tables.ts';
import { listSigningKeys } from '../../keys/signing-keys.ts';
import { setTenantMfaRequirement, tenantRequiresMfa } from '../../mfa/tenant-requirement.ts';
import type { CliContext } from '../context.ts';
import type { Column } from '../output.ts';
import { registerTenantEntitlementsCommands } from './tenant-entitlements.ts';
import { registerTenantVatCommands } from './tenant-vat.ts';
import { setTenantBranding, setTenantSigningAlg, tenantSigningAlg } from '../../oidc/provider-settings.ts';
import { SIGNING_ALGS } from '../../keys/signing-keys.ts';
import { registerTenantOwnerPolicyCommands } from './tenant-owner-policy.ts';
import { registerTenantTransferCommands } from './tenant-transfer.ts';
import { registerTenantIdpCommands } from './tenant-idps.ts';

export const TENANT_COLUMNS: Column<TenantRow>[] = [
  { header: 'slug', value: (t) => t.slug },
  { header: 'name', value: (t) => t.name },
  { header: 'id', value: (t) => t.id },
  { header: 'status', value: (t) => t.status },
  { header: 'created', value: (t) => t.createdAt },
];

export function tenantJson(t: TenantRow) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    legacyCode: t.legacyCode,
    status: t.status,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function registerTenantsCommand(program: Command, ctx: CliContext): void {
  const tenants = program
    .command('tenants')
    .description('list, show, create and update tenants (workspaces / companies)')
    .addHelpText('after', '\nExamples:\n  $ kimauth tenants list\n  $ kimauth tenants create --slug acme --name "Acme"\n  $ kimauth tenants update acme --status disabled');

  tenants
    .command('list')
    .description('list every tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants list --json')
    .action(async (_opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listTenants(deps);
        out.result(rows.map(tenantJson), () => out.table(rows, TENANT_COLUMNS));
      }),
    );

  tenants
    .command('show <tenant>')
    .description('show one tenant (by id, slug or legacy code) with its signing keys')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants show acme')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, ref);
        const keys = listSigningKeys(deps, tenant.id);
        const requireMfa = tenantRequiresMfa(deps, tenant.id);
        const magicLinks = tenantOffersMagicLinks(deps, tenant.id);
        out.result({ ...tenantJson(tenant), requireMfa, magicLinks, keys: keys.map((k) => ({ kid: k.kid, status: k.status })) }, () => {
          out.record([
            ['slug', tenant.slug],
            ['name', tenant.name],
            ['id', tenant.id],
            ['legacy code', tenant.legacyCode],
            ['status', tenant.status],
            ['requires MFA', requireMfa ? 'yes' : 'no'],
            ['magic links', magicLinks ? 'offered' : 'off'],
            ['created', tenant.createdAt],
            ['signing keys', keys.map((k) => `${k.kid} (${k.status})`).join(', ')],
          ]);
        });
      }),
    );

  tenants
    .command('create')
    .description('create a tenant with its own RS256 signing key')
    .requiredOption('--slug <slug>', 'URL-safe unique name (a-z, 0-9, -); `master` is reserved')
    .requiredOption('--name <name>', 'display name')
    .option('--legacy-code <code>', 'an opaque legacy company code that /internal/companies/resolve accepts')
    .addHelpText('after', '\nExample:\n  $ kimauth tenants create --slug acme --name "Acme GmbH"')
    .action(async (opts: { slug: string; name: string; legacyCode?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const tenant = await createTenantWithHead(deps, opts, cliActor());
        out.result(tenantJson(tenant), () => out.line(`Created tenant ${tenant.slug} (${tenant.id})`));
      }),
    );

  tenants
    .command('update <tenant>')
    .description('rename a tenant, change its legacy code, or disable / re-enable it')
    .option('--name <name>', 'new display name')
    .addOption(new Option('--legacy-code <code>', 'new legacy company code').conflicts('clearLegacyCode'))
    .option('--clear-legacy-code', 'remove the legacy code')
    .addOption(new Option('--status <status>', 'active or disabled').choices(['active', 'disabled']))
    .addOption(new Option('--signing-alg <alg>', 'sign tokens with a new key of this type (the old key stays published)').choices([...SIGNING_ALGS]))
    .option('--display-name <name>', 'the name the hosted sign-in page shows ("" clears it)')
    .option('--logo-url <url>', 'an https logo for the hosted sign-in page ("" clears it)')
    .option('--accent-color <hex>', 'the sign-in page accent colour, #rgb or #rrggbb ("" clears it)')
    .option('--require-mfa', "require MFA of the tenant's members (those without it enrol at their next sign-in)")
    .option('--no-require-mfa', 'stop requiring MFA')
    .option('--magic-links', 'offer "email me a link" on the hosted sign-in page')
    .option('--no-magic-links', 'stop offering sign-in links on the hosted page')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth tenants update acme --name "Acme GmbH" --legacy-code ACME-001\n  $ kimauth tenants update acme --status disabled --json\n' +
        '  $ kimauth tenants update acme --signing-alg ES256\n  $ kimauth tenants update acme --display-name "Acme" --accent-color "#c0392b"\n' +
        '  $ kimauth tenants update acme --require-mfa\n  $ kimauth tenants update acme --magic-links',
    )
    .action(
      async (
        ref: string,
        opts: {
          name?: string;
          legacyCode?: string;
          clearLegacyCode?: boolean;
          status?: 'active' | 'disabled';
          signingAlg?: string;
          displayName?: string;
          logoUrl?: string;
          accentColor?: string;
          requireMfa?: boolean;
          magicLinks?: boolean;
        },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, async (deps, out) => {
          const core = opts.name !== undefined || opts.legacyCode !== undefined || opts.clearLegacyCode || opts.status !== undefined;
          const branding = opts.displayName !== undefined || opts.logoUrl !== undefined || opts.accentColor !== undefined;
          if (!core && !branding && opts.signingAlg === undefined && opts.requireMfa === undefined && opts.magicLinks === undefined) {
            throw validationError('Nothing to change: give --name, --legacy-code, --clear-legacy-code, --status, --signing-alg, --[no-]require-mfa, --[no-]magic-links or a branding option');
          }
          let tenant = getTenant(deps, ref);
          if (core) {
            tenant = updateTenant(
              deps,
              ref,
              { name: opts.name, legacyCode: opts.clearLegacyCode ? null : opts.legacyCode, status: opts.status },
              cliActor(),
            );
          }
          const look = branding
            ? setTenantBranding(deps, cliActor(), tenant.id, { displayName: opts.displayName, logoUrl: opts.logoUrl, accentColor: opts.accentColor })
            : undefined;
          const rotated = opts.signingAlg ? await setTenantSigningAlg(deps, cliActor(), tenant.id, opts.signingAlg) : undefined;
          const requireMfa =
            opts.requireMfa === undefined ? tenantRequiresMfa(deps, tenant.id) : setTenantMfaRequirement(deps, cliActor(), tenant.id, opts.requireMfa).requireMfa;
          const magicLinks =
            opts.magicLinks === undefined ? tenantOffersMagicLinks(deps, tenant.id) : setTenantMagicLinks(deps, cliActor(), tenant.id, opts.magicLinks).magicLinks;
          const alg = tenantSigningAlg(deps, tenant.id);
          out.result({ ...tenantJson(tenant), requireMfa, magicLinks, signingAlg: alg, ...(look ? { branding: look } : {}), ...(rotated ? { newKid: rotated.kid } : {}) }, () => {
            out.line(`Updated tenant ${tenant.slug} (${tenant.status}${requireMfa ? ', MFA required' : ''}${magicLinks ? ', magic links offered' : ''})`);
            if (rotated) out.line(`Signing with ${alg} (new key ${rotated.kid}); the previous key stays published until you retire it`);
          });
        }),
    );

  registerTenantEntitlementsCommands(tenants, ctx);
  registerTenantVatCommands(tenants, ctx);
  registerTenantOwnerPolicyCommands(tenants, ctx);
  registerTenantTransferCommands(tenants, ctx);
  registerTenantIdpCommands(tenants, ctx);
}
