import { Option, type Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { getUser } from '../../identity/users.ts';
import { COMPANY_ROLES, listCompanyMembershipsOfUser, removeCompanyMembership, upsertCompanyMembership } from '../../memberships/memberships.ts';
import type { MembershipMetadata } from '../../memberships/tables.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import { metadataArg } from './user-options.ts';
import { COMPANY_MEMBERSHIP_COLUMNS } from './user-output.ts';

/** `kimauth users memberships list|set|remove`: a user's tenant (company) memberships. */
export function registerMembershipCommands(users: Command, ctx: CliContext): void {
  const memberships = users
    .command('memberships')
    .description("a user's tenant (company) memberships")
    .addHelpText('after', '\nExamples:\n  $ kimauth users memberships list jane@acme.com\n  $ kimauth users memberships set jane@acme.com --tenant acme --role FINANCE --approval-limit 2500.00');

  memberships
    .command('list <user>')
    .description('list the tenant memberships of a user')
    .option('--tenant <tenant>', 'only this tenant')
    .addHelpText('after', '\nExample:\n  $ kimauth users memberships list jane@acme.com --json')
    .action(async (ref: string, opts: { tenant?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = getUser(deps, ref);
        const rows = listCompanyMembershipsOfUser(deps, user.id, { companyId: opts.tenant ? getTenant(deps, opts.tenant).id : undefined });
        out.result(rows, () => out.table(rows, COMPANY_MEMBERSHIP_COLUMNS));
      }),
    );

  memberships
    .command('set <user>')
    .description('create or update the membership of a user in a tenant (idempotent)')
    .requiredOption('--tenant <tenant>', 'tenant id, slug or legacy code')
    .addOption(new Option('--role <role>', 'tenant role').choices(COMPANY_ROLES).makeOptionMandatory())
    .addOption(new Option('--active', 'active (default for a new membership)').conflicts('inactive'))
    .option('--inactive', 'inactive')
    .addOption(new Option('--approval-limit <decimal>', 'approval ceiling, e.g. 2500.00').conflicts('clearApprovalLimit'))
    .option('--clear-approval-limit', 'remove the approval limit')
    .addOption(new Option('--metadata <json>', 'replace metadata with this JSON object').argParser(metadataArg).conflicts('clearMetadata'))
    .option('--clear-metadata', 'clear metadata to {}')
    .addHelpText(
      'after',
      `
Omitted options keep the existing values (MANAGER needs an active business-unit membership first).

Examples:
  $ kimauth users memberships set jane@acme.com --tenant acme --role ADMIN
  $ kimauth users memberships set jane@acme.com --tenant acme --role SUBMITTER --metadata '{"version":1,"invoiceViewScope":"COMPANY"}'`,
    )
    .action(
      async (
        ref: string,
        opts: { tenant: string; role: never; active?: boolean; inactive?: boolean; approvalLimit?: string; clearApprovalLimit?: boolean; metadata?: MembershipMetadata; clearMetadata?: boolean },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, (deps, out) => {
          const entry = upsertCompanyMembership(deps, cliActor(), getTenant(deps, opts.tenant).id, {
            userId: getUser(deps, ref).id,
            role: opts.role,
            isActive: opts.active ? true : opts.inactive ? false : undefined,
            approvalLimit: opts.clearApprovalLimit ? null : opts.approvalLimit,
            metadata: opts.clearMetadata ? {} : opts.metadata,
          });
          out.result(entry, () => out.line(`${ref} is ${entry.role} in ${entry.companySlug}${entry.isActive ? '' : ' (inactive)'}`));
        }),
    );

  memberships
    .command('remove <user>')
    .description('delete the membership of a user in a tenant (business-unit memberships stay)')
    .requiredOption('--tenant <tenant>', 'tenant id, slug or legacy code')
    .addHelpText('after', '\nExample:\n  $ kimauth users memberships remove jane@acme.com --tenant acme')
    .action(async (ref: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const tenant = getTenant(deps, opts.tenant);
        const user = getUser(deps, ref);
        removeCompanyMembership(deps, cliActor(), tenant.id, user.id);
        out.result({ removed: true, userId: user.id, companyId: tenant.id }, () => out.line(`Removed ${user.email} from ${tenant.slug}`));
      }),
    );
}
