import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { getUser } from '../../identity/users.ts';
import { resetUserMfa } from '../../mfa/enrollment.ts';
import { mfaStatus } from '../../mfa/status.ts';
import type { CliContext } from '../context.ts';

/** `kimauth users mfa show|reset`, attached under the `users` command. */
export function registerUserMfaCommands(usersCommand: Command, ctx: CliContext): void {
  const mfa = usersCommand
    .command('mfa')
    .description("show or reset a user's MFA (TOTP authenticator and recovery codes)")
    .addHelpText('after', '\nExamples:\n  $ kimauth users mfa show jane@acme.com\n  $ kimauth users mfa reset jane@acme.com --json');

  mfa
    .command('show <user>')
    .description('show whether a user (by id or email) has TOTP, how many recovery codes are left, and which tenants require MFA')
    .addHelpText('after', '\nExample:\n  $ kimauth users mfa show jane@acme.com --json')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const status = mfaStatus(deps, cliActor(), getUser(deps, ref).id);
        out.result(status, () =>
          out.record([
            ['user', `${status.email} (${status.userId})`],
            ['totp', status.totp],
            ['enabled', status.enabledAt],
            ['recovery codes', `${status.recoveryCodes.unused} unused of ${status.recoveryCodes.total}`],
            ['required by', status.requiredBy.length ? status.requiredBy.join(', ') : null],
          ]),
        );
      }),
    );

  mfa
    .command('reset <user>')
    .description('remove a user\'s authenticator, recovery codes and pending MFA sign-ins (a lost phone); audited')
    .addHelpText('after', '\nExample:\n  $ kimauth users mfa reset jane@acme.com')
    .action(async (ref: string, _opts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = getUser(deps, ref);
        const result = resetUserMfa(deps, cliActor(), user.id);
        out.result(result, () =>
          out.line(
            result.hadTotp
              ? `Reset MFA of ${user.email}: authenticator, ${result.recoveryCodes} recovery code(s) and ${result.passkeys} passkey(s) removed; they sign in with their password alone (or enrol again if a tenant requires MFA).`
              : `${user.email} had no authenticator; ${result.recoveryCodes} recovery code(s) and ${result.passkeys} passkey(s) removed.`,
          ),
        );
      }),
    );
}
