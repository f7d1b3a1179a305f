import { registerUserSessionsCommands } from './user-sessions.ts';
import { registerUserMfaCommands } from './user-mfa.ts';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { validationError, isAppError } from '../../app/errors.ts';
import type { Deps } from '../../app/deps.ts';
import { cliActor } from '../../audit/actors.ts';
import { APPROVAL_STATUSES, AUTH_PROVIDERS, GLOBAL_ROLES } from '../../identity/tables.ts';
import { getUser } from '../../identity/users.ts';
import { registerUserAccessCommands } from './user-access.ts';
import { registerUserPermissionsCommands } from './user-permissions.ts';
import {
  adminUserOut,
  createUserByAdmin,
  listCompanyUsers,
  listUsers,
  patchUser,
  softDeleteUser,
  type AdminUserOut,
  type PatchUserInput,
} from '../../identity/user-admin.ts';
import {
  listBusinessUnitMembershipsOfUser,
  listCompanyMembershipsOfUser,
  removeBusinessUnitMembership,
  removeCompanyMembership,
  upsertBusinessUnitMembership,
  upsertCompanyMembership,
  type BusinessUnitMembershipEntry,
  type CompanyMembershipEntry,
} from '../../memberships/memberships.ts';
import { BUSINESS_UNIT_ROLES, COMPANY_ROLES, type MembershipMetadata } from '../../memberships/tables.ts';
import { getTenant, isUuid } from '../../tenants/tenants.ts';
import { CreateUserRequest } from '../../identity/user-input.ts';
import type { CliContext } from '../context.ts';
import { readAllStdin, readSecret } from '../io.ts';
import type { Column, Output } from '../output.ts';


const USER_COLUMNS: Column<AdminUserOut>[] = [
  { header: 'email', value: (u) => u.email },
  { header: 'name', value: (u) => u.fullName },
  { header: 'global role', value: (u) => u.globalRole },
  { header: 'approval', value: (u) => u.approvalStatus },
  { header: 'active', value: (u) => (u.isActive ? 'yes' : 'no') },
  { header: 'id', value: (u) => u.id },
];

const COMPANY_MEMBERSHIP_COLUMNS: Column<CompanyMembershipEntry>[] = [
  { header: 'tenant', value: (m) => m.companySlug },
  { header: 'role', value: (m) => m.role },
  { header: 'active', value: (m) => (m.isActive ? 'yes' : 'no') },
  { header: 'approval limit', value: (m) => m.approvalLimit },
  { header: 'metadata', value: (m) => (Object.keys(m.metadata).length ? m.metadata : null) },
];

const BU_MEMBERSHIP_COLUMNS: Column<BusinessUnitMembershipEntry & { companySlug: string }>[] = [
  { header: 'tenant', value: (m) => m.companySlug },
  { header: 'business unit', value: (m) => m.businessUnitId },
  { header: 'role', value: (m) => m.role },
  { header: 'active', value: (m) => (m.isActive ? 'yes' : 'no') },
  { header: 'metadata', value: (m) => (Object.keys(m.metadata).length ? m.metadata : null) },
];

