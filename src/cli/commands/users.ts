import type { RegisterCommand } from '../program.ts';
import { READ_SUBCOMMANDS, registerUsersCommand, type RegisterSubcommands } from './users-read.ts';

/**
 * The other subcommand modules, in the order `kimauth users --help` lists them. They pull in MFA, sessions,
 * permissions and password hashing, which `users list` (a start-time target, issue 14) does not need.
 */
function loadSubcommandModules(): Promise<RegisterSubcommands[]> {
  return Promise.all([
    import('./user-create.ts').then((m) => m.registerUserCreateCommand),
    import('./user-update.ts').then((m) => m.registerUserUpdateCommands),
    import('./user-memberships.ts').then((m) => m.registerMembershipCommands),
    import('./user-business-units.ts').then((m) => m.registerBusinessUnitCommands),
    import('./user-sessions.ts').then((m) => m.registerUserSessionsCommands),
    import('./user-mfa.ts').then((m) => m.registerUserMfaCommands),
    import('./user-access.ts').then((m) => m.registerUserAccessCommands),
    import('./user-permissions.ts').then((m) => m.registerUserPermissionsCommands),
  ]);
}

/** The `users` group for a command line naming `subcommand`: every subcommand unless it is list or show. */
export async function usersCommandFor(subcommand: string | undefined): Promise<RegisterCommand> {
  const others = subcommand && READ_SUBCOMMANDS.includes(subcommand) ? [] : await loadSubcommandModules();
  return (program, ctx) => registerUsersCommand(program, ctx, others);
}
