import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { explainUserPermissions, grantUserPermissions, revokeUserPermissions, type PermissionExplanation } from '../../permissions/grants.ts';
import type { CliContext } from '../context.ts';
import { listArg } from '../list-arguments.ts';
import type { Output } from '../output.ts';

/** Every effective permission with every path it arrives by, and the ones the module filter drops. */
export function printExplanation(out: Output, e: PermissionExplanation): void {
  out.result(e, () => {
    const who = e.subject.type === 'user' ? e.subject.email : `group ${e.subject.name}`;
    out.record([
      ['subject', `${who} in ${e.tenant.slug}`],
      ['groups', e.groups.join(', ') || '—'],
      ['tenant roles', e.realmRoles.join(', ') || '—'],
      ['client roles', Object.entries(e.clientRoles).map(([c, roles]) => `${c}: ${roles.join(', ')}`).join('; ') || '—'],
    ]);
    out.line('\neffective permissions:');
    out.table(e.permissions, [
      { header: 'permission', value: (p) => p.permission },
      { header: 'arrives by', value: (p) => p.paths.join('\n') },
    ]);
    if (e.dropped.length) {
      out.line('\ndropped (module not effective):');
      out.table(e.dropped, [
        { header: 'permission', value: (p) => p.permission },
        { header: 'module', value: (p) => p.module },
        { header: 'would arrive by', value: (p) => p.paths.join('\n') },
      ]);
    }
  });
}

/** `kimauth users permissions grant|revoke|show`: direct grants (the membership's permissions) and the explained effective set. */
export function registerUserPermissionsCommands(users: Command, ctx: CliContext): void {
  const permissions = users
    .command('permissions')
    .description("a member's direct permission grants, and the effective set with every path it arrives by")
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth users permissions grant jane@acme.com --tenant acme publish:article\n  $ kimauth users permissions show jane@acme.com --tenant acme',
    );

  for (const [name, grant] of [
    ['grant', true],
    ['revoke', false],
  ] as const) {
    permissions
      .command(`${name} <user> <permissions...>`)
      .description(grant ? 'grant permissions directly to a member' : 'revoke direct grants of a member (roles and groups are unchanged)')
      .requiredOption('--tenant <tenant>', 'tenant slug or id')
      .addHelpText('after', `\nExample:\n  $ kimauth users permissions ${name} jane@acme.com --tenant acme publish:article,edit:article`)
      .action(async (user: string, list: string[], opts: { tenant: string }, cmd: Command) =>
        ctx.withDeps(cmd, async (deps, out) => printExplanation(out, await (grant ? grantUserPermissions : revokeUserPermissions)(deps, cliActor(), opts.tenant, user, listArg(list)))),
      );
  }

  permissions
    .command('show <user>')
    .description('each effective permission with every path (direct, role, group → ancestor) and the dropped ones')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth users permissions show jane@acme.com --tenant acme --json')
    .action(async (user: string, opts: { tenant: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => printExplanation(out, await explainUserPermissions(deps, cliActor(), opts.tenant, user))),
    );
}
