import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { explainGroupPermissions } from '../../permissions/grants.ts';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  grantGroupPermissions,
  listGroupMembers,
  listGroups,
  removeGroupMember,
  revokeGroupPermissions,
  showGroup,
  updateGroup,
  type GroupDetail,
  type GroupMemberView,
} from '../../permissions/groups.ts';
import type { CliContext } from '../context.ts';
import { listArg } from '../list-arguments.ts';
import type { Column, Output } from '../output.ts';
import { printExplanation } from './user-permissions.ts';

const MEMBER_COLUMNS: Column<GroupMemberView>[] = [
  { header: 'email', value: (m) => m.email },
  { header: 'name', value: (m) => m.name },
  { header: 'added', value: (m) => m.addedAt },
  { header: 'user id', value: (m) => m.userId },
];

function printGroup(out: Output, group: GroupDetail): void {
  out.result(group, () => {
    out.record([
      ['name', group.name],
      ['path', group.path.join(' > ')],
      ['sub-groups', group.children.join(', ') || '—'],
      ['permissions', group.permissions.join(', ') || '—'],
      ['roles', group.roles.map((r) => (r.clientId ? `${r.name} (client ${r.clientId})` : r.name)).join(', ') || '—'],
      ['description', group.description],
      ['id', group.id],
    ]);
    out.line('\nmembers:');
    out.table(group.members, MEMBER_COLUMNS);
  });
}

interface TenantOpts {
  tenant: string;
}

