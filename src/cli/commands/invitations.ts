import { Option, type Command } from 'commander';
import type { Deps } from '../../app/deps.ts';
import { cliActor } from '../../audit/actors.ts';
import {
  cancelInvitation,
  createInvitation,
  listInvitations,
  INVITATION_STATUSES,
  resendInvitation,
  type InvitationStatus,
  type InvitationView,
} from '../../invitations/invitations.ts';
import { COMPANY_ROLES } from '../../memberships/memberships.ts';
import type { CompanyRole } from '../../memberships/tables.ts';
import { getTenant } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';

function listArg(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

/**
 * The invitation as people and scripts see it. The token (and the development-only accept URL) never leaves
 * the mail: whoever runs the command is not the invitee.
 */
function printInvitation(out: Output, invitation: InvitationView, headline: string): void {
  out.result(invitation, () => {
    out.line(headline);
    out.record([
      ['id', invitation.id],
      ['email', invitation.email],
      ['role', invitation.role],
      ['business unit', invitation.businessUnitId],
      ['modules', invitation.modules.join(', ') || null],
      ['permissions', invitation.permissions.join(', ') || null],
      ['status', invitation.status],
      ['expires', invitation.expiresAt],
      ['sent', invitation.sentCount],
      ['invited by', invitation.invitedBy.name],
    ]);
  });
}

function warnIfMailOff(deps: Deps, out: Output): void {
  if (!deps.config.emailEnabled) out.warn('KIMAUTH_EMAIL_ENABLED is false: no invitation mail is queued, so the invitee gets no link');
}

export function registerInvitationsCommand(program: Command, ctx: CliContext): void {
  const group = program
    .command('invitations')
    .description('invite people into a tenant with a role (as the platform operator); the link goes out by mail only')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth invitations create --tenant acme --email jane@acme.com --role ADMIN
  $ kimauth invitations list --tenant acme --status pending
  $ kimauth invitations resend 7d0c…-uuid --tenant acme
  $ kimauth invitations cancel 7d0c…-uuid --tenant acme`,
    );

  group
    .command('list')
    .description('list the invitations of a tenant, newest first')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .addOption(new Option('--status <status>', 'only this status').choices(INVITATION_STATUSES))
    .addHelpText('after', '\nExamples:\n  $ kimauth invitations list --tenant acme\n  $ kimauth invitations list --tenant acme --status expired --json')
    .action(async (opts: { tenant: string; status?: InvitationStatus }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listInvitations(deps, cliActor(), getTenant(deps, opts.tenant).id, { status: opts.status });
        out.result(rows, () =>
          out.table(rows, [
            { header: 'email', value: (r) => r.email },
            { header: 'role', value: (r) => r.role },
            { header: 'status', value: (r) => r.status },
            { header: 'expires', value: (r) => r.expiresAt },
            { header: 'sent', value: (r) => r.sentCount },
            { header: 'invited by', value: (r) => r.invitedBy.name },
            { header: 'id', value: (r) => r.id },
          ]),
        );
      }),
    );

  group
    .command('create')
    .description('invite an email into a tenant with a role and optional initial modules / permissions (valid 7 days)')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .requiredOption('--email <email>', 'who is invited')
    .addOption(new Option('--role <role>', 'tenant role on acceptance').choices(COMPANY_ROLES).makeOptionMandatory())
    .option('--business-unit <id>', 'MANAGER: the business unit they approve for (required for MANAGER)')
    .option('--modules <list>', 'initial modules, comma-separated (repeatable)', listArg)
    .option('--permissions <list>', 'initial permissions, comma-separated (repeatable)', listArg)
    .addHelpText(
      'after',
      `
The accept link is mailed to the invitee and never printed.

Examples:
  $ kimauth invitations create --tenant acme --email jane@acme.com --role ADMIN
  $ kimauth invitations create --tenant acme --email max@acme.com --role MANAGER --business-unit bu-north --modules finance --json`,
    )
    .action(
      async (
        opts: { tenant: string; email: string; role: CompanyRole; businessUnit?: string; modules?: string[]; permissions?: string[] },
        cmd: Command,
      ) =>
        ctx.withDeps(cmd, async (deps, out) => {
          const { invitation } = await createInvitation(deps, cliActor(), getTenant(deps, opts.tenant).id, {
            email: opts.email,
            role: opts.role,
            businessUnitId: opts.businessUnit ?? null,
            modules: opts.modules,
            permissions: opts.permissions,
          });
          printInvitation(out, invitation, `Invited ${invitation.email} as ${invitation.role}`);
          warnIfMailOff(deps, out);
        }),
    );

  group
    .command('resend <id>')
    .description('mail a new link with a fresh 7-day expiry (pending or expired invitations); the old link stops working')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .addHelpText('after', '\nExamples:\n  $ kimauth invitations resend 7d0c…-uuid --tenant acme')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const { invitation } = resendInvitation(deps, cliActor(), getTenant(deps, opts.tenant).id, id);
        printInvitation(out, invitation, `Resent the invitation to ${invitation.email}`);
        warnIfMailOff(deps, out);
      }),
    );

  group
    .command('cancel <id>')
    .description('cancel an invitation; its link stops working (idempotent)')
    .requiredOption('--tenant <tenant>', 'tenant id or slug')
    .addHelpText('after', '\nExamples:\n  $ kimauth invitations cancel 7d0c…-uuid --tenant acme --json')
    .action(async (id: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const invitation = cancelInvitation(deps, cliActor(), getTenant(deps, opts.tenant).id, id);
        printInvitation(out, invitation, `Cancelled the invitation to ${invitation.email}`);
      }),
    );
}
