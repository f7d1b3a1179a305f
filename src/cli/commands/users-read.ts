import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { APPROVAL_STATUSES, GLOBAL_ROLES } from '../../identity/tables.ts';
import { getUser } from '../../identity/users.ts';
import { adminUserOut, listCompanyUsers, listUsers } from '../../identity/user-admin.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import { businessUnitArg, intArg } from './user-options.ts';
import { BU_MEMBERSHIP_COLUMNS, COMPANY_MEMBERSHIP_COLUMNS, printUser, USER_COLUMNS } from './user-output.ts';

/** Another module's subcommands of `users`, registered after list and show. */
export type RegisterSubcommands = (users: Command, ctx: CliContext) => void;

/**
 * The subcommands defined in this file. A command line naming one of them loads no other subcommand module, and in
 * the single binary runs in the CLI core bundle (src/cli/core-commands.ts), which holds this file but not the others.
 */
export const READ_SUBCOMMANDS = ['list', 'show'];

/** `kimauth users …` with the given subcommand modules besides list and show. */
export function registerUsersCommand(program: Command, ctx: CliContext, others: RegisterSubcommands[]): Command {
  const users = program
    .command('users')
    .description('manage users, their approval and their tenant / business-unit memberships (as the platform operator)')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth users list --approval-status PENDING
  $ kimauth users create --email jane@acme.com --name "Jane Doe"
  $ kimauth users approve jane@acme.com
  $ kimauth users memberships set jane@acme.com --tenant acme --role ADMIN`,
    );

  users
    .command('list')
    .description('list users (all, or the active members of one tenant or business unit)')
    .addOption(new Option('--approval-status <status>', 'only this approval status').choices(APPROVAL_STATUSES))
    .addOption(new Option('--global-role <role>', 'only this platform role').choices(GLOBAL_ROLES))
    .option('--tenant <tenant>', 'only active members of this tenant (id, slug or legacy code)')
    .option('--business-unit <id>', 'with --tenant: only active members of this business unit', businessUnitArg)
    .option('--include-deleted', 'include soft-deleted users')
    .option('--limit <n>', 'page size (max 500)', intArg('--limit', 1), 50)
    .option('--offset <n>', 'skip this many', intArg('--offset', 0), 0)
    .addHelpText('after', '\nExamples:\n  $ kimauth users list --approval-status PENDING\n  $ kimauth users list --tenant acme --json')
    .action(
      async (
        opts: { approvalStatus?: never; globalRole?: never; tenant?: string; businessUnit?: string; includeDeleted?: boolean; limit: number; offset: number },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, (deps, out) => {
          if (opts.businessUnit && !opts.tenant) throw validationError('--business-unit needs --tenant');
          const result = opts.tenant
            ? listCompanyUsers(deps, cliActor(), getTenant(deps, opts.tenant).id, opts.businessUnit)
            : listUsers(deps, cliActor(), opts);
          out.result(result, () => {
            out.table(result.users, USER_COLUMNS);
            out.note(`${result.users.length} of ${result.total} user(s)`);
          });
        }),
    );

  users
    .command('show <user>')
    .description('show one user (by id or email) with memberships')
    .addHelpText('after', '\nExample:\n  $ kimauth users show jane@acme.com --json')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = adminUserOut(deps, getUser(deps, ref));
        printUser(out, user);
        if (!out.json) {
          const slugs = new Map(user.memberships.companyMemberships.map((m) => [m.companyId, m.companySlug]));
          out.line('\ntenant memberships:');
          out.table(user.memberships.companyMemberships, COMPANY_MEMBERSHIP_COLUMNS);
          out.line('\nbusiness-unit memberships:');
          out.table(
            user.memberships.businessUnitMemberships.map((m) => ({ ...m, companySlug: slugs.get(m.companyId) ?? m.companyId })),
            BU_MEMBERSHIP_COLUMNS,
          );
        }
      }),
    );

  for (const register of others) register(users, ctx);
  return users;
}