function intArg(name: string, min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function metadataArg(value: string): MembershipMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('--metadata must be a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('--metadata must be a JSON object');
  return parsed as MembershipMetadata;
}

function businessUnitArg(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError('--business-unit must be a UUID');
  return value;
}

function printUser(out: Output, user: AdminUserOut, headline?: string): void {
  out.result(user, () => {
    if (headline) out.line(headline);
    out.record([
      ['email', user.email],
      ['name', user.fullName],
      ['id', user.id],
      ['global role', user.globalRole],
      ['approval', user.approvalStatus],
      ['active', user.isActive ? 'yes' : 'no'],
      ['auth provider', user.authProvider],
      ['phone', user.phoneNumber],
      ['picture', user.profilePictureUrl],
      ['token version', user.tokenVersion],
      ['created', user.createdAt],
      ['updated', user.updatedAt],
      ['deleted', user.deletedAt],
    ]);
  });
}

/** Applies one PATCH as the operator and prints the user. */
async function runPatch(ctx: CliContext, cmd: Command, ref: string, patch: PatchUserInput, verb: string): Promise<void> {
  await ctx.withDeps(cmd, async (deps, out) => {
    const user = await patchUser(deps, cliActor(), getUser(deps, ref).id, patch);
    printUser(out, user, `${verb} ${user.email}`);
  });
}

async function readPassword(ctx: CliContext, opts: { passwordStdin?: boolean; passwordFile?: string }): Promise<string | undefined> {
  if (opts.passwordStdin && opts.passwordFile) throw validationError('Use either --password-stdin or --password-file');
  return readSecret(ctx.io, { stdin: opts.passwordStdin, file: opts.passwordFile });
}

interface BulkResult {
  line: number;
  ok: boolean;
  user?: { id: string; email: string };
  error?: { code: string; message: string };
}

/**
 * Bulk creation: one JSON object per input line (the CreateUserRequest body), one JSON result line per input
 * line on stdout. Rows are independent: a failed row does not stop the others.
 */
async function createFromFile(deps: Deps, text: string, out: Output): Promise<BulkResult[]> {
  const results: BulkResult[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#')) continue;
    let result: BulkResult;
    try {
      let row: unknown;
      try {
        row = JSON.parse(raw);
      } catch {
        throw validationError('not valid JSON');
      }
      const parsed = CreateUserRequest.safeParse(row);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw validationError(`${issue.path.join('.') || 'row'}: ${issue.message}`);
      }
      const user = await createUserByAdmin(deps, cliActor(), parsed.data);
      result = { line: i + 1, ok: true, user: { id: user.id, email: user.email } };
    } catch (err) {
      if (!isAppError(err)) throw err;
      result = { line: i + 1, ok: false, error: { code: err.code, message: err.message } };
    }
    results.push(result);
    out.jsonLine(result);
  }
  return results;
}