/** `kimauth groups …`: hierarchical groups; a member inherits everything of its group and of every ancestor. */
export function registerGroupsCommand(program: Command, ctx: CliContext): void {
  const groups = program
    .command('groups')
    .description('hierarchical groups: members inherit the permissions and roles of their group and all its ancestors')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth groups create --tenant acme --name Engineering
  $ kimauth groups create --tenant acme --name Backend --parent Engineering
  $ kimauth groups members add Backend jane@acme.com --tenant acme
  $ kimauth groups permissions grant Engineering deploy:staging --tenant acme
  $ kimauth groups list --tenant acme`,
    );

  groups
    .command('create')
    .description('create a group, at the top level or under --parent')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .requiredOption('--name <name>', 'group name (unique in the tenant)')
    .option('--parent <group>', 'parent group (name or id)')
    .option('--description <text>', 'what the group is')
    .addHelpText('after', '\nExample:\n  $ kimauth groups create --tenant acme --name Backend --parent Engineering')
    .action(async (opts: TenantOpts & { name: string; parent?: string; description?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const group = createGroup(deps, cliActor(), opts.tenant, { name: opts.name, parent: opts.parent, description: opts.description });
        out.note(`created group ${group.path.join(' > ')}`);
        printGroup(out, group);
      }),
    );

  groups
    .command('list')
    .description('list the groups of a tenant as a tree')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups list --tenant acme')
    .action(async (opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listGroups(deps, cliActor(), opts.tenant);
        out.result(rows, () => {
          if (rows.length === 0) out.line('(none)');
          for (const g of rows) out.line(`${'  '.repeat(g.depth)}${g.depth ? '└─ ' : ''}${g.name}`);
        });
      }),
    );

  groups
    .command('show <group>')
    .description('show a group: its place in the tree, permissions, roles and members')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups show Backend --tenant acme --json')
    .action(async (ref: string, opts: TenantOpts, cmd: Command) => ctx.withDeps(cmd, (deps, out) => printGroup(out, showGroup(deps, cliActor(), opts.tenant, ref))));

  groups
    .command('update <group>')
    .description('rename a group or move it (--parent; --top-level); a move that would make a cycle is refused')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--name <name>', 'new name')
    .option('--parent <group>', 'move under this group (name or id)')
    .option('--top-level', 'move to the top level')
    .option('--description <text>', 'new description ("" clears)')
    .addHelpText('after', '\nExamples:\n  $ kimauth groups update Backend --tenant acme --name Platform\n  $ kimauth groups update On-call --tenant acme --parent Engineering')
    .action(async (ref: string, opts: TenantOpts & { name?: string; parent?: string; topLevel?: boolean; description?: string }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        if (opts.parent && opts.topLevel) throw validationError('Give --parent or --top-level, not both');
        const parent = opts.topLevel ? null : opts.parent;
        if (opts.name === undefined && parent === undefined && opts.description === undefined) throw validationError('Give --name, --parent, --top-level and/or --description');
        printGroup(out, await updateGroup(deps, cliActor(), opts.tenant, ref, { name: opts.name, parent, description: opts.description }));
      }),
    );

  groups
    .command('delete <group>')
    .description('delete a group (refused while it has sub-groups unless --recursive)')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .option('--recursive', 'delete its sub-groups too')
    .addHelpText('after', '\nExample:\n  $ kimauth groups delete Engineering --tenant acme --recursive')
    .action(async (ref: string, opts: TenantOpts & { recursive?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const result = await deleteGroup(deps, cliActor(), opts.tenant, ref, { recursive: opts.recursive });
        out.result(result, () => out.line(`deleted ${result.deleted.join(', ')}`));
      }),
    );

  const members = groups
    .command('members')
    .description('add, remove or list the members of a group (members of the tenant only)')
    .addHelpText('after', '\nExamples:\n  $ kimauth groups members add Backend jane@acme.com --tenant acme\n  $ kimauth groups members list Backend --tenant acme');

  members
    .command('add <group> <user>')
    .description('add a member of the tenant (email or id) to a group')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups members add Backend jane@acme.com --tenant acme')
    .action(async (group: string, user: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const detail = await addGroupMember(deps, cliActor(), opts.tenant, group, user);
        out.result(detail, () => out.line(`${user} is a member of ${detail.path.join(' > ')}`));
      }),
    );

  members
    .command('remove <group> <user>')
    .description('remove a user from a group')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups members remove Backend jane@acme.com --tenant acme')
    .action(async (group: string, user: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        const detail = await removeGroupMember(deps, cliActor(), opts.tenant, group, user);
        out.result(detail, () => out.line(`${user} left ${detail.path.join(' > ')}`));
      }),
    );

  members
    .command('list <group>')
    .description("list a group's direct members")
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups members list Backend --tenant acme --json')
    .action(async (group: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const rows = listGroupMembers(deps, cliActor(), opts.tenant, group);
        out.result(rows, () => out.table(rows, MEMBER_COLUMNS));
      }),
    );

  const permissions = groups
    .command('permissions')
    .description("grant or revoke a group's permissions (they reach every member of it and of its sub-groups)")
    .addHelpText('after', '\nExamples:\n  $ kimauth groups permissions grant Engineering deploy:staging --tenant acme\n  $ kimauth groups permissions show Backend --tenant acme');

  for (const [name, grant] of [
    ['grant', true],
    ['revoke', false],
  ] as const) {
    permissions
      .command(`${name} <group> <permissions...>`)
      .description(grant ? 'grant permissions to a group' : 'revoke permissions of a group')
      .requiredOption('--tenant <tenant>', 'tenant slug or id')
      .addHelpText('after', `\nExample:\n  $ kimauth groups permissions ${name} Engineering deploy:staging,deploy:prod --tenant acme`)
      .action(async (group: string, list: string[], opts: TenantOpts, cmd: Command) =>
        ctx.withDeps(cmd, async (deps, out) => {
          const detail = await (grant ? grantGroupPermissions : revokeGroupPermissions)(deps, cliActor(), opts.tenant, group, listArg(list));
          out.result(detail, () => out.line(`${detail.name}: ${detail.permissions.join(', ') || '(no permissions)'}`));
        }),
      );
  }

  permissions
    .command('show <group>')
    .description('the effective permissions of a group as a subject (its own and its ancestors’), with their paths')
    .requiredOption('--tenant <tenant>', 'tenant slug or id')
    .addHelpText('after', '\nExample:\n  $ kimauth groups permissions show Backend --tenant acme')
    .action(async (group: string, opts: TenantOpts, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => printExplanation(out, await explainGroupPermissions(deps, cliActor(), opts.tenant, group))),
    );
}
