import { Option, type Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { APPROVAL_STATUSES, AUTH_PROVIDERS, GLOBAL_ROLES } from '../../identity/tables.ts';
import { getUser } from '../../identity/users.ts';
import { patchUser, softDeleteUser, type PatchUserInput } from '../../identity/user-admin.ts';
import type { CliContext } from '../context.ts';
import { readPassword } from './user-options.ts';
import { printUser } from './user-output.ts';

/** Applies one PATCH as the operator and prints the user. */
async function runPatch(ctx: CliContext, cmd: Command, ref: string, patch: PatchUserInput, verb: string): Promise<void> {
  await ctx.withDeps(cmd, async (deps, out) => {
    const user = await patchUser(deps, cliActor(), getUser(deps, ref).id, patch);
    printUser(out, user, `${verb} ${user.email}`);
  });
}

/** `kimauth users update|approve|reject|disable|enable|delete|set-password`: one user's profile and lifecycle. */
export function registerUserUpdateCommands(users: Command, ctx: CliContext): void {
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
}
