import type { Command } from 'commander';
import type { Clock } from '../app/clock.ts';
import { buildProgramWith, runCliWith, type CommandGroup } from './command-line.ts';
import type { CliContext } from './context.ts';
import type { CliIo } from './io.ts';

export type { RegisterCommand } from './command-line.ts';

/**
 * Command groups, each loaded only when its command runs, so `kimauth --version` or `kimauth users list` does
 * not load the HTTP server, ink or every service. To add a group, add ONE line: its top-level command name and
 * its register function, e.g.
 *   { name: 'backup', load: () => import('./commands/backup.ts').then((m) => m.registerBackupCommand) },
 * `kimauth --help`, `kimauth help …` and an unknown command load every group, so help lists them all.
 */
const COMMAND_GROUPS: CommandGroup[] = [
  { name: 'init', load: () => import('./commands/init.ts').then((m) => m.registerInitCommand) },
  { name: 'serve', load: () => import('./commands/serve.ts').then((m) => m.registerServeCommand) },
  { name: 'tenants', load: () => import('./commands/tenants.ts').then((m) => m.registerTenantsCommand) },
  { name: 'keys', load: () => import('./commands/keys.ts').then((m) => m.registerKeysCommand) },
  { name: 'mail', load: () => import('./commands/mail.ts').then((m) => m.registerMailCommand) },
  // `users` is large: it loads only the subcommand modules the named subcommand needs (commands/users.ts).
  { name: 'users', load: (subcommand) => import('./commands/users.ts').then((m) => m.usersCommandFor(subcommand)) },
  { name: 'audit', load: () => import('./commands/audit.ts').then((m) => m.registerAuditCommand) },
  { name: 'invitations', load: () => import('./commands/invitations.ts').then((m) => m.registerInvitationsCommand) },
  { name: 'maintenance', load: () => import('./commands/maintenance.ts').then((m) => m.registerMaintenanceCommand) },
  { name: 'payment-profiles', load: () => import('./commands/payment-profiles.ts').then((m) => m.registerPaymentProfilesCommand) },
  { name: 'fx', load: () => import('./commands/fx.ts').then((m) => m.registerFxCommand) },
  { name: 'clients', load: () => import('./commands/clients.ts').then((m) => m.registerClientsCommand) },
  { name: 'roles', load: () => import('./commands/roles.ts').then((m) => m.registerRolesCommand) },
  { name: 'groups', load: () => import('./commands/groups.ts').then((m) => m.registerGroupsCommand) },
  { name: 'ownership', load: () => import('./commands/ownership.ts').then((m) => m.registerOwnershipCommand) },
  { name: 'agents', load: () => import('./commands/agents.ts').then((m) => m.registerAgentsCommand) },
  { name: 'oss-report', load: () => import('./commands/oss-report.ts').then((m) => m.registerOssReportCommand) },
  { name: 'api-keys', load: () => import('./commands/api-keys.ts').then((m) => m.registerApiKeysCommand) },
  { name: 'webhooks', load: () => import('./commands/webhooks.ts').then((m) => m.registerWebhooksCommand) },
  { name: 'backup', load: () => import('./commands/backup.ts').then((m) => m.registerBackupCommand) },
  { name: 'restore', load: () => import('./commands/backup.ts').then((m) => m.registerRestoreCommand) },
  { name: 'doctor', load: () => import('./commands/doctor.ts').then((m) => m.registerDoctorCommand) },
  { name: 'internal', load: () => import('./commands/internal.ts').then((m) => m.registerInternalCommand) },
];

/** The program with the command groups `argv` needs (all of them without `argv`, e.g. to walk the tree). */
export function buildProgram(ctx: CliContext, argv?: string[]): Promise<Command> {
  return buildProgramWith(COMMAND_GROUPS, ctx, argv);
}

/** Runs one command line; returns the exit code (0 ok, 1 failed, 2 usage). */
export function runCli(argv: string[], io: CliIo, clock?: Clock): Promise<number> {
  return runCliWith(COMMAND_GROUPS, argv, io, clock);
}
