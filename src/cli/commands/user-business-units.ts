import { Option, type Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { getUser } from '../../identity/users.ts';
import {
  BUSINESS_UNIT_ROLES,
  listBusinessUnitMembershipsOfUser,
  removeBusinessUnitMembership,
  upsertBusinessUnitMembership,
} from '../../memberships/memberships.ts';
import type { MembershipMetadata } from '../../memberships/tables.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import { businessUnitArg, metadataArg } from './user-options.ts';
import { BU_MEMBERSHIP_COLUMNS } from './user-output.ts';

/** `kimauth users business-units list|set|remove`: a user's business-unit memberships. */
export function registerBusinessUnitCommands(users: Command, ctx: CliContext): void {
  const units = users
    .command('business-units')
    .description("a user's business-unit memberships")
    .addHelpText('after', '\nExamples:\n  $ kimauth users business-units list jane@acme.com\n  $ kimauth users business-units set jane@acme.com --tenant acme --business-unit <uuid> --role APPROVER');

  units
    .command('list <user>')
    .description('list the business-unit memberships of a user')
    .option('--tenant <tenant>', 'only this tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth users business-units list jane@acme.com --tenant acme')
    .action(async (ref: string, opts: { tenant?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = getUser(deps, ref);
        const tenant = opts.tenant ? getTenant(deps, opts.tenant) : undefined;
        const rows = listBusinessUnitMembershipsOfUser(deps, user.id, { companyId: tenant?.id });
        out.result(rows, () =>
          out.table(
            rows.map((r) => ({ ...r, companySlug: tenant?.slug ?? getTenant(deps, r.companyId).slug })),
            BU_MEMBERSHIP_COLUMNS,
          ),
        );
      }),
    );

  units
    .command('set <user>')
    .description('create or update the membership of a user in a business unit (idempotent)')
    .requiredOption('--tenant <tenant>', 'tenant id, slug or legacy code')
    .requiredOption('--business-unit <id>', 'business unit UUID (as the products know it)', businessUnitArg)
    .addOption(new Option('--role <role>', 'business-unit role').choices(BUSINESS_UNIT_ROLES).makeOptionMandatory())
    .addOption(new Option('--active', 'active (default for a new membership)').conflicts('inactive'))
    .option('--inactive', 'inactive')
    .addOption(new Option('--metadata <json>', 'replace metadata with this JSON object').argParser(metadataArg).conflicts('clearMetadata'))
    .option('--clear-metadata', 'clear metadata to {}')
    .addHelpText(
      'after',
      `\nExample:\n  $ kimauth users business-units set jane@acme.com --tenant acme --business-unit 3f0c…-… --role SUBMITTER --metadata '{"invoiceViewScope":"BU"}'`,
    )
    .action(
      async (
        ref: string,
        opts: { tenant: string; businessUnit: string; role: never; active?: boolean; inactive?: boolean; metadata?: MembershipMetadata; clearMetadata?: boolean },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, (deps, out) => {
          const tenant = getTenant(deps, opts.tenant);
          const entry = upsertBusinessUnitMembership(deps, cliActor(), tenant.id, opts.businessUnit, {
            userId: getUser(deps, ref).id,
            role: opts.role,
            isActive: opts.active ? true : opts.inactive ? false : undefined,
            metadata: opts.clearMetadata ? {} : opts.metadata,
          });
          out.result(entry, () => out.line(`${ref} is ${entry.role} in ${tenant.slug}/${entry.businessUnitId}${entry.isActive ? '' : ' (inactive)'}`));
        }),
    );

  units
    .command('remove <user>')
    .description('delete the membership of a user in a business unit')
    .requiredOption('--tenant <tenant>', 'tenant id, slug or legacy code')
    .requiredOption('--business-unit <id>', 'business unit UUID', businessUnitArg)
    .addHelpText('after', '\nExample:\n  $ kimauth users business-units remove jane@acme.com --tenant acme --business-unit <uuid>')
    .action(async (ref: string, opts: { tenant: string; businessUnit: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, opts.tenant);
        const user = getUser(deps, ref);
        removeBusinessUnitMembership(deps, cliActor(), tenant.id, opts.businessUnit, user.id);
        out.result({ removed: true, userId: user.id, companyId: tenant.id, businessUnitId: opts.businessUnit }, () =>
          out.line(`Removed ${user.email} from ${tenant.slug}/${opts.businessUnit}`),
        );
      }),
    );
}