/** `kimauth users …`. Returns the group so that other command files can attach subcommands (e.g. sessions). */
export function registerUsersCommand(program: Command, ctx: CliContext): Command {
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

  users
    .command('create')
    .description('create a user (APPROVED and active unless told otherwise); they are mailed a set-password link')
    .option('--email <email>', 'email address (unique)')
    .option('--name <name>', 'display name')
    .addOption(new Option('--global-role <role>', 'platform role').choices(GLOBAL_ROLES).default('NONE'))
    .option('--pending', 'create as PENDING approval instead of APPROVED')
    .option('--inactive', 'create deactivated')
    .option('--phone <number>', 'phone number')
    .option('--picture-url <url>', 'profile picture URL')
    .addOption(new Option('--auth-provider <provider>', 'how the user signs in').choices(AUTH_PROVIDERS))
    .option('--password-stdin', 'read an initial password from stdin (never mailed)')
    .option('--password-file <file>', 'read an initial password from a file (never mailed)')
    .option('--from-file <file>', 'bulk: one CreateUserRequest JSON object per line ("-" = stdin); prints one JSON result per line')
    .addHelpText(
      'after',
      `
Without a password the user chooses one through the set-password link in the welcome mail (valid 7 days).
With --from-file every input line yields one output line {"line","ok","user"|"error"}; exit 1 if any row failed.

Examples:
  $ kimauth users create --email jane@acme.com --name "Jane Doe"
  $ printf '%s' "$PW" | kimauth users create --email ops@acme.com --name Ops --global-role PLATFORM_ADMIN --password-stdin
  $ kimauth users create --from-file people.jsonl     # {"email":"a@acme.com","fullName":"A"} per line`,
    )
    .action(
      async (
        opts: {
          email?: string;
          name?: string;
          globalRole: never;
          pending?: boolean;
          inactive?: boolean;
          phone?: string;
          pictureUrl?: string;
          authProvider?: never;
          passwordStdin?: boolean;
          passwordFile?: string;
          fromFile?: string;
        },
        cmd: Command,
      ) => {
        if (opts.fromFile) {
          if (opts.email || opts.name) throw validationError('Use either --from-file or --email/--name');
          if (opts.passwordStdin && opts.fromFile === '-') throw validationError('stdin cannot carry both the rows and a password');
          const text = opts.fromFile === '-' ? await readAllStdin(ctx.io.stdin) : readFileSync(opts.fromFile, 'utf8');
          const results = await ctx.withDeps(cmd, (deps, out) => createFromFile(deps, text, out));
          const failed = results.filter((r) => !r.ok).length;
          if (failed > 0) throw new Error(`${failed} of ${results.length} row(s) failed`);
          return;
        }
        if (!opts.email || !opts.name) throw validationError('--email and --name are required (or use --from-file)');
        const password = await readPassword(ctx, opts);
        await ctx.withDeps(cmd, async (deps, out) => {
          const user = await createUserByAdmin(deps, cliActor(), {
            email: opts.email!,
            fullName: opts.name!,
            password,
            globalRole: opts.globalRole,
            approvalStatus: opts.pending ? 'PENDING' : 'APPROVED',
            isActive: !opts.inactive,
            authProvider: opts.authProvider,
            phoneNumber: opts.phone,
            profilePictureUrl: opts.pictureUrl,
          });
          printUser(out, user, `Created user ${user.email} (${user.id})`);
        });
      },
    );

  users
    .command('update <user>')
    .description('change profile fields, platform role, approval or activation of a user')
    .option('--email <email>', 'new email address')
    .option('--name <name>', 'new display name')
    .option('--phone <number>', 'phone number ("" clears)')
    .option('--picture-url <url>', 'profile picture URL ("" clears)')
    .addOption(new Option('--auth-provider <provider>').choices(AUTH_PROVIDERS))
    .addOption(new Option('--global-role <role>', 'platform role (bumps tokenVersion)').choices(GLOBAL_ROLES))
    .addOption(new Option('--approval-status <status>').choices(APPROVAL_STATUSES))
    .addOption(new Option('--active', 'activate').conflicts('inactive'))
    .option('--inactive', 'deactivate (ends sessions)')
    .addHelpText('after', '\nExamples:\n  $ kimauth users update jane@acme.com --name "Jane Roe"\n  $ kimauth users update jane@acme.com --global-role PLATFORM_MODERATOR --json')
    .action(
      async (
        ref: string,
        opts: { email?: string; name?: string; phone?: string; pictureUrl?: string; authProvider?: never; globalRole?: never; approvalStatus?: never; active?: boolean; inactive?: boolean },
        cmd: Command,
      ) =>
        runPatch(ctx, cmd, ref, {
          email: opts.email,
          fullName: opts.name,
          phoneNumber: opts.phone,
          profilePictureUrl: opts.pictureUrl,
          authProvider: opts.authProvider,
          globalRole: opts.globalRole,
          approvalStatus: opts.approvalStatus,
          isActive: opts.active ? true : opts.inactive ? false : undefined,
        }, 'Updated'),
    );

  const lifecycle: Array<[string, string, PatchUserInput, string]> = [
    ['approve', 'approve and activate a user (first approval mails them)', { approvalStatus: 'APPROVED', isActive: true }, 'Approved'],
    ['reject', 'reject a registration (mails them, ends sessions)', { approvalStatus: 'REJECTED' }, 'Rejected'],
    ['disable', 'deactivate a user (mails them, ends sessions, invalidates tokens)', { isActive: false }, 'Disabled'],
    ['enable', 're-activate a user', { isActive: true }, 'Enabled'],
  ];
  for (const [name, description, patch, verb] of lifecycle) {
    users
      .command(`${name} <user>`)
      .description(description)
      .addHelpText('after', `\nExample:\n  $ kimauth users ${name} jane@acme.com`)
      .action(async (ref: string, _opts, cmd: Command) => runPatch(ctx, cmd, ref, patch, verb));
  }

  users
    .command('delete <user>')
    .description('soft-delete a user: deactivated, sessions ended, tokens invalidated, kept for the audit trail')
    .addHelpText('after', '\nExample:\n  $ kimauth users delete jane@acme.com')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = softDeleteUser(deps, cliActor(), getUser(deps, ref).id);
        printUser(out, user, `Deleted ${user.email}`);
      }),
    );

  users
    .command('set-password <user>')
    .description("set a user's password (from stdin or a file; never from argv); mails them, ends their sessions")
    .option('--password-stdin', 'read the password from stdin')
    .option('--password-file <file>', 'read the password from a file')
    .addHelpText('after', `\nExample:\n  $ printf '%s' "$PW" | kimauth users set-password jane@acme.com --password-stdin`)
    .action(async (ref: string, opts: { passwordStdin?: boolean; passwordFile?: string }, cmd: Command) => {
      const password = await readPassword(ctx, opts);
      if (password === undefined) throw validationError('Give the password with --password-stdin or --password-file');
      await runPatch(ctx, cmd, ref, { password }, 'Password set for');
    });

  registerMembershipCommands(users, ctx);
  registerUserSessionsCommands(users, ctx);
  registerUserMfaCommands(users, ctx);
  registerUserAccessCommands(users, ctx);
  registerUserPermissionsCommands(users, ctx);
  return users;
}

function registerMembershipCommands(users: Command, ctx: CliContext): void {
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
